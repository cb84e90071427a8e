//! `sibyl-oracle deploy`: puts Sibyl on a chain (see [`crate::deploy`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use sibyl_model::{Limits, Model};

use super::chain_args::ChainArgs;
use super::keys::load_keys;
use crate::chain::cosmos::CosmosClient;
use crate::chain::ChainClient;
use crate::config_file::KeyConfig;
use crate::deploy::{self, DeployParams, DeployPlan, Roles};

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Key file of the deploying account (admin of the contracts).
    #[arg(long, default_value = "admin.key")]
    pub key_file: PathBuf,
    /// Read the key file's passphrase from this file (else SIBYL_KEY_PASSPHRASE or a prompt).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Directory with the release wasm (`bash scripts/build-wasm.sh` writes artifacts/).
    #[arg(long, default_value = "artifacts")]
    pub wasm_dir: PathBuf,
    /// The model to register.
    #[arg(long, default_value = "models/digits/digits.sibylmodel")]
    pub model: PathBuf,
    /// Where operators fetch the model; default: a file:// URI of --model.
    #[arg(long)]
    pub model_uri: Option<String>,
    /// Deployment parameters (TOML, fields of `DeployParams`; absent fields keep their default).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Commit and reveal windows in blocks (overrides --params).
    #[arg(long)]
    pub window_blocks: Option<u64>,
    /// Receives protocol fees; default the deploying account.
    #[arg(long)]
    pub treasury: Option<String>,
    /// Receives slashed stake; default the deploying account.
    #[arg(long)]
    pub slashed_funds_destination: Option<String>,
    /// k of the example consumer's jobs.
    #[arg(long, default_value_t = 3)]
    pub redundancy: u32,
    /// m of the example consumer's jobs.
    #[arg(long, default_value_t = 2)]
    pub quorum: u32,
    /// Where to write the deployment (addresses, code ids, gas).
    #[arg(long, default_value = "deployment.json")]
    pub out: PathBuf,
}

impl DeployArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let chain = self.chain.to_config()?;
        let keys = load_keys(&KeyConfig {
            file: self.key_file.clone(),
            passphrase_file: self.passphrase_file.clone(),
        })?;
        let mut params = match &self.params {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str::<DeployParams>(&text)
                    .with_context(|| format!("{} is not a valid parameter file", path.display()))?
            }
            None => DeployParams::default(),
        };
        if let Some(window) = self.window_blocks {
            params.window_blocks = window;
        }
        params.denom = chain.parsed_gas_price()?.denom;
        let model_bytes = std::fs::read(&self.model)
            .with_context(|| format!("cannot read the model {}", self.model.display()))?;
        let model = Model::parse(&model_bytes, &Limits::default())
            .with_context(|| format!("{} is not a valid model", self.model.display()))?;
        let model_uri = match &self.model_uri {
            Some(uri) => uri.clone(),
            None => {
                let path = std::fs::canonicalize(&self.model)?;
                url::Url::from_file_path(&path)
                    .map_err(|()| anyhow::anyhow!("{} has no file URI", path.display()))?
                    .to_string()
            }
        };
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let deployment = runtime.block_on(async {
            let client = CosmosClient::connect(&chain, &keys, Vec::new()).await?;
            let me = client.account().to_string();
            let roles = Roles {
                admin: me.clone(),
                treasury: self.treasury.clone().unwrap_or_else(|| me.clone()),
                slashed_funds_destination: self.slashed_funds_destination.clone().unwrap_or(me),
            };
            let plan = DeployPlan {
                wasm_dir: &self.wasm_dir,
                gas_price: chain.gas_price.clone(),
                model: &model,
                model_uri,
                params,
                roles,
                consumer_redundancy: self.redundancy,
                consumer_quorum: self.quorum,
            };
            anyhow::Ok(deploy::deploy(&client, plan).await?)
        })?;
        deployment
            .save(&self.out)
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        println!("staking   {}", deployment.staking);
        println!("escrow    {}", deployment.escrow);
        println!("consumer  {}", deployment.consumer);
        println!(
            "model     {} at {}",
            deployment.model_hash, deployment.model_uri
        );
        println!(
            "{:<40} {:>10} {:>10}",
            "transaction", "gas_used", "gas_wanted"
        );
        for record in &deployment.gas {
            println!(
                "{:<40} {:>10} {:>10}",
                record.label, record.gas_used, record.gas_wanted
            );
        }
        println!("wrote {}", self.out.display());
        Ok(ExitCode::SUCCESS)
    }
}
