//! Operator keys: a BIP-39 mnemonic, the Cosmos account key (`m/44'/118'/0'/0/0`) that signs
//! transactions and a separate attestation key (`m/44'/118'/N'/0/0`, N >= 1) that signs results,
//! kept in a passphrase-encrypted key file. A node host whose attestation key is held by
//! `sibyl-oracle signer` keeps an account key file instead: the account key alone.
//!
//! Secrets are zeroized on drop and redacted from `Debug`; only the `keys` commands that exist to
//! show the mnemonic ever print it. The operator-facing description is `docs/keys.md`.

pub mod address;
pub mod commands;
mod error;
pub mod file;
pub mod hd;
pub mod kdf;
mod operator;
mod public;
mod signing;

pub use address::{account_address, validate_prefix, EMBEDDED_CHAIN_PREFIX};
pub use error::KeyError;
pub use file::{load_key_file, read_public_info, KeyFileKeys};
pub use hd::{Mnemonic, FIRST_ATTESTATION_INDEX};
pub use kdf::KdfParams;
pub use operator::{AttestationKeyProof, OperatorKeys};
pub use public::PublicKeyInfo;
pub use signing::{verify_attestation, AccountKey, AttestationKey};
