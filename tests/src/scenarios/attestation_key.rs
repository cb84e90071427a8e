//! Operators' attestation keys: real secp256k1 keys whose signatures the escrow verifies.

use cosmwasm_std::Binary;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

pub struct AttestationKey {
    signing_key: SigningKey,
}

impl AttestationKey {
    /// A key derived from `seed`, so that runs are reproducible.
    pub fn from_seed(seed: &str) -> Self {
        let mut counter = 0u32;
        loop {
            let mut hasher = Sha256::new();
            hasher.update(seed.as_bytes());
            hasher.update(counter.to_be_bytes());
            let bytes: [u8; 32] = hasher.finalize().into();
            // Almost every 32-byte string is a valid scalar; the loop only guards the others.
            if let Ok(signing_key) = SigningKey::from_bytes(&bytes.into()) {
                return AttestationKey { signing_key };
            }
            counter += 1;
        }
    }

    /// 33-byte compressed SEC1 public key, as the staking contract stores it.
    pub fn public_key(&self) -> Binary {
        let point = self.signing_key.verifying_key().to_encoded_point(true);
        Binary::from(point.as_bytes())
    }

    /// 64-byte compact signature (`r ‖ s`, low s) over a 32-byte digest used as the prehash.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Binary {
        let signature: Signature = self
            .signing_key
            .sign_prehash(digest)
            .unwrap_or_else(|e| unreachable!("a 32-byte prehash is always signable: {e}"));
        let signature = signature.normalize_s().unwrap_or(signature);
        Binary::from(signature.to_bytes().as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::hazmat::PrehashVerifier;
    use k256::ecdsa::VerifyingKey;

    #[test]
    fn signatures_verify_against_the_published_key() {
        let key = AttestationKey::from_seed("operator-1");
        let digest = [42u8; 32];
        let signature = key.sign_digest(&digest);
        assert_eq!(signature.len(), 64);
        assert_eq!(key.public_key().len(), 33);
        let verifying_key = VerifyingKey::from_sec1_bytes(&key.public_key()).unwrap();
        let signature = Signature::from_slice(&signature).unwrap();
        assert!(signature.normalize_s().is_none(), "s must already be low");
        verifying_key.verify_prehash(&digest, &signature).unwrap();
    }

    #[test]
    fn keys_are_reproducible_and_distinct() {
        let a = AttestationKey::from_seed("a").public_key();
        assert_eq!(a, AttestationKey::from_seed("a").public_key());
        assert_ne!(a, AttestationKey::from_seed("b").public_key());
    }
}
