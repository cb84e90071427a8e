//! `sibyl-oracle signer`: the process that holds the attestation key and signs results for a node
//! (`init` writes its config file and auth key, `run` serves until SIGINT or SIGTERM).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use super::keys::load_keys;
use crate::config_file::KeyConfig;
use crate::deploy::Deployment;
use crate::node::tasks::cancel_on_shutdown_signal;
use crate::signer::config::{SignerAddress, SignerConfig};
use crate::signer::server::{serve, Listener};
use crate::signer::service::SignerService;
use crate::signer::wire::AuthKey;

#[derive(Debug, Subcommand)]
pub enum SignerCommand {
    /// Write a signer config file, a new auth key for its nodes and its state directory; keeps
    /// whatever exists.
    Init(SignerInitArgs),
    /// Sign the nodes' attestations until SIGINT or SIGTERM.
    Run(SignerRunArgs),
}

#[derive(Debug, Args)]
pub struct SignerInitArgs {
    /// The signer config file to write.
    #[arg(long, short, default_value = "sibyl-signer.toml")]
    pub config: PathBuf,
    /// Take the chain id and the escrow from this file (`sibyl-oracle deploy --out`).
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    /// The only chain the signer signs for (unless --deployment).
    #[arg(long)]
    pub chain_id: Option<String>,
    /// The only escrow the signer signs for (unless --deployment).
    #[arg(long)]
    pub escrow: Option<String>,
    /// Where nodes connect: unix:PATH or tcp:IP:PORT (relative paths: to the config file).
    #[arg(long, default_value = "unix:sibyl-signer.sock")]
    pub listen: String,
    /// The operator's full key file (with the mnemonic), relative to the config file.
    #[arg(long, default_value = "sibyl-oracle.key")]
    pub key_file: PathBuf,
    /// The auth key to create, relative to the config file; the node's [signer] names a copy.
    #[arg(long, default_value = "signer-auth.key")]
    pub auth_key_file: PathBuf,
    /// The double-signing guard's record, relative to the config file.
    #[arg(long, default_value = "sibyl-signer-state")]
    pub state_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SignerRunArgs {
    /// The signer config file (`sibyl-oracle signer init` writes one).
    #[arg(long, short, default_value = "sibyl-signer.toml")]
    pub config: PathBuf,
}

impl SignerCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Init(args) => args.run(),
            Self::Run(args) => args.run(),
        }
    }
}

impl SignerInitArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        if self.config.exists() {
            println!("signer config {} exists: kept", self.config.display());
        } else {
            let (chain_id, escrow) = match &self.deployment {
                Some(path) => {
                    let deployment = Deployment::load(path)?;
                    (deployment.chain_id, deployment.escrow)
                }
                None => (
                    self.chain_id
                        .clone()
                        .context("--chain-id (or --deployment) is required")?,
                    self.escrow
                        .clone()
                        .context("--escrow (or --deployment) is required")?,
                ),
            };
            let config = SignerConfig {
                listen: SignerAddress::try_from(self.listen.clone())
                    .map_err(|e| anyhow::anyhow!("--listen {e}"))?,
                chain_id,
                escrow,
                auth_key_file: self.auth_key_file.clone(),
                state_dir: self.state_dir.clone(),
                max_connections: 8,
                key: KeyConfig {
                    file: self.key_file.clone(),
                    passphrase_file: None,
                },
            };
            config.validate()?;
            if let Some(dir) = self.config.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&self.config, config.render()?)
                .with_context(|| format!("cannot write {}", self.config.display()))?;
            println!("wrote signer config {}", self.config.display());
        }
        let config = SignerConfig::load(&self.config)?;
        if config.auth_key_file.exists() {
            println!("auth key {} exists: kept", config.auth_key_file.display());
        } else {
            AuthKey::generate()
                .save(&config.auth_key_file)
                .map_err(anyhow::Error::msg)?;
            println!(
                "wrote auth key {}: copy it (mode 0600) to the node's host and name the copy in \
                 the node's [signer] auth_key_file",
                config.auth_key_file.display()
            );
        }
        create_state_dir(&config)?;
        println!(
            "next: `sibyl-oracle signer run --config {}`, then [signer] address = \"{}\" in the \
             node's config",
            self.config.display(),
            config.listen
        );
        Ok(ExitCode::SUCCESS)
    }
}

impl SignerRunArgs {
    fn run(self) -> anyhow::Result<ExitCode> {
        let config = SignerConfig::load(&self.config)?;
        let key = load_keys(&config.key)?.into_attestation();
        let auth = AuthKey::load(&config.auth_key_file)
            .map_err(|reason| anyhow::anyhow!("auth_key_file: {reason}"))?;
        create_state_dir(&config)?;
        let service =
            SignerService::open(key, &config.chain_id, &config.escrow, &config.record_path())?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async move {
            let listener = Listener::bind(&config.listen)
                .await
                .map_err(anyhow::Error::msg)?;
            tracing::info!(
                listen = %listener.address(),
                chain_id = %config.chain_id,
                escrow = %config.escrow,
                attestation_pubkey = %hex::encode(service.attestation_pubkey()),
                signed_jobs = service.signed_jobs()?,
                "signer listening"
            );
            let cancel = CancellationToken::new();
            tokio::spawn(cancel_on_shutdown_signal(cancel.clone()));
            serve(
                listener,
                Arc::new(service),
                auth,
                config.max_connections,
                cancel,
            )
            .await;
            tracing::info!("signer stopped");
            Ok(ExitCode::SUCCESS)
        })
    }
}

fn create_state_dir(config: &SignerConfig) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.state_dir)
        .with_context(|| format!("cannot create {}", config.state_dir.display()))?;
    if !config.state_dir.is_dir() {
        bail!(
            "state_dir {} is not a directory",
            config.state_dir.display()
        );
    }
    Ok(())
}
