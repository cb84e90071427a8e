//! The node's settings: one typed struct, every field with a documented default, deserializable
//! from TOML (`NodeConfig::from_toml`) so that a file can fill it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything one oracle node needs to know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Addresses of the contracts the node works for.
    pub contracts: ContractsConfig,
    /// Where the node keeps its database and content store.
    pub data_dir: PathBuf,
    /// How jobs are discovered.
    pub discovery: DiscoveryConfig,
    /// How jobs are executed.
    pub execution: ExecutionConfig,
    /// How a job step that failed for a transient reason is tried again.
    pub retry: RetryConfig,
    /// Limits on fetched models and inputs.
    pub fetch: FetchConfig,
    /// Where `/metrics` and `/healthz` are served; `None` disables the server.
    pub metrics_listen: Option<SocketAddr>,
    /// `/healthz` reports unhealthy when no new block arrived for this long. Default 60 s.
    #[serde(with = "millis")]
    pub health_max_block_age: Duration,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            contracts: ContractsConfig::default(),
            data_dir: PathBuf::from("sibyl-oracle-data"),
            discovery: DiscoveryConfig::default(),
            execution: ExecutionConfig::default(),
            retry: RetryConfig::default(),
            fetch: FetchConfig::default(),
            metrics_listen: None,
            health_max_block_age: Duration::from_secs(60),
        }
    }
}

/// Contract addresses (bech32). Empty by default: they depend on the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractsConfig {
    /// The job-escrow contract: jobs, commits, reveals.
    pub escrow: String,
    /// The staking contract: the operator's registration and stake.
    pub staking: String,
}

/// Job discovery: events of new blocks plus the escrow's `PendingWork` query as the source of truth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Page size of `PendingWork` queries, at most the escrow's
    /// `sibyl_api::escrow::MAX_QUERY_LIMIT` (larger values are capped to it). Default: that limit.
    pub page_size: u32,
    /// Re-read `PendingWork` at least every this many blocks even without relevant events
    /// (catches deadlines that passed silently). Default 20.
    pub full_sync_every_blocks: u64,
    /// At most this many blocks of events are read per request. Default 500.
    pub max_blocks_per_poll: u64,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            page_size: sibyl_api::escrow::MAX_QUERY_LIMIT,
            full_sync_every_blocks: 20,
            max_blocks_per_poll: 500,
        }
    }
}

/// Which executor runs jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// Vulkan when a device exists, else the CPU reference executor (with a notice).
    #[default]
    Auto,
    /// Vulkan only; fail when no device exists.
    Vulkan,
    /// The CPU reference executor.
    Cpu,
}

impl BackendChoice {
    /// The name in config files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Vulkan => "vulkan",
            BackendChoice::Cpu => "cpu",
        }
    }
}

impl From<BackendChoice> for sibyl_infer::Backend {
    fn from(choice: BackendChoice) -> Self {
        match choice {
            BackendChoice::Auto => sibyl_infer::Backend::Auto,
            BackendChoice::Vulkan => sibyl_infer::Backend::Vulkan,
            BackendChoice::Cpu => sibyl_infer::Backend::Cpu,
        }
    }
}

/// Execution settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutionConfig {
    /// Executor backend. Default `auto`.
    pub backend: BackendChoice,
    /// Jobs fetched and executed at the same time. Default 8.
    pub max_concurrent_jobs: usize,
    /// Of those, jobs of one consumer (more wait, without taking a slot), so that one consumer's
    /// jobs cannot starve the others'. Default 4.
    pub max_jobs_per_consumer: usize,
    /// For demos and tests of slashing only: answer every job wrongly (the output's last element
    /// shifted by this much). A node with it set gets slashed and jailed. Default none.
    pub test_fault_skew: Option<u8>,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        ExecutionConfig {
            backend: BackendChoice::Auto,
            max_concurrent_jobs: 8,
            max_jobs_per_consumer: 4,
            test_fault_skew: None,
        }
    }
}

/// Retries of a job step that failed for a transient reason (chain unavailable, network trouble):
/// exponential backoff from `initial_backoff` up to `max_backoff`. The job's task is the only
/// layer that retries; each transaction is sent once per attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts of one step before the failure is recorded (the step is tried again on the next
    /// chain fact about the job). Default 5.
    pub max_attempts: u32,
    /// First retry delay. Default 200 ms.
    #[serde(with = "millis")]
    pub initial_backoff: Duration,
    /// Largest retry delay. Default 5 s.
    #[serde(with = "millis")]
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryConfig {
    /// Delay before retry number `attempt` (1-based): doubling, capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Limits on fetched content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Largest model file accepted, in bytes. Default 64 MiB.
    pub max_model_bytes: u64,
    /// Largest input accepted, in bytes. Default 1 MiB.
    pub max_input_bytes: u64,
    /// Time limit of one http(s) download. Default 30 s.
    #[serde(with = "millis")]
    pub http_timeout: Duration,
    /// Directories `file://` URIs may point into. Default none: `file://` is refused, so a job's
    /// URI cannot make the node read arbitrary files of the host.
    pub file_roots: Vec<PathBuf>,
    /// Host names that http(s) URIs may reach whatever their addresses (an operator's own mirror).
    /// Default none: only public addresses are fetched from.
    pub allowed_hosts: Vec<String>,
    /// Address ranges (CIDR, e.g. `10.20.0.0/16`) that http(s) URIs may reach although they are
    /// private or otherwise special-purpose. Default none.
    pub allowed_ranges: Vec<String>,
    /// Downloads at once from one host; more wait their turn. Default 2.
    pub max_fetches_per_host: u32,
    /// Downloads started from one host per minute; more wait their turn. Default 600.
    pub max_fetches_per_host_per_minute: u32,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            max_model_bytes: 64 * 1024 * 1024,
            max_input_bytes: 1024 * 1024,
            http_timeout: Duration::from_secs(30),
            file_roots: Vec::new(),
            allowed_hosts: Vec::new(),
            allowed_ranges: Vec::new(),
            max_fetches_per_host: 2,
            max_fetches_per_host_per_minute: 600,
        }
    }
}

impl FetchConfig {
    /// The address policy these settings describe.
    pub fn address_policy(&self) -> Result<crate::fetch::AddressPolicy, ConfigError> {
        let allowed_ranges = self
            .allowed_ranges
            .iter()
            .map(|range| {
                range.parse().map_err(|_| {
                    ConfigError::Invalid(format!(
                        "fetch.allowed_ranges: {range:?} is not a CIDR range such as 10.20.0.0/16"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(crate::fetch::AddressPolicy {
            allowed_hosts: self.allowed_hosts.clone(),
            allowed_ranges,
        })
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl NodeConfig {
    /// Parses a TOML document; missing fields take their defaults, unknown fields are errors.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: NodeConfig = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that would make the node misbehave.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.discovery.page_size == 0 {
            return Err(ConfigError::Invalid(
                "discovery.page_size must be at least 1".into(),
            ));
        }
        if self.discovery.full_sync_every_blocks == 0 {
            return Err(ConfigError::Invalid(
                "discovery.full_sync_every_blocks must be at least 1".into(),
            ));
        }
        if self.discovery.max_blocks_per_poll == 0 {
            return Err(ConfigError::Invalid(
                "discovery.max_blocks_per_poll must be at least 1".into(),
            ));
        }
        if self.execution.max_concurrent_jobs == 0 {
            return Err(ConfigError::Invalid(
                "execution.max_concurrent_jobs must be at least 1".into(),
            ));
        }
        if self.execution.max_jobs_per_consumer == 0 {
            return Err(ConfigError::Invalid(
                "execution.max_jobs_per_consumer must be at least 1".into(),
            ));
        }
        if self.retry.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        if self.fetch.max_fetches_per_host == 0 {
            return Err(ConfigError::Invalid(
                "fetch.max_fetches_per_host must be at least 1".into(),
            ));
        }
        if self.fetch.max_fetches_per_host_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "fetch.max_fetches_per_host_per_minute must be at least 1".into(),
            ));
        }
        self.fetch.address_policy()?;
        Ok(())
    }
}

/// Durations as integer milliseconds in TOML (`initial_backoff = 200`).
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        serializer.serialize_u64(millis)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_toml_gives_defaults() {
        assert_eq!(NodeConfig::from_toml("").unwrap(), NodeConfig::default());
    }

    #[test]
    fn toml_overrides_fields() {
        let config = NodeConfig::from_toml(
            r#"
            data_dir = "/var/lib/sibyl"
            metrics_listen = "127.0.0.1:9464"
            [contracts]
            escrow = "cosmwasm1escrow"
            [execution]
            backend = "cpu"
            [retry]
            initial_backoff = 50
            "#,
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/sibyl"));
        assert_eq!(config.contracts.escrow, "cosmwasm1escrow");
        assert_eq!(config.execution.backend, BackendChoice::Cpu);
        assert_eq!(config.retry.initial_backoff, Duration::from_millis(50));
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = NodeConfig::from_toml("colour = 3").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn zero_limits_are_rejected() {
        for text in [
            "[discovery]\npage_size = 0",
            "[discovery]\nfull_sync_every_blocks = 0",
            "[discovery]\nmax_blocks_per_poll = 0",
            "[execution]\nmax_concurrent_jobs = 0",
            "[execution]\nmax_jobs_per_consumer = 0",
            "[retry]\nmax_attempts = 0",
            "[fetch]\nmax_fetches_per_host = 0",
            "[fetch]\nmax_fetches_per_host_per_minute = 0",
        ] {
            assert!(matches!(
                NodeConfig::from_toml(text),
                Err(ConfigError::Invalid(_))
            ));
        }
    }

    #[test]
    fn fetch_allowances_become_the_address_policy() {
        let config = NodeConfig::from_toml(
            "[fetch]\nallowed_hosts = [\"mirror.internal\"]\nallowed_ranges = [\"10.20.0.0/16\"]",
        )
        .unwrap();
        let policy = config.fetch.address_policy().unwrap();
        assert!(policy.allows_host("mirror.internal"));
        assert!(policy.check("10.20.3.4".parse().unwrap()).is_ok());
        assert!(policy.check("10.21.0.1".parse().unwrap()).is_err());
        let err = NodeConfig::from_toml("[fetch]\nallowed_ranges = [\"10.20.0.0\"]").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"10.20.0.0\" is not a CIDR range"),
            "{err}"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let retry = RetryConfig::default();
        assert_eq!(retry.backoff(1), Duration::from_millis(200));
        assert_eq!(retry.backoff(2), Duration::from_millis(400));
        assert_eq!(retry.backoff(3), Duration::from_millis(800));
        assert_eq!(retry.backoff(40), Duration::from_secs(5));
    }
}
