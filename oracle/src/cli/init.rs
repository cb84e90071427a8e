//! `sibyl-oracle init`: everything a node needs before its first `run`, created where missing:
//! the config file, the key file (with `--new-key`), the data directory and the node database.
//! Safe to run again: what exists is kept.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::chain_args::ChainArgs;
use super::keys::read_passphrase;
use crate::config_file::{OracleConfig, Template};
use crate::deploy::Deployment;
use crate::keys::commands::{self, NewArgs};
use crate::keys::KdfParams;
use crate::node::records::Records;
use crate::node::{database_path, DatabaseMode};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The config file to write.
    #[arg(long, short, default_value = "sibyl-oracle.toml")]
    pub config: PathBuf,
    /// Take the chain and the contract addresses from this file (`sibyl-oracle deploy --out`).
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    #[command(flatten)]
    pub chain: ChainArgs,
    /// The job escrow contract (unless --deployment).
    #[arg(long)]
    pub escrow: Option<String>,
    /// The staking contract (unless --deployment).
    #[arg(long)]
    pub staking: Option<String>,
    /// The key file, relative to the config file.
    #[arg(long, default_value = "sibyl-oracle.key")]
    pub key_file: PathBuf,
    /// The data directory, relative to the config file.
    #[arg(long, default_value = "sibyl-oracle-data")]
    pub data_dir: PathBuf,
    /// Create a new key file when none exists (the mnemonic is printed once).
    #[arg(long)]
    pub new_key: bool,
    /// Read the new key file's passphrase from this file (else SIBYL_KEY_PASSPHRASE or a prompt).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

impl InitArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.config.exists() {
            println!("config file {} exists: kept", self.config.display());
        } else {
            let text = self.template()?.render();
            if let Some(dir) = self.config.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&self.config, text)
                .with_context(|| format!("cannot write {}", self.config.display()))?;
            println!("wrote config file {}", self.config.display());
        }
        let config = OracleConfig::load(&self.config)?;
        if self.new_key && !config.key.file.exists() {
            let passphrase = read_passphrase(self.passphrase_file.as_deref(), true)?;
            let outcome = commands::new(&NewArgs {
                key_file: config.key.file.clone(),
                passphrase,
                bech32_prefix: config.chain.bech32_prefix.clone(),
                kdf: KdfParams::default(),
                overwrite: false,
            })?;
            println!("{outcome}");
        } else if config.key.file.exists() {
            println!("key file {} exists: kept", config.key.file.display());
        } else {
            println!(
                "no key file at {}: create one with `sibyl-oracle keys new --key-file {0}` (or \
                 run init with --new-key)",
                config.key.file.display()
            );
        }
        std::fs::create_dir_all(&config.node.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.node.data_dir.display()
            )
        })?;
        let database = database_path(&config.node);
        let existed = database.exists();
        Records::open(&database, DatabaseMode::CreateIfMissing)
            .with_context(|| format!("cannot create the node database {}", database.display()))?;
        println!(
            "node database {} {}",
            database.display(),
            if existed { "exists: kept" } else { "created" }
        );
        println!("next: fund the account, `sibyl-oracle operator register`, then `sibyl-oracle run --config {}`", self.config.display());
        Ok(ExitCode::SUCCESS)
    }

    fn template(&self) -> anyhow::Result<Template> {
        let (chain, escrow, staking) = match &self.deployment {
            Some(path) => {
                let deployment = Deployment::load(path)?;
                let mut chain = self.chain.clone();
                chain.chain_id.get_or_insert(deployment.chain_id);
                chain.gas_price.get_or_insert(deployment.gas_price);
                chain.bech32_prefix = deployment.bech32_prefix;
                (chain, deployment.escrow, deployment.staking)
            }
            None => (
                self.chain.clone(),
                self.escrow
                    .clone()
                    .context("--escrow (or --deployment) is required")?,
                self.staking
                    .clone()
                    .context("--staking (or --deployment) is required")?,
            ),
        };
        let chain = chain.to_config()?;
        Ok(Template {
            chain_id: chain.chain_id,
            rpc: chain.rpc,
            grpc: chain.grpc,
            bech32_prefix: chain.bech32_prefix,
            gas_price: chain.gas_price,
            escrow,
            staking,
            key_file: self.key_file.clone(),
            data_dir: self.data_dir.clone(),
        })
    }
}
