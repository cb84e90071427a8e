//! Validation of operator-supplied data.

use cosmwasm_std::{Addr, Api, Decimal, Env};
use sibyl_api::attestation::{key_possession_digest, SIGNATURE_LEN};
use sibyl_api::staking::{ATTESTATION_PUBKEY_LEN, MAX_MONIKER_LEN};

use crate::error::ContractError;

/// Accepts a 33-byte compressed SEC1 secp256k1 key that is a point on the curve.
///
/// The curve check is delegated to the host: `secp256k1_verify` parses the key before it
/// checks the signature, so with a well-formed probe signature it returns an error exactly when
/// the key is not a valid point (and `Ok(false)` otherwise). This costs one host call (about 700
/// SDK gas) instead of linking an elliptic-curve library into the contract.
pub fn validate_attestation_pubkey(api: &dyn Api, key: &[u8]) -> Result<(), ContractError> {
    check_key_encoding(key)?;
    // r = 1, s = 1: a syntactically valid signature, so only the key can make parsing fail.
    let mut probe_signature = [0u8; SIGNATURE_LEN];
    probe_signature[31] = 1;
    probe_signature[63] = 1;
    match api.secp256k1_verify(&[0u8; 32], &probe_signature, key) {
        Ok(_) => Ok(()),
        Err(_) => Err(not_a_point()),
    }
}

/// Proof of possession: `signature` must be a secp256k1 signature by `key` over
/// [`key_possession_digest`] for this chain, this contract and `operator`. Without it anybody
/// could register a victim's public key first and so block its registration or rotation.
///
/// One host call when the proof is good; a failing call is repeated with a probe signature only
/// to tell a bad key from a bad signature in the error.
pub fn verify_attestation_key(
    api: &dyn Api,
    env: &Env,
    operator: &Addr,
    key: &[u8],
    signature: &[u8],
) -> Result<(), ContractError> {
    check_key_encoding(key)?;
    if signature.len() != SIGNATURE_LEN {
        return Err(ContractError::InvalidKeySignature {
            reason: format!(
                "expected a {SIGNATURE_LEN}-byte compact signature (r ‖ s), got {} bytes",
                signature.len()
            ),
        });
    }
    let digest = key_possession_digest(
        &env.block.chain_id,
        env.contract.address.as_str(),
        operator.as_str(),
        key,
    );
    match api.secp256k1_verify(&digest, signature, key) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ContractError::InvalidKeySignature {
            reason: "it is not a signature by this key over the key-possession digest of this \
                     chain, contract and operator (sibyl_api::attestation::key_possession_digest)"
                .to_string(),
        }),
        Err(_) => {
            validate_attestation_pubkey(api, key)?;
            Err(ContractError::InvalidKeySignature {
                reason: "malformed signature (r and s must be non-zero and below the curve order)"
                    .to_string(),
            })
        }
    }
}

fn check_key_encoding(key: &[u8]) -> Result<(), ContractError> {
    if key.len() != ATTESTATION_PUBKEY_LEN {
        return Err(ContractError::InvalidPubkey {
            reason: format!(
                "expected {ATTESTATION_PUBKEY_LEN} bytes (compressed secp256k1), got {}",
                key.len()
            ),
        });
    }
    if key[0] != 0x02 && key[0] != 0x03 {
        return Err(ContractError::InvalidPubkey {
            reason: "a compressed key starts with 0x02 or 0x03".to_string(),
        });
    }
    Ok(())
}

fn not_a_point() -> ContractError {
    ContractError::InvalidPubkey {
        reason: "not a point on the secp256k1 curve".to_string(),
    }
}

pub fn validate_moniker(moniker: &str) -> Result<(), ContractError> {
    if moniker.trim().is_empty() {
        return Err(ContractError::InvalidMoniker {
            reason: "it is empty".to_string(),
        });
    }
    if moniker.len() > MAX_MONIKER_LEN {
        return Err(ContractError::InvalidMoniker {
            reason: format!("longer than {MAX_MONIKER_LEN} bytes"),
        });
    }
    if moniker.chars().any(char::is_control) {
        return Err(ContractError::InvalidMoniker {
            reason: "it contains control characters".to_string(),
        });
    }
    Ok(())
}

pub fn validate_commission(commission: Decimal, max: Decimal) -> Result<(), ContractError> {
    if commission > max {
        return Err(ContractError::CommissionOutOfRange { commission, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockApi;

    /// The secp256k1 generator point, compressed.
    const GENERATOR: [u8; 33] = [
        0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87,
        0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16,
        0xf8, 0x17, 0x98,
    ];

    #[test]
    fn accepts_a_curve_point() {
        validate_attestation_pubkey(&MockApi::default(), &GENERATOR).unwrap();
    }

    #[test]
    fn rejects_wrong_length_prefix_and_off_curve_keys() {
        let api = MockApi::default();
        let err = |key: &[u8]| {
            validate_attestation_pubkey(&api, key)
                .unwrap_err()
                .to_string()
        };
        assert!(err(&GENERATOR[..32]).contains("expected 33 bytes"));
        let mut uncompressed_prefix = GENERATOR;
        uncompressed_prefix[0] = 0x04;
        assert!(err(&uncompressed_prefix).contains("0x02 or 0x03"));
        // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is not a square mod p).
        let mut off_curve = [0u8; 33];
        off_curve[0] = 0x02;
        off_curve[32] = 5;
        assert!(err(&off_curve).contains("not a point"));
    }

    #[test]
    fn monikers_must_be_short_printable_and_non_empty() {
        validate_moniker("gpu-farm-1").unwrap();
        assert!(validate_moniker("  ").is_err());
        assert!(validate_moniker(&"x".repeat(MAX_MONIKER_LEN + 1)).is_err());
        assert!(validate_moniker("bad\nname").is_err());
    }

    #[test]
    fn commission_is_capped() {
        validate_commission(Decimal::percent(10), Decimal::percent(10)).unwrap();
        assert!(matches!(
            validate_commission(Decimal::percent(11), Decimal::percent(10)),
            Err(ContractError::CommissionOutOfRange { .. })
        ));
    }
}
