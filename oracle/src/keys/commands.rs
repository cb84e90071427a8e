//! What `sibyl-oracle keys new|import|show|rotate-attestation` do, separate from argument parsing
//! and from how the passphrase is read. Each command returns a printable outcome; an outcome that
//! carries a secret prints it only because the operator asked for that command.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::file::read_public_info;
use super::kdf::KdfParams;
use super::operator::OperatorKeys;
use super::public::PublicKeyInfo;
use super::KeyError;

/// `keys new`: a fresh mnemonic, saved encrypted.
pub struct NewArgs {
    pub key_file: PathBuf,
    pub passphrase: Zeroizing<String>,
    pub bech32_prefix: String,
    pub kdf: KdfParams,
    pub overwrite: bool,
}

/// The new keys' public facts and the mnemonic, shown once so the operator can back it up.
pub struct NewOutcome {
    pub key_file: PathBuf,
    pub public: PublicKeyInfo,
    pub mnemonic: Zeroizing<String>,
}

pub fn new(args: &NewArgs) -> Result<NewOutcome, KeyError> {
    let keys = OperatorKeys::generate(&args.bech32_prefix)?;
    keys.save(&args.key_file, &args.passphrase, &args.kdf, args.overwrite)?;
    Ok(NewOutcome {
        key_file: args.key_file.clone(),
        public: keys.public_info(),
        mnemonic: keys.mnemonic_phrase(),
    })
}

impl std::fmt::Display for NewOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "created key file {}", self.key_file.display())?;
        writeln!(f, "{}", self.public)?;
        writeln!(f)?;
        writeln!(
            f,
            "mnemonic (shown only now: write it down offline; it recovers both keys):"
        )?;
        write!(f, "{}", self.mnemonic.as_str())
    }
}

impl std::fmt::Debug for NewOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOutcome")
            .field("key_file", &self.key_file)
            .field("public", &self.public)
            .field("mnemonic", &"<redacted>")
            .finish()
    }
}

/// `keys import`: keys from an existing mnemonic, saved encrypted.
pub struct ImportArgs {
    pub key_file: PathBuf,
    pub passphrase: Zeroizing<String>,
    pub mnemonic: Zeroizing<String>,
    pub bech32_prefix: String,
    /// The attestation key's account index (1 unless the key was rotated before).
    pub attestation_index: u32,
    pub kdf: KdfParams,
    pub overwrite: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub key_file: PathBuf,
    pub public: PublicKeyInfo,
}

pub fn import(args: &ImportArgs) -> Result<ImportOutcome, KeyError> {
    let keys =
        OperatorKeys::from_phrase(&args.mnemonic, &args.bech32_prefix, args.attestation_index)?;
    keys.save(&args.key_file, &args.passphrase, &args.kdf, args.overwrite)?;
    Ok(ImportOutcome {
        key_file: args.key_file.clone(),
        public: keys.public_info(),
    })
}

impl std::fmt::Display for ImportOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "imported into key file {}", self.key_file.display())?;
        write!(f, "{}", self.public)
    }
}

/// `keys show`: public facts; with the passphrase they are verified, and with `reveal_mnemonic`
/// the mnemonic is shown too.
pub struct ShowArgs {
    pub key_file: PathBuf,
    pub passphrase: Option<Zeroizing<String>>,
    pub reveal_mnemonic: bool,
}

pub struct ShowOutcome {
    pub public: PublicKeyInfo,
    /// True when the file was decrypted and its public header checked against the mnemonic.
    pub verified: bool,
    pub mnemonic: Option<Zeroizing<String>>,
}

pub fn show(args: &ShowArgs) -> Result<ShowOutcome, KeyError> {
    match &args.passphrase {
        None if args.reveal_mnemonic => Err(KeyError::PassphraseRequired {
            what: "showing the mnemonic",
        }),
        None => Ok(ShowOutcome {
            public: read_public_info(&args.key_file)?,
            verified: false,
            mnemonic: None,
        }),
        Some(passphrase) => {
            let keys = OperatorKeys::load(&args.key_file, passphrase)?;
            Ok(ShowOutcome {
                public: keys.public_info(),
                verified: true,
                mnemonic: args.reveal_mnemonic.then(|| keys.mnemonic_phrase()),
            })
        }
    }
}

impl std::fmt::Display for ShowOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.public)?;
        if !self.verified {
            write!(
                f,
                "\n(read from the file header without decrypting it; give the passphrase to verify)"
            )?;
        }
        if let Some(mnemonic) = &self.mnemonic {
            write!(f, "\n\nmnemonic (keep it secret):\n{}", mnemonic.as_str())?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for ShowOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShowOutcome")
            .field("public", &self.public)
            .field("verified", &self.verified)
            .field("mnemonic", &self.mnemonic.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `keys rotate-attestation`: move the attestation key to the next derivation index and rewrite the
/// key file. The operator then registers the new key with `RotateAttestationKey`.
pub struct RotateAttestationArgs {
    pub key_file: PathBuf,
    pub passphrase: Zeroizing<String>,
    pub kdf: KdfParams,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateAttestationOutcome {
    pub previous_index: u32,
    pub previous_pubkey: [u8; 33],
    pub public: PublicKeyInfo,
}

pub fn rotate_attestation(
    args: &RotateAttestationArgs,
) -> Result<RotateAttestationOutcome, KeyError> {
    let mut keys = OperatorKeys::load(&args.key_file, &args.passphrase)?;
    let previous_index = keys.attestation_index();
    let previous_pubkey = keys.attestation_pubkey();
    keys.rotate_attestation()?;
    keys.save(&args.key_file, &args.passphrase, &args.kdf, true)?;
    Ok(RotateAttestationOutcome {
        previous_index,
        previous_pubkey,
        public: keys.public_info(),
    })
}

impl std::fmt::Display for RotateAttestationOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "attestation key rotated from index {} ({}) to index {}",
            self.previous_index,
            hex::encode(self.previous_pubkey),
            self.public.attestation_index
        )?;
        writeln!(f, "{}", self.public)?;
        write!(
            f,
            "now send RotateAttestationKey to the staking contract with the new public key; \
             results signed with the old key stop verifying once it is replaced"
        )
    }
}
