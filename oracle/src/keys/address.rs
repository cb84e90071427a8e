//! Cosmos account addresses: `bech32(prefix, ripemd160(sha256(compressed pubkey)))`.

use bech32::{Bech32, Hrp};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use super::KeyError;

/// The bech32 prefix of the embedded test chain (cw-multi-test's `MockApi` default).
pub const EMBEDDED_CHAIN_PREFIX: &str = "cosmwasm";

/// Checks that `prefix` is a usable bech32 human-readable part.
pub fn validate_prefix(prefix: &str) -> Result<(), KeyError> {
    parse_prefix(prefix).map(|_| ())
}

fn parse_prefix(prefix: &str) -> Result<Hrp, KeyError> {
    let invalid = |reason: String| KeyError::InvalidPrefix {
        prefix: prefix.to_owned(),
        reason,
    };
    if prefix.is_empty()
        || prefix
            .chars()
            .any(|c| !c.is_ascii_lowercase() && !c.is_ascii_digit())
    {
        return Err(invalid(
            "use lowercase ASCII letters and digits only, e.g. \"cosmos\" or \"wasm\"".to_owned(),
        ));
    }
    Hrp::parse(prefix).map_err(|err| invalid(err.to_string()))
}

/// The account address of a compressed secp256k1 public key under `prefix`.
pub fn account_address(pubkey: &[u8; 33], prefix: &str) -> Result<String, KeyError> {
    let hrp = parse_prefix(prefix)?;
    let account_id = Ripemd160::digest(Sha256::digest(pubkey));
    bech32::encode::<Bech32>(hrp, &account_id).map_err(|err| KeyError::InvalidPrefix {
        prefix: prefix.to_owned(),
        reason: err.to_string(),
    })
}
