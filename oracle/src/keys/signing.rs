//! The two signing keys on their own: the account key that signs transactions (all a node host
//! needs when a remote signer holds the attestation key) and the attestation key that signs
//! results (all `sibyl-oracle signer` needs).

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};

use super::address::{account_address, validate_prefix};
use super::hd::compressed_pubkey;
use super::KeyError;

/// The account key and its address.
#[derive(Clone)]
pub struct AccountKey {
    key: SigningKey,
    bech32_prefix: String,
    address: String,
}

impl AccountKey {
    pub fn new(key: SigningKey, bech32_prefix: &str) -> Result<Self, KeyError> {
        validate_prefix(bech32_prefix)?;
        let address = account_address(&compressed_pubkey(&key), bech32_prefix)?;
        Ok(Self {
            key,
            bech32_prefix: bech32_prefix.to_owned(),
            address,
        })
    }

    pub fn bech32_prefix(&self) -> &str {
        &self.bech32_prefix
    }

    /// The account address under this key's bech32 prefix.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The account address under another chain's prefix (same key, different bech32 prefix).
    pub fn address_with_prefix(&self, prefix: &str) -> Result<String, KeyError> {
        account_address(&self.pubkey(), prefix)
    }

    /// Compressed SEC1 public key.
    pub fn pubkey(&self) -> [u8; 33] {
        compressed_pubkey(&self.key)
    }

    /// The signing key itself, for transaction builders that need it.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs transaction sign-bytes the way the Cosmos SDK expects: ECDSA over SHA-256 of the
    /// bytes, 64-byte compact `r || s`, low S.
    pub fn sign(&self, sign_bytes: &[u8]) -> Result<[u8; 64], KeyError> {
        let signature: Signature = self.key.try_sign(sign_bytes).map_err(signing_error)?;
        Ok(compact_low_s(signature))
    }

    pub(super) fn secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.key.to_bytes().into())
    }
}

impl AsRef<AccountKey> for AccountKey {
    fn as_ref(&self) -> &AccountKey {
        self
    }
}

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKey")
            .field("address", &self.address)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The attestation key: signs the digests of results (`sibyl_api::attestation`). Copies wipe
/// their secret on drop like the original.
#[derive(Clone)]
pub struct AttestationKey {
    key: SigningKey,
    index: u32,
}

impl AttestationKey {
    pub(super) fn new(key: SigningKey, index: u32) -> Self {
        Self { key, index }
    }

    /// Compressed SEC1 public key, as registered in the staking contract.
    pub fn pubkey(&self) -> [u8; 33] {
        compressed_pubkey(&self.key)
    }

    /// The HD account index it was derived at.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Signs a 32-byte attestation digest: a 64-byte compact `r || s` signature with low S, the
    /// form cosmwasm's `secp256k1_verify(digest, signature, pubkey)` accepts.
    pub fn sign(&self, digest: &[u8; 32]) -> Result<[u8; 64], KeyError> {
        let signature: Signature = self.key.sign_prehash(digest).map_err(signing_error)?;
        Ok(compact_low_s(signature))
    }
}

impl std::fmt::Debug for AttestationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationKey")
            .field("index", &self.index)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Whether `signature` is `pubkey`'s low-S signature of `digest`, as the escrow checks it.
pub fn verify_attestation(pubkey: &[u8; 33], digest: &[u8; 32], signature: &[u8; 64]) -> bool {
    let (Ok(key), Ok(signature)) = (
        VerifyingKey::from_sec1_bytes(pubkey),
        Signature::from_slice(signature),
    ) else {
        return false;
    };
    signature.normalize_s().is_none() && key.verify_prehash(digest, &signature).is_ok()
}

fn signing_error(err: k256::ecdsa::Error) -> KeyError {
    KeyError::Signing {
        reason: err.to_string(),
    }
}

/// k256 already produces low-S signatures; normalising again documents and enforces the contract.
fn compact_low_s(signature: Signature) -> [u8; 64] {
    let normalized = signature.normalize_s().unwrap_or(signature);
    normalized.to_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attestation_signature_verifies_only_for_its_digest_and_key() {
        let key = AttestationKey::new(SigningKey::from_slice(&[7u8; 32]).unwrap(), 1);
        let other = AttestationKey::new(SigningKey::from_slice(&[8u8; 32]).unwrap(), 2);
        let digest = [3u8; 32];
        let signature = key.sign(&digest).unwrap();
        assert!(verify_attestation(&key.pubkey(), &digest, &signature));
        assert!(!verify_attestation(&other.pubkey(), &digest, &signature));
        assert!(!verify_attestation(&key.pubkey(), &[4u8; 32], &signature));
        assert!(!verify_attestation(&[0u8; 33], &digest, &signature));
    }
}
