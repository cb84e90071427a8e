//! Errors of the key module. Messages name the file and say what the operator can do; none of them
//! ever carries secret material.

use std::path::PathBuf;

/// Everything that can go wrong creating, loading or using operator keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "key file {path} does not exist: create one with `sibyl-oracle keys new` or `keys import`"
    )]
    NotFound { path: PathBuf },

    #[error("key file {path} already exists: refusing to overwrite it (move it away first if you really mean to replace it)")]
    AlreadyExists { path: PathBuf },

    #[error("wrong passphrase for key file {path} (or its encrypted part was modified)")]
    WrongPassphrase { path: PathBuf },

    #[error("key file {path} is corrupted: {reason}; restore it from a backup or re-import the mnemonic")]
    Corrupted { path: PathBuf, reason: String },

    #[error("key file {path} has format version {found}, this build reads version {supported}; use a matching sibyl-oracle release")]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error("I/O error on key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("key file {path} holds the account key only (a node host's file, `keys export-account`); this needs the key file with the mnemonic")]
    AccountKeyOnly { path: PathBuf },

    #[error("invalid mnemonic: {reason}")]
    InvalidMnemonic { reason: String },

    #[error("invalid bech32 address prefix {prefix:?}: {reason}")]
    InvalidPrefix { prefix: String, reason: String },

    #[error("the key file's passphrase is required for {what}")]
    PassphraseRequired { what: &'static str },

    #[error("passphrase too short: use at least {min} characters")]
    PassphraseTooShort { min: usize },

    #[error("invalid key-derivation parameters: {reason}")]
    InvalidKdfParams { reason: String },

    #[error(
        "attestation key index {index} is out of range (1 to {max}); index 0 is the account key's"
    )]
    InvalidAttestationIndex { index: u32, max: u32 },

    #[error("key derivation failed: {reason}")]
    Derivation { reason: String },

    #[error("could not seal the key file: {reason}")]
    Encryption { reason: String },

    #[error("signing failed: {reason}")]
    Signing { reason: String },

    #[error("could not draw randomness from the operating system: {reason}")]
    Randomness { reason: String },
}
