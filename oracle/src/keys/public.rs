//! The public facts about an operator's keys, safe to print and to put in a config or a message.

use cosmwasm_std::Binary;
use serde::{Deserialize, Serialize};

/// What `keys show` prints: addresses, public keys and derivation paths, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyInfo {
    pub bech32_prefix: String,
    pub account_address: String,
    #[serde(with = "hex")]
    pub account_pubkey: [u8; 33],
    pub account_path: String,
    pub attestation_index: u32,
    /// The key to register with `RegisterOperator` / `RotateAttestationKey`.
    #[serde(with = "hex")]
    pub attestation_pubkey: [u8; 33],
    pub attestation_path: String,
}

impl PublicKeyInfo {
    /// The attestation public key as base64, the encoding of `Binary` in contract JSON messages.
    pub fn attestation_pubkey_base64(&self) -> String {
        Binary::from(self.attestation_pubkey.as_slice()).to_base64()
    }
}

impl std::fmt::Display for PublicKeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "account address:        {}", self.account_address)?;
        writeln!(
            f,
            "account public key:     {} ({})",
            hex::encode(self.account_pubkey),
            self.account_path
        )?;
        writeln!(
            f,
            "attestation public key: {} ({}, index {})",
            hex::encode(self.attestation_pubkey),
            self.attestation_path,
            self.attestation_index
        )?;
        write!(
            f,
            "attestation public key (base64, for RegisterOperator): {}",
            self.attestation_pubkey_base64()
        )
    }
}
