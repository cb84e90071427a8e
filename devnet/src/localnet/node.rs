//! One operator on the localnet the way an operator runs it: the `sibyl-oracle` binary's `init`,
//! `operator register` and `run` commands, each its own process.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sibyl_oracle::config::BackendChoice;
use sibyl_oracle::keys::{read_public_info, OperatorKeys};

use super::chain::Localnet;
use super::process::ChildProcess;
use super::signer::SignerNode;

/// The key files' passphrase; these keys only guard test tokens on a throwaway chain.
pub const PASSPHRASE: &str = "localnet passphrase";
/// The config and key files `init` writes in an operator's directory.
const CONFIG_FILE: &str = "sibyl-oracle.toml";
const KEY_FILE: &str = "sibyl-oracle.key";
const LOG_FILE: &str = "node.log";
/// The node host's key file once a signer holds the attestation key.
const ACCOUNT_KEY_FILE: &str = "sibyl-oracle-account.key";

/// The `sibyl-oracle` executable and how every command of it is run here.
#[derive(Clone, Debug)]
pub struct OracleBinary(pub PathBuf);

impl OracleBinary {
    /// A command of the binary with the key passphrase set and no endpoint overrides from the
    /// caller's environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.0);
        command
            .env("SIBYL_KEY_PASSPHRASE", PASSPHRASE)
            .env_remove("SIBYL_CHAIN_RPC")
            .env_remove("SIBYL_CHAIN_GRPC");
        command
    }

    /// Runs `args` to completion.
    pub fn output(&self, args: &[&str]) -> anyhow::Result<Output> {
        self.command()
            .args(args)
            .output()
            .with_context(|| format!("cannot run {}", self.0.display()))
    }

    /// Runs `args` to completion and fails with its output unless it succeeded.
    pub fn run(&self, what: &str, args: &[&str]) -> anyhow::Result<String> {
        let output = self.output(args)?;
        if !output.status.success() {
            bail!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// Node settings beyond what `init` writes.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    /// `execution.backend`.
    pub backend: BackendChoice,
    /// Directories the node may read `file://` models and inputs from.
    pub file_roots: Vec<PathBuf>,
    /// Makes the node answer wrong (`execution.test_fault_skew`).
    pub fault_skew: Option<u8>,
}

/// One operator: its directory, config file, keys and, while it runs, its node process.
pub struct OperatorNode {
    pub name: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub address: String,
    /// Where the node serves `/metrics` and `/healthz`.
    pub metrics: SocketAddr,
    binary: OracleBinary,
    process: ChildProcess,
}

impl OperatorNode {
    /// `init --new-key` in `dir/name` with the deployment file, then the node settings.
    pub fn init(
        binary: &OracleBinary,
        localnet: &Localnet,
        deployment_file: &Path,
        dir: &Path,
        name: &str,
        settings: &NodeSettings,
    ) -> anyhow::Result<OperatorNode> {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let config = dir.join(CONFIG_FILE);
        binary.run(
            "sibyl-oracle init",
            &[
                "init",
                "--config",
                path_str(&config)?,
                "--deployment",
                path_str(deployment_file)?,
                "--rpc",
                &localnet.rpc,
                "--grpc",
                &localnet.grpc,
                "--new-key",
            ],
        )?;
        let metrics = free_port()?;
        let node = OperatorNode {
            name: name.to_string(),
            address: read_public_info(&dir.join(KEY_FILE))?.account_address,
            process: ChildProcess::new(format!("the node of {name}"), dir.join(LOG_FILE)),
            dir,
            config,
            metrics,
            binary: binary.clone(),
        };
        node.edit_config(|table| {
            table.insert("metrics_listen".into(), metrics.to_string().into());
            let roots = settings
                .file_roots
                .iter()
                .map(|root| root.display().to_string().into())
                .collect();
            section(table, "fetch").insert("file_roots".into(), toml::Value::Array(roots));
            let execution = section(table, "execution");
            execution.insert("backend".into(), settings.backend.as_str().into());
            if let Some(skew) = settings.fault_skew {
                execution.insert("test_fault_skew".into(), i64::from(skew).into());
            }
            section(table, "chain").insert("poll_interval".into(), 100.into());
        })?;
        Ok(node)
    }

    /// `operator register` with a self-bond of `stake`; returns the transaction's gas.
    pub fn register(&self, stake: u128) -> anyhow::Result<u64> {
        let stdout = self.binary.run(
            &format!("sibyl-oracle operator register ({})", self.name),
            &[
                "operator",
                "register",
                "--config",
                path_str(&self.config)?,
                "--moniker",
                &self.name,
                "--stake",
                &stake.to_string(),
            ],
        )?;
        stdout
            .split("gas used ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|gas| gas.parse().ok())
            .context("`operator register` printed no gas")
    }

    /// Changes the node's config file.
    pub fn edit_config(&self, edit: impl FnOnce(&mut toml::Table)) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&self.config)?;
        let mut table: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not TOML", self.config.display()))?;
        edit(&mut table);
        std::fs::write(&self.config, toml::to_string(&table)?)?;
        Ok(())
    }

    /// The operator's keys, as the node has them.
    pub fn keys(&self) -> anyhow::Result<OperatorKeys> {
        Ok(OperatorKeys::load(&self.dir.join(KEY_FILE), PASSPHRASE)?)
    }

    /// Starts `sibyl-oracle run` with `log_filter`; its log goes to `dir/node.log`, appended
    /// across restarts.
    pub fn start(&mut self, log_filter: &str) -> anyhow::Result<()> {
        let mut command = self.binary.command();
        command
            .args(["run", "--config", path_str(&self.config)?])
            .args(["--log-filter", log_filter]);
        self.process.start(command)
    }

    /// Hands the attestation key to `signer`: the full key file moves to the signer's
    /// directory, the node keeps an account key file (`keys export-account`) and names the
    /// signer in its `[signer]` section. Run it after `register`, which needs the full file.
    pub fn use_signer(&self, signer: &SignerNode) -> anyhow::Result<()> {
        let full = self.dir.join(KEY_FILE);
        let account = self.dir.join(ACCOUNT_KEY_FILE);
        self.binary.run(
            "sibyl-oracle keys export-account",
            &[
                "keys",
                "export-account",
                "--key-file",
                path_str(&full)?,
                "--out",
                path_str(&account)?,
            ],
        )?;
        std::fs::rename(&full, signer.key_file())
            .with_context(|| format!("cannot move {} to the signer", full.display()))?;
        let address = signer.address();
        let auth_key = signer.auth_key_file().display().to_string();
        self.edit_config(|table| {
            section(table, "key").insert("file".into(), ACCOUNT_KEY_FILE.into());
            let remote = section(table, "signer");
            remote.insert("address".into(), address.into());
            remote.insert("auth_key_file".into(), auth_key.into());
        })
    }

    /// Waits until the node's `/healthz` answers 200 (it follows the chain), or fails with the
    /// node's log when it exits or `limit` passes.
    pub async fn wait_healthy(&mut self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if !self.is_running() {
                bail!("the node of {} exited:\n{}", self.name, self.log());
            }
            if matches!(self.health().await, Ok((200, _))) {
                return Ok(());
            }
            if started.elapsed() > limit {
                bail!(
                    "the node of {} is not healthy after {limit:?}:\n{}",
                    self.name,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, then a wait for the node's clean exit (SIGKILL after a grace period).
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// The node process still runs.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Resident memory of the node process, in KiB: (current, peak), where the OS reports it.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let pid = self.process.pid()?;
        crate::memory::process_memory_kib(&format!("/proc/{pid}/status"))
    }

    /// The node's `/metrics` text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(reqwest::get(format!("http://{}/metrics", self.metrics))
            .await?
            .text()
            .await?)
    }

    /// The node's `/healthz` status code and body.
    pub async fn health(&self) -> anyhow::Result<(u16, String)> {
        let response = reqwest::get(format!("http://{}/healthz", self.metrics)).await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    pub fn log_path(&self) -> PathBuf {
        self.process.log_path().clone()
    }

    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The warnings and errors of the node's log.
    pub fn problems(&self) -> String {
        self.process.problems()
    }
}

/// Sum of a counter's series in a Prometheus text exposition.
pub fn counter_total(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A TCP port free on 127.0.0.1 right now.
fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// The table `name` of `table`, created when missing.
pub(super) fn section<'a>(table: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    let value = table
        .entry(name)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !value.is_table() {
        *value = toml::Value::Table(toml::Table::new());
    }
    value.as_table_mut().expect("a table was just put there")
}

pub(super) fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}
