//! The node's config file (`sibyl-oracle init` writes one, `run` reads it): the node's settings
//! at the top level, `[chain]` for the chain it works on, `[key]` for its key file and, when
//! `sibyl-oracle signer` holds the attestation key, `[signer]` for where it is.
//!
//! Endpoints can be overridden by environment variables ([`RPC_ENV`], [`GRPC_ENV`]) and the key
//! passphrase comes from `key.passphrase_file` or `SIBYL_KEY_PASSPHRASE`, so that a container or
//! a systemd unit can keep secrets out of the file. Relative paths in the file are relative to
//! the file's directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::cosmos::CosmosConfig;
use crate::config::{ConfigError, NodeConfig};
use crate::signer::config::RemoteSignerConfig;

/// Overrides `chain.rpc`.
pub const RPC_ENV: &str = "SIBYL_CHAIN_RPC";
/// Overrides `chain.grpc`.
pub const GRPC_ENV: &str = "SIBYL_CHAIN_GRPC";

/// Everything `sibyl-oracle run` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleConfig {
    pub node: NodeConfig,
    pub chain: CosmosConfig,
    pub key: KeyConfig,
    /// The remote signer of the attestations; `None`: the key file's attestation key signs.
    pub signer: Option<RemoteSignerConfig>,
}

/// Where the operator's encrypted key file is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyConfig {
    /// The key file (`sibyl-oracle keys new`). Default `sibyl-oracle.key`.
    pub file: PathBuf,
    /// A file whose first line is the passphrase; else `SIBYL_KEY_PASSPHRASE`, else a prompt.
    pub passphrase_file: Option<PathBuf>,
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig {
            file: PathBuf::from("sibyl-oracle.key"),
            passphrase_file: None,
        }
    }
}

impl OracleConfig {
    /// Reads the file at `path`, applies the environment's overrides and checks every value.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Invalid(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        let mut config = Self::from_toml(&text, |name| std::env::var(name).ok())?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        Ok(config)
    }

    /// Parses a config document; `env` looks up environment overrides.
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = text.parse()?;
        let chain = match table.remove("chain") {
            Some(value) => value.try_into()?,
            None => CosmosConfig::default(),
        };
        let key = match table.remove("key") {
            Some(value) => value.try_into()?,
            None => KeyConfig::default(),
        };
        let signer = table
            .remove("signer")
            .map(|value| value.try_into())
            .transpose()?;
        let node: NodeConfig = toml::Value::Table(table).try_into()?;
        let mut config = OracleConfig {
            node,
            chain,
            key,
            signer,
        };
        if let Some(rpc) = env(RPC_ENV) {
            config.chain.rpc = rpc;
        }
        if let Some(grpc) = env(GRPC_ENV) {
            config.chain.grpc = grpc;
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.node.validate()?;
        self.chain.validate()?;
        if self.node.contracts.escrow.is_empty() || self.node.contracts.staking.is_empty() {
            return Err(ConfigError::Invalid(
                "contracts.escrow and contracts.staking are required (see `sibyl-oracle deploy`)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        resolve(&mut self.node.data_dir);
        resolve(&mut self.key.file);
        if let Some(path) = self.key.passphrase_file.as_mut() {
            resolve(path);
        }
        self.node.fetch.file_roots.iter_mut().for_each(resolve);
        if let Some(signer) = self.signer.as_mut() {
            signer.resolve_paths(base);
        }
    }
}

/// Values `sibyl-oracle init` puts in a new config file.
#[derive(Clone, Debug)]
pub struct Template {
    pub chain_id: String,
    pub rpc: String,
    pub grpc: String,
    pub bech32_prefix: String,
    pub gas_price: String,
    pub escrow: String,
    pub staking: String,
    pub key_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Template {
    /// A commented config file: every setting with its default, the given values filled in.
    pub fn render(&self) -> String {
        let node = NodeConfig::default();
        let chain = CosmosConfig::default();
        let quote = |text: &str| toml::Value::String(text.to_string()).to_string();
        let path = |path: &Path| quote(&path.display().to_string());
        let millis = |d: std::time::Duration| d.as_millis();
        format!(
            r#"# sibyl-oracle configuration (`sibyl-oracle run --config THIS_FILE`).
# Relative paths are relative to this file. Durations are integer milliseconds.

# The node's database and content store (models and inputs by hash).
data_dir = {data_dir}
# Serve Prometheus /metrics and /healthz here, e.g. "127.0.0.1:9464"; absent: no server.
# metrics_listen = "127.0.0.1:9464"
# /healthz turns unhealthy when no block arrived for this long.
health_max_block_age = {health}

[contracts]
# The job escrow and staking contracts (`sibyl-oracle deploy` prints them).
escrow = {escrow}
staking = {staking}

[chain]
# The node refuses to start when the RPC node serves another chain.
chain_id = {chain_id}
# CometBFT RPC (blocks, events) and Cosmos SDK gRPC (accounts, queries, transactions).
# Overridden by the environment variables {rpc_env} and {grpc_env}.
rpc = {rpc}
grpc = {grpc}
bech32_prefix = {prefix}
# Fee = ceil(gas limit x gas price); gas limit = ceil(simulated gas x gas_adjustment).
gas_price = {gas_price}
gas_adjustment = {adjustment}
# An account that pays this node's fees through an x/feegrant allowance.
# fee_granter = "wasm1..."
# A transaction not in a block this many blocks after it was built is dropped by the chain
# (then the node may send it again without any risk of sending it twice).
tx_timeout_blocks = {timeout_blocks}
poll_interval = {poll}
request_timeout = {request_timeout}

[key]
# The encrypted key file (`sibyl-oracle keys new`). Its passphrase comes from passphrase_file,
# else the environment variable SIBYL_KEY_PASSPHRASE, else a prompt.
file = {key_file}
# passphrase_file = "/run/secrets/sibyl-passphrase"

# With this section the attestation key stays with `sibyl-oracle signer` (docs/operator-security.md)
# and the key file above may be an account key file (`sibyl-oracle keys export-account`).
# [signer]
# address = "unix:/run/sibyl/signer.sock"   # or "tcp:10.0.0.5:26660"
# auth_key_file = "signer-auth.key"         # the file `sibyl-oracle signer init` wrote
# request_timeout = 5000

[discovery]
# Page size of the escrow's PendingWork queries (capped to the escrow's limit).
page_size = {page_size}
# Re-read PendingWork at least this often (in blocks), even without events.
full_sync_every_blocks = {full_sync}
# Blocks of events read per request while catching up.
max_blocks_per_poll = {max_blocks}

[execution]
# auto (Vulkan when a device exists, else the CPU reference), vulkan or cpu.
backend = "auto"
# Jobs fetched and executed at the same time.
max_concurrent_jobs = {max_jobs}
# Of those, jobs of one consumer; more wait without taking a slot (one consumer cannot starve the
# others).
max_jobs_per_consumer = {per_consumer}
# For demos and tests of slashing ONLY: answer every job wrongly (gets the operator slashed).
# test_fault_skew = 1

[retry]
# A step that failed for a transient reason is tried this often, with exponential backoff.
max_attempts = {attempts}
initial_backoff = {initial_backoff}
max_backoff = {max_backoff}

[fetch]
# Models and inputs larger than these are refused (and the job declined).
max_model_bytes = {max_model}
max_input_bytes = {max_input}
http_timeout = {http_timeout}
# Directories that file:// URIs may read from (none: file:// is refused).
file_roots = []
# http(s) fetches connect to public addresses only: loopback, private, link-local, unique-local,
# multicast and other special-purpose addresses are refused (a job's URI is a stranger's
# choice). Open exactly what your own mirror needs (docs/operator-security.md):
allowed_hosts = []
allowed_ranges = []
# Downloads at once from one host (more wait their turn), so that jobs naming one host cannot
# make every node a crowd of connections to it.
max_fetches_per_host = {per_host}
# Downloads started from one host per minute (more wait), so that a stream of jobs naming one host
# cannot make every node hammer it.
max_fetches_per_host_per_minute = {per_host_per_minute}
"#,
            data_dir = path(&self.data_dir),
            health = millis(node.health_max_block_age),
            escrow = quote(&self.escrow),
            staking = quote(&self.staking),
            chain_id = quote(&self.chain_id),
            rpc_env = RPC_ENV,
            grpc_env = GRPC_ENV,
            rpc = quote(&self.rpc),
            grpc = quote(&self.grpc),
            prefix = quote(&self.bech32_prefix),
            gas_price = quote(&self.gas_price),
            adjustment = toml::Value::Float(chain.gas_adjustment),
            timeout_blocks = chain.tx_timeout_blocks,
            poll = millis(chain.poll_interval),
            request_timeout = millis(chain.request_timeout),
            key_file = path(&self.key_file),
            page_size = node.discovery.page_size,
            full_sync = node.discovery.full_sync_every_blocks,
            max_blocks = node.discovery.max_blocks_per_poll,
            max_jobs = node.execution.max_concurrent_jobs,
            per_consumer = node.execution.max_jobs_per_consumer,
            attempts = node.retry.max_attempts,
            initial_backoff = millis(node.retry.initial_backoff),
            max_backoff = millis(node.retry.max_backoff),
            max_model = node.fetch.max_model_bytes,
            max_input = node.fetch.max_input_bytes,
            http_timeout = millis(node.fetch.http_timeout),
            per_host = node.fetch.max_fetches_per_host,
            per_host_per_minute = node.fetch.max_fetches_per_host_per_minute,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template {
            chain_id: "sibyl-localnet-1".into(),
            rpc: "http://127.0.0.1:26657".into(),
            grpc: "http://127.0.0.1:9090".into(),
            bech32_prefix: "wasm".into(),
            gas_price: "0.025usibyl".into(),
            escrow: "wasm1escrow".into(),
            staking: "wasm1staking".into(),
            key_file: "operator.key".into(),
            data_dir: "data".into(),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_template_parses_to_the_defaults_and_the_given_values() {
        let config = OracleConfig::from_toml(&template().render(), no_env).unwrap();
        let node = NodeConfig {
            data_dir: "data".into(),
            contracts: crate::config::ContractsConfig {
                escrow: "wasm1escrow".into(),
                staking: "wasm1staking".into(),
            },
            ..NodeConfig::default()
        };
        assert_eq!(config.node, node);
        assert_eq!(
            config.chain,
            CosmosConfig {
                chain_id: "sibyl-localnet-1".into(),
                gas_price: "0.025usibyl".into(),
                ..CosmosConfig::default()
            }
        );
        assert_eq!(config.key.file, PathBuf::from("operator.key"));
        assert_eq!(config.signer, None);
    }

    #[test]
    fn the_signer_section_names_a_remote_signer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oracle.toml");
        let text = template()
            .render()
            .replace("# [signer]\n# address", "[signer]\naddress")
            .replace("# auth_key_file", "auth_key_file");
        std::fs::write(&path, &text).unwrap();
        let signer = OracleConfig::load(&path).unwrap().signer.unwrap();
        assert_eq!(signer.address.to_string(), "unix:/run/sibyl/signer.sock");
        assert_eq!(signer.auth_key_file, dir.path().join("signer-auth.key"));
        assert_eq!(signer.request_timeout, std::time::Duration::from_secs(5));
        let bad = text.replace("unix:/run/sibyl/signer.sock", "/run/sibyl/signer.sock");
        let error = OracleConfig::from_toml(&bad, no_env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unix:PATH or tcp:HOST:PORT"), "{error}");
    }

    /// Every setting of the node and the chain client appears in the template, so that a new
    /// field cannot be forgotten there.
    #[test]
    fn the_template_names_every_setting() {
        let rendered = template().render();
        let mut missing = Vec::new();
        let mut check = |table: &toml::Table, prefix: &str| {
            for (key, value) in table {
                if value.is_table() {
                    continue;
                }
                let line = format!("\n{key} = ");
                let commented = format!("\n# {key} = ");
                if !rendered.contains(&line) && !rendered.contains(&commented) {
                    missing.push(format!("{prefix}{key}"));
                }
            }
        };
        let node = toml::Table::try_from(NodeConfig::default()).unwrap();
        check(&node, "");
        for (name, value) in &node {
            if let toml::Value::Table(section) = value {
                assert!(rendered.contains(&format!("\n[{name}]\n")), "no [{name}]");
                check(section, &format!("{name}."));
            }
        }
        check(
            &toml::Table::try_from(CosmosConfig::default()).unwrap(),
            "chain.",
        );
        check(
            &toml::Table::try_from(KeyConfig::default()).unwrap(),
            "key.",
        );
        for optional in [
            "metrics_listen",
            "fee_granter",
            "passphrase_file",
            "test_fault_skew",
        ] {
            assert!(rendered.contains(&format!("# {optional} = ")), "{optional}");
        }
        assert!(missing.is_empty(), "not in the template: {missing:?}");
    }

    #[test]
    fn environment_overrides_the_endpoints() {
        let env = |name: &str| match name {
            RPC_ENV => Some("http://rpc.example:26657".to_string()),
            GRPC_ENV => Some("https://grpc.example:443".to_string()),
            _ => None,
        };
        let config = OracleConfig::from_toml(&template().render(), env).unwrap();
        assert_eq!(config.chain.rpc, "http://rpc.example:26657");
        assert_eq!(config.chain.grpc, "https://grpc.example:443");
    }

    #[test]
    fn unknown_fields_and_missing_contracts_are_errors() {
        let text = template().render();
        let typo = text.replace("gas_adjustment = ", "gas_ajdustment = ");
        let error = OracleConfig::from_toml(&typo, no_env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("gas_ajdustment"), "{error}");
        let no_escrow = text.replace("escrow = \"wasm1escrow\"", "escrow = \"\"");
        let error = OracleConfig::from_toml(&no_escrow, no_env)
            .unwrap_err()
            .to_string();
        assert!(error.contains("contracts.escrow"), "{error}");
        let bad_url = OracleConfig::from_toml(&text, |name| {
            (name == RPC_ENV).then(|| "localhost".to_string())
        });
        assert!(bad_url.unwrap_err().to_string().contains("chain.rpc"));
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oracle.toml");
        std::fs::write(&path, template().render()).unwrap();
        let config = OracleConfig::load(&path).unwrap();
        assert_eq!(config.node.data_dir, dir.path().join("data"));
        assert_eq!(config.key.file, dir.path().join("operator.key"));
    }
}
