//! The local wasmd chain that `scripts/localnet.sh` runs, and its faucet.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use cosmrs::tx::Msg;
use sibyl_oracle::chain::cosmos::{CosmosClient, CosmosConfig};
use sibyl_oracle::keys::OperatorKeys;

/// The script, relative to the repository root.
pub const SCRIPT: &str = "scripts/localnet.sh";
/// Address prefix of the localnet (wasmd's default).
pub const PREFIX: &str = "wasm";

/// A running local chain: its endpoints and how to reach its script.
pub struct Localnet {
    script: PathBuf,
    /// `SIBYL_LOCALNET_HOME` of the chain; `None`: the script's own default.
    home: Option<PathBuf>,
    /// The chain ran before [`Localnet::start`] was called.
    pub was_running: bool,
    pub chain_id: String,
    pub rpc: String,
    pub grpc: String,
    pub denom: String,
    pub gas_price: String,
}

impl Localnet {
    /// Starts the chain of the repository at `root` in `home` (building wasmd on first use) unless
    /// it runs already, and reads its endpoints.
    pub fn start(root: &Path, home: Option<PathBuf>) -> anyhow::Result<Localnet> {
        let script = root.join(SCRIPT);
        if !script.is_file() {
            bail!(
                "{} not found: run from the repository root (or set SIBYL_ROOT)",
                script.display()
            );
        }
        let mut localnet = Localnet {
            script,
            home,
            was_running: false,
            chain_id: String::new(),
            rpc: String::new(),
            grpc: String::new(),
            denom: String::new(),
            gas_price: String::new(),
        };
        localnet.was_running = localnet.script_command("status").output()?.status.success();
        localnet.run_script("start")?;
        let env: HashMap<String, String> = localnet
            .run_script("env")?
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.to_string(), value.trim_matches('\'').to_string()))
            .collect();
        let setting = |key: &str| {
            env.get(key)
                .cloned()
                .with_context(|| format!("`{SCRIPT} env` printed no {key}"))
        };
        localnet.chain_id = setting("LOCALNET_CHAIN_ID")?;
        localnet.rpc = setting("LOCALNET_RPC")?;
        localnet.grpc = format!("http://{}", setting("LOCALNET_GRPC")?);
        localnet.denom = setting("LOCALNET_DENOM")?;
        localnet.gas_price = setting("LOCALNET_GAS_PRICE")?;
        Ok(localnet)
    }

    /// Runs `scripts/localnet.sh <command>` (`stop`, `start`, ...) for this chain; returns what it
    /// printed.
    pub fn run_script(&self, command: &str) -> anyhow::Result<String> {
        let output = self
            .script_command(command)
            .output()
            .with_context(|| format!("cannot run {}", self.script.display()))?;
        if !output.status.success() {
            bail!(
                "`{SCRIPT} {command}` failed (install wasmd with `bash {SCRIPT} install`): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn script_command(&self, command: &str) -> Command {
        let mut script = Command::new("bash");
        script.arg(&self.script).arg(command);
        if let Some(home) = &self.home {
            script.env("SIBYL_LOCALNET_HOME", home);
        }
        script
    }

    /// Client settings for this chain, polling quickly (its blocks come every ~300 ms).
    pub fn chain_config(&self) -> CosmosConfig {
        CosmosConfig {
            chain_id: self.chain_id.clone(),
            rpc: self.rpc.clone(),
            grpc: self.grpc.clone(),
            bech32_prefix: PREFIX.into(),
            gas_price: self.gas_price.clone(),
            poll_interval: Duration::from_millis(100),
            ..CosmosConfig::default()
        }
    }

    pub async fn client(&self, keys: &OperatorKeys) -> anyhow::Result<CosmosClient> {
        CosmosClient::connect(&self.chain_config(), keys, Vec::new())
            .await
            .with_context(|| format!("cannot connect to the localnet at {}", self.rpc))
    }

    /// The localnet validator, rich from genesis: the first account of the script's public test
    /// mnemonic.
    pub async fn faucet(&self) -> anyhow::Result<CosmosClient> {
        let script = std::fs::read_to_string(&self.script)?;
        let phrase = script
            .lines()
            .find_map(|line| line.strip_prefix("TEST_MNEMONIC=\""))
            .and_then(|rest| rest.strip_suffix('"'))
            .with_context(|| format!("{SCRIPT} defines no TEST_MNEMONIC"))?;
        let keys = OperatorKeys::from_phrase(phrase, PREFIX, 1)?;
        self.client(&keys).await
    }

    /// Sends `amount` to each address from the faucet, in one transaction.
    pub async fn fund(&self, addresses: &[&str], amount: u128) -> anyhow::Result<()> {
        let faucet = self.faucet().await?;
        let messages = addresses
            .iter()
            .map(|address| transfer(&faucet, address, amount, &self.denom))
            .collect::<anyhow::Result<_>>()?;
        faucet
            .send(messages)
            .await
            .context("the faucet's transfer failed")?;
        Ok(())
    }
}

/// A bank transfer of `amount` from `client`'s account.
pub fn transfer(
    client: &CosmosClient,
    to: &str,
    amount: u128,
    denom: &str,
) -> anyhow::Result<cosmrs::Any> {
    let message = cosmrs::bank::MsgSend {
        from_address: client.sender().clone(),
        to_address: to
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid address {to}: {e}"))?,
        amount: vec![cosmrs::Coin {
            denom: denom
                .parse()
                .map_err(|e| anyhow::anyhow!("invalid denom {denom}: {e}"))?,
            amount,
        }],
    };
    message
        .to_any()
        .map_err(|e| anyhow::anyhow!("cannot encode a transfer: {e}"))
}
