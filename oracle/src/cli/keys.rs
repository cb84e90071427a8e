//! `sibyl-oracle keys`: argument parsing and passphrase input around the keys module's commands.
//!
//! The passphrase comes from `--passphrase-file`, else the `SIBYL_KEY_PASSPHRASE` variable (for
//! automation), else a hidden prompt.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::config_file::KeyConfig;
use crate::keys::commands::{self, ImportArgs, NewArgs, RotateAttestationArgs, ShowArgs};
use crate::keys::{
    KdfParams, KeyFileKeys, OperatorKeys, EMBEDDED_CHAIN_PREFIX, FIRST_ATTESTATION_INDEX,
};

/// Environment variable read for the passphrase when no `--passphrase-file` is given.
pub const PASSPHRASE_ENV: &str = "SIBYL_KEY_PASSPHRASE";

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new mnemonic, derive the account and attestation keys, save them encrypted.
    New(NewKeyArgs),
    /// Import keys from an existing mnemonic and save them encrypted.
    Import(ImportKeyArgs),
    /// Show the public keys and account address (verified when the passphrase is given).
    Show(ShowKeyArgs),
    /// Move the attestation key to the next derivation index (then send RotateAttestationKey).
    RotateAttestation(RotateKeyArgs),
    /// Write an account key file: the account key alone, for a node host whose attestation key
    /// stays with `sibyl-oracle signer` (the full key file stays on the signer's host).
    ExportAccount(ExportAccountArgs),
}

#[derive(Debug, Args)]
pub struct ExportAccountArgs {
    /// The full key file (with the mnemonic).
    #[command(flatten)]
    pub file: KeyFileArgs,
    /// The account key file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// The new file's passphrase, from this file (default: the full key file's passphrase).
    #[arg(long)]
    pub out_passphrase_file: Option<PathBuf>,
    /// Replace an existing file at --out.
    #[arg(long)]
    pub overwrite: bool,
}

/// Where the key file is and how its passphrase is given.
#[derive(Debug, Args)]
pub struct KeyFileArgs {
    /// The encrypted key file.
    #[arg(long, default_value = "sibyl-oracle.key")]
    pub key_file: PathBuf,
    /// Read the passphrase from this file (first line) instead of SIBYL_KEY_PASSPHRASE or a prompt.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    #[command(flatten)]
    pub file: KeyFileArgs,
    /// Bech32 prefix of the chain's addresses.
    #[arg(long, default_value = EMBEDDED_CHAIN_PREFIX)]
    pub bech32_prefix: String,
    /// Replace an existing key file.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct ImportKeyArgs {
    #[command(flatten)]
    pub file: KeyFileArgs,
    /// Read the mnemonic from this file instead of a hidden prompt.
    #[arg(long)]
    pub mnemonic_file: Option<PathBuf>,
    /// Bech32 prefix of the chain's addresses.
    #[arg(long, default_value = EMBEDDED_CHAIN_PREFIX)]
    pub bech32_prefix: String,
    /// Derivation index of the attestation key (higher after rotations).
    #[arg(long, default_value_t = FIRST_ATTESTATION_INDEX)]
    pub attestation_index: u32,
    /// Replace an existing key file.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct ShowKeyArgs {
    /// The encrypted key file.
    #[arg(long, default_value = "sibyl-oracle.key")]
    pub key_file: PathBuf,
    /// Verify the file with the passphrase from this file.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Decrypt and verify the file (passphrase from SIBYL_KEY_PASSPHRASE or a prompt).
    #[arg(long)]
    pub verify: bool,
    /// Also print the mnemonic (needs the passphrase).
    #[arg(long)]
    pub reveal_mnemonic: bool,
}

#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    #[command(flatten)]
    pub file: KeyFileArgs,
}

impl KeysCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            KeysCommand::New(args) => {
                let passphrase = read_passphrase(args.file.passphrase_file.as_deref(), true)?;
                let outcome = commands::new(&NewArgs {
                    key_file: args.file.key_file,
                    passphrase,
                    bech32_prefix: args.bech32_prefix,
                    kdf: KdfParams::default(),
                    overwrite: args.overwrite,
                })?;
                println!("{outcome}");
            }
            KeysCommand::Import(args) => {
                let mnemonic = match &args.mnemonic_file {
                    Some(path) => read_secret_file(path, "mnemonic")?,
                    None => Zeroizing::new(
                        rpassword::prompt_password("mnemonic: ")
                            .context("cannot read the mnemonic from the terminal")?,
                    ),
                };
                let passphrase = read_passphrase(args.file.passphrase_file.as_deref(), true)?;
                let outcome = commands::import(&ImportArgs {
                    key_file: args.file.key_file,
                    passphrase,
                    mnemonic,
                    bech32_prefix: args.bech32_prefix,
                    attestation_index: args.attestation_index,
                    kdf: KdfParams::default(),
                    overwrite: args.overwrite,
                })?;
                println!("{outcome}");
            }
            KeysCommand::Show(args) => {
                let wants_passphrase =
                    args.verify || args.reveal_mnemonic || args.passphrase_file.is_some();
                let passphrase = if wants_passphrase {
                    Some(read_passphrase(args.passphrase_file.as_deref(), false)?)
                } else {
                    None
                };
                let outcome = commands::show(&ShowArgs {
                    key_file: args.key_file,
                    passphrase,
                    reveal_mnemonic: args.reveal_mnemonic,
                })?;
                println!("{outcome}");
            }
            KeysCommand::RotateAttestation(args) => {
                let passphrase = read_passphrase(args.file.passphrase_file.as_deref(), false)?;
                let outcome = commands::rotate_attestation(&RotateAttestationArgs {
                    key_file: args.file.key_file,
                    passphrase,
                    kdf: KdfParams::default(),
                })?;
                println!("{outcome}");
            }
            KeysCommand::ExportAccount(args) => {
                let passphrase = read_passphrase(args.file.passphrase_file.as_deref(), false)?;
                let keys = OperatorKeys::load(&args.file.key_file, &passphrase)?;
                let out_passphrase = match &args.out_passphrase_file {
                    Some(path) => read_secret_file(path, "passphrase")?,
                    None => passphrase,
                };
                keys.save_account_key(
                    &args.out,
                    &out_passphrase,
                    &KdfParams::default(),
                    args.overwrite,
                )?;
                println!(
                    "wrote account key file {} for {} (no mnemonic, no attestation key: those \
                     stay in {} on the signer's host)",
                    args.out.display(),
                    keys.account_address(),
                    args.file.key_file.display()
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Decrypts the key file that a config file names, which may be an account key file.
pub fn load_key_file(config: &KeyConfig) -> anyhow::Result<KeyFileKeys> {
    let passphrase = read_passphrase(config.passphrase_file.as_deref(), false)?;
    crate::keys::load_key_file(&config.file, &passphrase)
        .with_context(|| format!("cannot open the key file {}", config.file.display()))
}

/// Decrypts the key file that a config file names, which must hold the mnemonic.
pub fn load_keys(config: &KeyConfig) -> anyhow::Result<OperatorKeys> {
    let passphrase = read_passphrase(config.passphrase_file.as_deref(), false)?;
    OperatorKeys::load(&config.file, &passphrase)
        .with_context(|| format!("cannot open the key file {}", config.file.display()))
}

/// The passphrase from `file`, the environment, or a prompt (asked twice when `confirm`).
pub fn read_passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Some(path) = file {
        return read_secret_file(path, "passphrase");
    }
    if let Ok(value) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Zeroizing::new(value));
    }
    let first = Zeroizing::new(rpassword::prompt_password("key file passphrase: ").context(
        "cannot read the passphrase (no terminal? use --passphrase-file or SIBYL_KEY_PASSPHRASE)",
    )?);
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("repeat the passphrase: ")
                .context("cannot read the passphrase from the terminal")?,
        );
        if *first != *second {
            bail!("the two passphrases differ");
        }
    }
    Ok(first)
}

/// The first line of a secret file, without its line ending.
fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<Zeroizing<String>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        bail!("the {what} file {} is empty", path.display());
    }
    Ok(Zeroizing::new(line.to_string()))
}
