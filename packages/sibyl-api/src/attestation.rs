//! Attestation digest and commitment helpers.
//!
//! The escrow contract and the oracle must hash exactly the same bytes, so both call these pure
//! functions. Every variable-length field is length-prefixed (u32, big-endian) and every integer is
//! big-endian, so that no two different field tuples can serialize to the same byte string. Each
//! hash starts with its own domain tag, so a commitment can never be mistaken for a digest.
//!
//! Byte layouts (`‖` is concatenation, `lp(x)` is `u32_be(len(x)) ‖ x`):
//!
//! ```text
//! commitment = sha256( lp("sibyl/commitment/v1") ‖ u64_be(job_id) ‖ output_hash[32]
//!                      ‖ lp(salt) ‖ lp(operator address, UTF-8) )
//! digest     = sha256( lp("sibyl/attestation/v1") ‖ lp(chain_id) ‖ lp(escrow address)
//!                      ‖ u64_be(job_id) ‖ model_hash[32] ‖ input_hash[32] ‖ output_hash[32] )
//! key proof  = sha256( lp("sibyl/attestation-key/v1") ‖ lp(chain_id) ‖ lp(staking address)
//!                      ‖ lp(operator address) ‖ lp(attestation pubkey, 33 bytes) )
//! ```
//!
//! `key proof` ([`key_possession_digest`]) is what a new attestation key signs when an operator
//! registers it with the staking contract (`RegisterOperator`, `RotateAttestationKey`): it proves
//! that the operator controls the key, so nobody can register somebody else's key first.
//!
//! The attestation signature is a 64-byte compact secp256k1 ECDSA signature (`r ‖ s`) over the
//! 32-byte `digest` used directly as the message hash: sign it as a prehash (k256's
//! `PrehashSigner::sign_prehash`), do not hash it again.

use sha2::{Digest, Sha256};

/// Domain tag of [`commitment`].
pub const COMMITMENT_DOMAIN: &str = "sibyl/commitment/v1";
/// Domain tag of [`attestation_digest`].
pub const ATTESTATION_DOMAIN: &str = "sibyl/attestation/v1";
/// Domain tag of [`key_possession_digest`].
pub const KEY_POSSESSION_DOMAIN: &str = "sibyl/attestation-key/v1";
/// Length of a compact secp256k1 signature (`r ‖ s`).
pub const SIGNATURE_LEN: usize = 64;
/// Length of a compressed SEC1 secp256k1 public key.
pub const PUBKEY_LEN: usize = 33;

/// sha256 of the revealed output bytes (the canonical output encoding produced by sibyl-model).
pub fn output_hash(output: &[u8]) -> [u8; 32] {
    Sha256::digest(output).into()
}

/// sha256 of the raw input bytes.
pub fn input_hash(input: &[u8]) -> [u8; 32] {
    Sha256::digest(input).into()
}

/// The commitment an operator posts before revealing: it binds the output hash to the job and to
/// the operator, and hides it behind the salt until the reveal.
pub fn commitment(job_id: u64, output_hash: &[u8; 32], salt: &[u8], operator: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    length_prefixed(&mut hasher, COMMITMENT_DOMAIN.as_bytes());
    hasher.update(job_id.to_be_bytes());
    hasher.update(output_hash);
    length_prefixed(&mut hasher, salt);
    length_prefixed(&mut hasher, operator.as_bytes());
    hasher.finalize().into()
}

/// The 32-byte message an operator's attestation key signs: it names the chain, the escrow
/// contract and the job, so a signature is worthless anywhere else.
pub fn attestation_digest(
    chain_id: &str,
    escrow_addr: &str,
    job_id: u64,
    model_hash: &[u8; 32],
    input_hash: &[u8; 32],
    output_hash: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    length_prefixed(&mut hasher, ATTESTATION_DOMAIN.as_bytes());
    length_prefixed(&mut hasher, chain_id.as_bytes());
    length_prefixed(&mut hasher, escrow_addr.as_bytes());
    hasher.update(job_id.to_be_bytes());
    hasher.update(model_hash);
    hasher.update(input_hash);
    hasher.update(output_hash);
    hasher.finalize().into()
}

/// The 32-byte message a new attestation key signs (as a prehash, like [`attestation_digest`])
/// to be registered for `operator` in the staking contract at `staking_addr` on `chain_id`.
pub fn key_possession_digest(
    chain_id: &str,
    staking_addr: &str,
    operator: &str,
    pubkey: &[u8],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    length_prefixed(&mut hasher, KEY_POSSESSION_DOMAIN.as_bytes());
    length_prefixed(&mut hasher, chain_id.as_bytes());
    length_prefixed(&mut hasher, staking_addr.as_bytes());
    length_prefixed(&mut hasher, operator.as_bytes());
    length_prefixed(&mut hasher, pubkey);
    hasher.finalize().into()
}

fn length_prefixed(hasher: &mut Sha256, bytes: &[u8]) {
    // Fields are bounded far below 4 GiB by the contract's size limits; saturate rather than wrap
    // so that an absurd length can never alias a short one.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    hasher.update(len.to_be_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_every_field() {
        let base = commitment(1, &[7; 32], b"salt", "op");
        assert_ne!(base, commitment(2, &[7; 32], b"salt", "op"));
        assert_ne!(base, commitment(1, &[8; 32], b"salt", "op"));
        assert_ne!(base, commitment(1, &[7; 32], b"salT", "op"));
        assert_ne!(base, commitment(1, &[7; 32], b"salt", "oq"));
        // Moving a byte between salt and operator changes the hash thanks to the length prefixes.
        assert_ne!(base, commitment(1, &[7; 32], b"sal", "top"));
    }

    #[test]
    fn digest_binds_every_field() {
        let base = attestation_digest("c", "e", 1, &[1; 32], &[2; 32], &[3; 32]);
        assert_ne!(
            base,
            attestation_digest("d", "e", 1, &[1; 32], &[2; 32], &[3; 32])
        );
        assert_ne!(
            base,
            attestation_digest("c", "f", 1, &[1; 32], &[2; 32], &[3; 32])
        );
        assert_ne!(
            base,
            attestation_digest("c", "e", 2, &[1; 32], &[2; 32], &[3; 32])
        );
        assert_ne!(
            base,
            attestation_digest("c", "e", 1, &[9; 32], &[2; 32], &[3; 32])
        );
        assert_ne!(
            base,
            attestation_digest("c", "e", 1, &[1; 32], &[9; 32], &[3; 32])
        );
        assert_ne!(
            base,
            attestation_digest("c", "e", 1, &[1; 32], &[2; 32], &[9; 32])
        );
        assert_ne!(
            base,
            attestation_digest("ce", "", 1, &[1; 32], &[2; 32], &[3; 32])
        );
    }

    /// The generator point: the public key of the secret scalar 1.
    const GENERATOR: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

    #[test]
    fn key_possession_digest_known_answer() {
        // Computed independently with Python's hashlib over the documented byte layout:
        // sha256(lp(tag) + lp(b"sibyl-1") + lp(b"wasm1staking") + lp(b"wasm1operator") + lp(G)).
        let pubkey = hex::decode(GENERATOR).unwrap();
        let digest = key_possession_digest("sibyl-1", "wasm1staking", "wasm1operator", &pubkey);
        assert_eq!(
            hex::encode(digest),
            "8c2adec6af864297294ecc0cd23a773a4f1641698326a4ea7e4efbfcf223ccb1"
        );
    }

    #[test]
    fn key_possession_digest_binds_every_field() {
        let base = key_possession_digest("c", "s", "o", &[2; 33]);
        assert_ne!(base, key_possession_digest("d", "s", "o", &[2; 33]));
        assert_ne!(base, key_possession_digest("c", "t", "o", &[2; 33]));
        assert_ne!(base, key_possession_digest("c", "s", "p", &[2; 33]));
        assert_ne!(base, key_possession_digest("c", "s", "o", &[3; 33]));
        assert_ne!(base, key_possession_digest("cs", "", "o", &[2; 33]));
        // Never equal to an attestation digest or a commitment over similar bytes.
        assert_ne!(
            base,
            attestation_digest("c", "s", 0, &[0; 32], &[0; 32], &[0; 32])
        );
    }

    #[test]
    fn a_prehash_signature_over_the_key_digest_verifies() {
        use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
        use k256::ecdsa::{Signature, SigningKey};
        let mut secret = [0u8; 32];
        secret[31] = 1;
        let key = SigningKey::from_bytes(&secret.into()).unwrap();
        let pubkey = key.verifying_key().to_encoded_point(true);
        assert_eq!(hex::encode(pubkey.as_bytes()), GENERATOR);
        let digest = key_possession_digest("sibyl-1", "wasm1staking", "wasm1op", pubkey.as_bytes());
        let signature: Signature = key.sign_prehash(&digest).unwrap();
        assert_eq!(signature.to_bytes().len(), SIGNATURE_LEN);
        key.verifying_key()
            .verify_prehash(&digest, &signature)
            .unwrap();
    }
}
