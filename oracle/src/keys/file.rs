//! The encrypted key file: versioned JSON, the mnemonic sealed with XChaCha20-Poly1305 under an
//! Argon2id-stretched passphrase, public keys in clear but authenticated.
//!
//! ```json
//! {
//!   "format": "sibyl-oracle-keyfile", "version": 1,
//!   "public": { "bech32_prefix": "...", "account_address": "...", "account_pubkey": "<hex 33>",
//!               "attestation_index": 1, "attestation_pubkey": "<hex 33>" },
//!   "kdf": { "algorithm": "argon2id", "version": 19, "memory_kib": 65536, "iterations": 3,
//!            "parallelism": 4, "salt": "<hex 16>" },
//!   "cipher": { "algorithm": "xchacha20poly1305", "nonce": "<hex 24>" },
//!   "ciphertext": "<hex: the mnemonic's UTF-8 bytes, then the 16-byte Poly1305 tag>"
//! }
//! ```
//!
//! Every header field is bound into the AEAD's associated data (see [`associated_data`]), so a
//! changed address, public key, index or KDF parameter fails decryption just like a wrong
//! passphrase; after decryption the keys are re-derived and compared with the header.
//!
//! An account key file (`"format": "sibyl-oracle-account-keyfile"`, `keys export-account`) has
//! the same layout, but its ciphertext is the account key's 32-byte secret alone: the file of a
//! node host whose attestation key is held by `sibyl-oracle signer`. Its header still names the
//! attestation public key, which the node expects the signer to sign with.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::hd::{account_path, attestation_path};
use super::kdf::{KdfParams, SALT_LEN};
use super::operator::OperatorKeys;
use super::public::PublicKeyInfo;
use super::signing::AccountKey;
use super::KeyError;

pub const KEY_FILE_FORMAT: &str = "sibyl-oracle-keyfile";
pub const ACCOUNT_KEY_FILE_FORMAT: &str = "sibyl-oracle-account-keyfile";
pub const KEY_FILE_VERSION: u32 = 1;
/// Shortest passphrase accepted when a key file is written.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

const KDF_ALGORITHM: &str = "argon2id";
/// Argon2 version 1.3 (0x13).
const KDF_VERSION: u32 = 0x13;
const CIPHER_ALGORITHM: &str = "xchacha20poly1305";
const NONCE_LEN: usize = 24;
/// A key file is a few hundred bytes; anything far larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileDocument {
    format: String,
    version: u32,
    public: PublicSection,
    kdf: KdfSection,
    cipher: CipherSection,
    #[serde(with = "hex")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicSection {
    bech32_prefix: String,
    account_address: String,
    #[serde(with = "hex")]
    account_pubkey: [u8; 33],
    attestation_index: u32,
    #[serde(with = "hex")]
    attestation_pubkey: [u8; 33],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfSection {
    algorithm: String,
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    #[serde(with = "hex")]
    salt: [u8; SALT_LEN],
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CipherSection {
    algorithm: String,
    #[serde(with = "hex")]
    nonce: [u8; NONCE_LEN],
}

/// Just enough of a document to route it before a strict parse.
#[derive(Deserialize)]
struct FormatProbe {
    format: Option<String>,
    version: Option<u32>,
}

impl KdfSection {
    fn params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

impl OperatorKeys {
    /// Encrypts these keys under `passphrase` and writes them to `path` with mode 0600
    /// (atomically: a temporary file, fsync, then link or rename). Without `overwrite` an existing
    /// file is never replaced.
    pub fn save(
        &self,
        path: &Path,
        passphrase: &str,
        kdf: &KdfParams,
        overwrite: bool,
    ) -> Result<(), KeyError> {
        let phrase = self.mnemonic().phrase();
        let secret = (KEY_FILE_FORMAT, phrase.as_bytes());
        self.write_file(secret, path, passphrase, kdf, overwrite)
    }

    /// Writes an account key file: the account key alone, for a node host whose attestation key
    /// stays with `sibyl-oracle signer`. Same rules as [`OperatorKeys::save`].
    pub fn save_account_key(
        &self,
        path: &Path,
        passphrase: &str,
        kdf: &KdfParams,
        overwrite: bool,
    ) -> Result<(), KeyError> {
        let key = self.account().secret_bytes();
        let secret = (ACCOUNT_KEY_FILE_FORMAT, key.as_slice());
        self.write_file(secret, path, passphrase, kdf, overwrite)
    }

    /// Seals `(format, secret)` under these keys' public header and writes it.
    fn write_file(
        &self,
        (format, secret): (&str, &[u8]),
        path: &Path,
        passphrase: &str,
        kdf: &KdfParams,
        overwrite: bool,
    ) -> Result<(), KeyError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(KeyError::PassphraseTooShort {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        kdf.validate()?;
        if !overwrite && path.exists() {
            return Err(KeyError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let bytes = encrypt_document(format, self.public_section(), secret, passphrase, kdf)?;
        write_private_file(path, &bytes, overwrite)
    }

    /// Reads and decrypts the key file at `path`, which must hold the mnemonic.
    pub fn load(path: &Path, passphrase: &str) -> Result<Self, KeyError> {
        match load_key_file(path, passphrase)? {
            KeyFileKeys::Operator(keys) => Ok(keys),
            KeyFileKeys::Account { .. } => Err(KeyError::AccountKeyOnly {
                path: path.to_owned(),
            }),
        }
    }

    fn public_section(&self) -> PublicSection {
        PublicSection {
            bech32_prefix: self.bech32_prefix().to_owned(),
            account_address: self.account_address().to_owned(),
            account_pubkey: self.account_pubkey(),
            attestation_index: self.attestation_index(),
            attestation_pubkey: self.attestation_pubkey(),
        }
    }
}

/// What a key file holds.
#[derive(Debug)]
pub enum KeyFileKeys {
    /// The mnemonic, so both keys (`keys new`, `keys import`).
    Operator(OperatorKeys),
    /// The account key alone (`keys export-account`), with the public half of the attestation
    /// key that a remote signer holds.
    Account {
        account: AccountKey,
        attestation_pubkey: [u8; 33],
    },
}

impl KeyFileKeys {
    pub fn account(&self) -> &AccountKey {
        match self {
            Self::Operator(keys) => keys.account(),
            Self::Account { account, .. } => account,
        }
    }

    pub fn attestation_pubkey(&self) -> [u8; 33] {
        match self {
            Self::Operator(keys) => keys.attestation_pubkey(),
            Self::Account {
                attestation_pubkey, ..
            } => *attestation_pubkey,
        }
    }
}

/// Reads and decrypts a key file of either kind.
pub fn load_key_file(path: &Path, passphrase: &str) -> Result<KeyFileKeys, KeyError> {
    let document = read_document(path)?;
    let plaintext = decrypt_document(path, &document, passphrase)?;
    let public = &document.public;
    if document.format == ACCOUNT_KEY_FILE_FORMAT {
        let secret: [u8; 32] = plaintext
            .as_slice()
            .try_into()
            .map_err(|_| corrupted(path, "the account key is not 32 bytes"))?;
        let key = k256::ecdsa::SigningKey::from_slice(&secret)
            .map_err(|err| corrupted(path, format!("not a secp256k1 key ({err})")))?;
        let account =
            AccountKey::new(key, &public.bech32_prefix).map_err(|err| corrupted(path, err))?;
        if account.address() != public.account_address || account.pubkey() != public.account_pubkey
        {
            return Err(corrupted(
                path,
                "the public key in the header does not match the encrypted account key",
            ));
        }
        return Ok(KeyFileKeys::Account {
            account,
            attestation_pubkey: public.attestation_pubkey,
        });
    }
    let phrase = std::str::from_utf8(&plaintext)
        .map_err(|_| corrupted(path, "the decrypted mnemonic is not UTF-8"))?;
    let keys = OperatorKeys::from_phrase(phrase, &public.bech32_prefix, public.attestation_index)
        .map_err(|err| corrupted(path, err))?;
    let matches = keys.account_address() == public.account_address
        && keys.account_pubkey() == public.account_pubkey
        && keys.attestation_pubkey() == public.attestation_pubkey;
    if !matches {
        return Err(corrupted(
            path,
            "the public keys in the header do not match the encrypted mnemonic",
        ));
    }
    Ok(KeyFileKeys::Operator(keys))
}

/// The public keys recorded in a key file's header, read without the passphrase. The header is
/// only authenticated when the file is decrypted: use [`OperatorKeys::load`] to be sure.
pub fn read_public_info(path: &Path) -> Result<PublicKeyInfo, KeyError> {
    let document = read_document(path)?;
    let public = &document.public;
    let attestation_path =
        attestation_path(public.attestation_index).map_err(|err| corrupted(path, err))?;
    Ok(PublicKeyInfo {
        bech32_prefix: public.bech32_prefix.clone(),
        account_address: public.account_address.clone(),
        account_pubkey: public.account_pubkey,
        account_path: account_path(),
        attestation_index: public.attestation_index,
        attestation_pubkey: public.attestation_pubkey,
        attestation_path,
    })
}

fn encrypt_document(
    format: &str,
    public: PublicSection,
    secret: &[u8],
    passphrase: &str,
    kdf: &KdfParams,
) -> Result<Vec<u8>, KeyError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut salt)?;
    fill_random(&mut nonce)?;
    let mut document = KeyFileDocument {
        format: format.to_owned(),
        version: KEY_FILE_VERSION,
        public,
        kdf: KdfSection {
            algorithm: KDF_ALGORITHM.to_owned(),
            version: KDF_VERSION,
            memory_kib: kdf.memory_kib,
            iterations: kdf.iterations,
            parallelism: kdf.parallelism,
            salt,
        },
        cipher: CipherSection {
            algorithm: CIPHER_ALGORITHM.to_owned(),
            nonce,
        },
        ciphertext: Vec::new(),
    };
    let key = kdf.derive_key(passphrase, &salt)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_slice()));
    let aad = associated_data(&document);
    document.ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: &aad,
            },
        )
        .map_err(|_| KeyError::Encryption {
            reason: "the cipher rejected the secret".to_owned(),
        })?;
    let mut bytes = serde_json::to_vec_pretty(&document).map_err(|err| KeyError::Encryption {
        reason: format!("could not encode the key file: {err}"),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The document's secret (a mnemonic or an account key), authenticated with its header.
fn decrypt_document(
    path: &Path,
    document: &KeyFileDocument,
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if document.kdf.algorithm != KDF_ALGORITHM || document.kdf.version != KDF_VERSION {
        return Err(corrupted(
            path,
            format!(
                "unknown KDF {} version {}",
                document.kdf.algorithm, document.kdf.version
            ),
        ));
    }
    if document.cipher.algorithm != CIPHER_ALGORITHM {
        return Err(corrupted(
            path,
            format!("unknown cipher {}", document.cipher.algorithm),
        ));
    }
    let params = document.kdf.params();
    params.validate().map_err(|err| corrupted(path, err))?;
    let key = params.derive_key(passphrase, &document.kdf.salt)?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key.as_slice()));
    let aad = associated_data(document);
    cipher
        .decrypt(
            XNonce::from_slice(&document.cipher.nonce),
            Payload {
                msg: &document.ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| KeyError::WrongPassphrase {
            path: path.to_owned(),
        })
}

/// Length-prefixed encoding of every header field, bound to the ciphertext as AEAD associated data.
fn associated_data(document: &KeyFileDocument) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    let public = &document.public;
    let kdf = &document.kdf;
    let mut out = Vec::with_capacity(512);
    field(&mut out, document.format.as_bytes());
    field(&mut out, &document.version.to_be_bytes());
    field(&mut out, public.bech32_prefix.as_bytes());
    field(&mut out, public.account_address.as_bytes());
    field(&mut out, &public.account_pubkey);
    field(&mut out, &public.attestation_index.to_be_bytes());
    field(&mut out, &public.attestation_pubkey);
    field(&mut out, kdf.algorithm.as_bytes());
    field(&mut out, &kdf.version.to_be_bytes());
    field(&mut out, &kdf.memory_kib.to_be_bytes());
    field(&mut out, &kdf.iterations.to_be_bytes());
    field(&mut out, &kdf.parallelism.to_be_bytes());
    field(&mut out, &kdf.salt);
    field(&mut out, document.cipher.algorithm.as_bytes());
    field(&mut out, &document.cipher.nonce);
    out
}

fn read_document(path: &Path) -> Result<KeyFileDocument, KeyError> {
    let mut file = File::open(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => KeyError::NotFound {
            path: path.to_owned(),
        },
        _ => io_error(path, err),
    })?;
    let metadata = file.metadata().map_err(|err| io_error(path, err))?;
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(corrupted(
            path,
            format!("{} bytes is far too large for a key file", metadata.len()),
        ));
    }
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format_args!("{mode:o}"),
            "key file is readable by other users; run `chmod 600` on it"
        );
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|err| io_error(path, err))?;
    let probe: FormatProbe = serde_json::from_slice(&bytes)
        .map_err(|err| corrupted(path, format!("not valid JSON ({err})")))?;
    if !matches!(
        probe.format.as_deref(),
        Some(KEY_FILE_FORMAT | ACCOUNT_KEY_FILE_FORMAT)
    ) {
        return Err(corrupted(path, "not a sibyl-oracle key file"));
    }
    match probe.version {
        Some(KEY_FILE_VERSION) => {}
        Some(found) => {
            return Err(KeyError::UnsupportedVersion {
                path: path.to_owned(),
                found,
                supported: KEY_FILE_VERSION,
            })
        }
        None => return Err(corrupted(path, "missing format version")),
    }
    serde_json::from_slice(&bytes).map_err(|err| corrupted(path, err.to_string()))
}

/// Writes `bytes` to `path` readable by the owner only, never leaving a partial file behind.
pub(crate) fn write_private_file(
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
) -> Result<(), KeyError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&directory)
        .map_err(|err| io_error(&directory, err))?;
    let file_name = path
        .file_name()
        .ok_or_else(|| io_error(path, std::io::Error::other("the path has no file name")))?;
    let mut suffix = [0u8; 8];
    fill_random(&mut suffix)?;
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        hex::encode(suffix)
    ));
    let result = write_then_publish(&temporary, path, bytes, overwrite);
    if temporary.exists() {
        // Best effort: the temporary holds ciphertext only, and the error that matters is `result`.
        let _ = fs::remove_file(&temporary);
    }
    result?;
    File::open(&directory)
        .and_then(|dir| dir.sync_all())
        .map_err(|err| io_error(&directory, err))
}

fn write_then_publish(
    temporary: &Path,
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
) -> Result<(), KeyError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temporary)
        .map_err(|err| io_error(temporary, err))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|err| io_error(temporary, err))?;
    drop(file);
    if overwrite {
        fs::rename(temporary, path).map_err(|err| io_error(path, err))
    } else {
        // A hard link fails if `path` exists, so a concurrent writer can never be clobbered.
        fs::hard_link(temporary, path).map_err(|err| match err.kind() {
            std::io::ErrorKind::AlreadyExists => KeyError::AlreadyExists {
                path: path.to_owned(),
            },
            _ => io_error(path, err),
        })
    }
}

fn fill_random(buffer: &mut [u8]) -> Result<(), KeyError> {
    OsRng
        .try_fill_bytes(buffer)
        .map_err(|err| KeyError::Randomness {
            reason: err.to_string(),
        })
}

fn corrupted(path: &Path, reason: impl ToString) -> KeyError {
    KeyError::Corrupted {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        source,
    }
}
