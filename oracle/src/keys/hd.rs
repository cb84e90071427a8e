//! BIP-39 mnemonics and BIP-32/BIP-44 derivation of the operator's two secp256k1 keys.
//!
//! Both keys come from one mnemonic on the Cosmos coin type (118):
//! - the **account key** on `m/44'/118'/0'/0/0`, the path every Cosmos wallet uses, so the same
//!   mnemonic shows the same address in Keplr or `wasmd keys`;
//! - the **attestation key** on `m/44'/118'/N'/0/0` with account index `N >= 1` (1 at first).
//!   A different hardened account index gives an independent key that never signs transactions;
//!   rotating it means moving to `N + 1`, and the mnemonic alone recovers every key ever used.

use bip32::{DerivationPath, XPrv};
use k256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::KeyError;

/// SLIP-44 coin type of the Cosmos ecosystem.
pub const COSMOS_COIN_TYPE: u32 = 118;

/// The attestation key's first account index (index 0 is the account key).
pub const FIRST_ATTESTATION_INDEX: u32 = 1;

/// Largest hardened BIP-32 index.
pub const MAX_ATTESTATION_INDEX: u32 = (1 << 31) - 1;

/// Entropy of a freshly generated mnemonic: 256 bits, i.e. 24 words.
const NEW_MNEMONIC_ENTROPY_BYTES: usize = 32;

/// The account (transaction) key's derivation path.
pub fn account_path() -> String {
    format!("m/44'/{COSMOS_COIN_TYPE}'/0'/0/0")
}

/// The attestation key's derivation path for account index `index` (>= 1).
pub fn attestation_path(index: u32) -> Result<String, KeyError> {
    check_attestation_index(index)?;
    Ok(format!("m/44'/{COSMOS_COIN_TYPE}'/{index}'/0/0"))
}

pub(crate) fn check_attestation_index(index: u32) -> Result<(), KeyError> {
    if (FIRST_ATTESTATION_INDEX..=MAX_ATTESTATION_INDEX).contains(&index) {
        Ok(())
    } else {
        Err(KeyError::InvalidAttestationIndex {
            index,
            max: MAX_ATTESTATION_INDEX,
        })
    }
}

/// A validated English BIP-39 mnemonic. Its words are wiped from memory on drop and never shown by
/// `Debug`.
#[derive(Clone)]
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A new 24-word mnemonic from 256 bits of operating-system randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let mut entropy = Zeroizing::new([0u8; NEW_MNEMONIC_ENTROPY_BYTES]);
        OsRng
            .try_fill_bytes(entropy.as_mut())
            .map_err(|err| KeyError::Randomness {
                reason: err.to_string(),
            })?;
        let mnemonic = bip39::Mnemonic::from_entropy(entropy.as_ref()).map_err(|err| {
            KeyError::Derivation {
                reason: err.to_string(),
            }
        })?;
        Ok(Self(mnemonic))
    }

    /// Parses a phrase of 12, 15, 18, 21 or 24 English words (any whitespace between words, any
    /// letter case), checking every word and the checksum.
    pub fn parse(phrase: &str) -> Result<Self, KeyError> {
        let normalized = Zeroizing::new(
            phrase
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
        );
        bip39::Mnemonic::parse_in(bip39::Language::English, normalized.as_str())
            .map(Self)
            .map_err(|err| KeyError::InvalidMnemonic {
                reason: err.to_string(),
            })
    }

    /// The words, separated by single spaces. Handle with care: this is the master secret.
    pub fn phrase(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string())
    }

    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The 64-byte BIP-39 seed for an optional BIP-39 passphrase (Cosmos tools use "").
    pub fn to_seed(&self, bip39_passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed(bip39_passphrase))
    }
}

impl std::fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mnemonic({} words, redacted)", self.word_count())
    }
}

impl Drop for Mnemonic {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Derives the secp256k1 key at `path` (e.g. `m/44'/118'/0'/0/0`) from a BIP-32 seed (the 64-byte
/// BIP-39 seed of a mnemonic, or any 16 to 64 bytes).
pub fn derive_signing_key(seed: &[u8], path: &str) -> Result<SigningKey, KeyError> {
    let path: DerivationPath = path
        .parse()
        .map_err(|err: bip32::Error| KeyError::Derivation {
            reason: format!("bad derivation path {path:?}: {err}"),
        })?;
    let extended = XPrv::derive_from_path(seed, &path).map_err(|err| KeyError::Derivation {
        reason: err.to_string(),
    })?;
    Ok(extended.private_key().clone())
}

/// The 33-byte compressed SEC1 encoding of a key's public half.
pub fn compressed_pubkey(key: &SigningKey) -> [u8; 33] {
    let point = key.verifying_key().to_encoded_point(true);
    let mut out = [0u8; 33];
    out.copy_from_slice(point.as_bytes());
    out
}
