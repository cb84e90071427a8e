//! The oracle node: one task per concern, sharing one cancellation token.
//!
//! - `discovery`: follows blocks and turns chain facts into messages to the jobs' tasks (through
//!   the `tracker`, a map from job id to task); persists the block cursor; has the `assigner`
//!   draw the operators of submitted jobs;
//! - `job`: one task per assigned job, the only writer of its record, from assignment to
//!   settlement (fetch → execute → persist → commit → reveal → record the outcome);
//! - `submitter`: the only sender of the operator's transactions;
//! - `metrics`: serves `/metrics` and `/healthz` when configured.
//!
//! [`start`] opens the database (a missing or corrupt one is a clear error), spawns the tasks and
//! returns a [`RunningNode`]; SIGINT/SIGTERM or [`RunningNode::stop`] stop it cleanly.

pub mod assigner;
pub mod content;
pub mod discovery;
pub mod executor;
pub mod failure;
pub mod faulty;
pub mod job;
pub mod records;
pub mod submitter;
pub mod tasks;
pub mod telemetry;
pub mod tracker;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::chain::ChainClient;
use crate::config::{ConfigError, NodeConfig};
use crate::fetch::{ContentStore, FetchError};
use crate::keyed_slots::KeyedSlots;
use crate::signer::AttestationSigner;
use crate::store::StoreError;
use assigner::Assigner;
use content::ContentFetcher;
use discovery::Discovery;
use executor::Executor;
use job::JobContext;
use records::Records;
use submitter::Submitter;
use tasks::{TaskFailure, TaskGroup};
use telemetry::NodeMetrics;
use tracker::JobTracker;

/// Queue length in front of the submitter.
const QUEUE_CAPACITY: usize = 1024;

/// Why a node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the node database: {0}")]
    Database(#[source] StoreError),
    #[error("cannot open the content store: {0}")]
    ContentStore(#[source] FetchError),
    #[error("cannot start the metrics server: {0}")]
    Metrics(String),
    #[error(transparent)]
    Task(#[from] TaskFailure),
}

/// What a node needs besides its configuration.
pub struct NodeParts<C: ChainClient> {
    /// The chain, as the operator's account.
    pub client: C,
    /// Signs the results' attestations.
    pub signer: AttestationSigner,
    /// Runs the models (shared between nodes in the demo).
    pub executor: Arc<dyn Executor>,
}

/// How a node opens its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseMode {
    /// Create the database if it does not exist (first start).
    CreateIfMissing,
    /// The database must exist (restart): a missing one is an error, not a silent fresh start
    /// that would forget the salts of committed jobs.
    MustExist,
}

/// A started node.
pub struct RunningNode {
    cancel: CancellationToken,
    task: JoinHandle<Result<(), TaskFailure>>,
    metrics: NodeMetrics,
    records: Records,
}

impl RunningNode {
    /// Asks every task to stop.
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// The node's metrics.
    pub fn metrics(&self) -> &NodeMetrics {
        &self.metrics
    }

    /// The node's database.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Waits until every task stopped; the first task failure, if any.
    pub async fn wait(self) -> Result<(), NodeError> {
        match self.task.await {
            Ok(result) => Ok(result?),
            Err(e) => Err(NodeError::Task(TaskFailure {
                task: "node",
                message: e.to_string(),
            })),
        }
    }
}

/// The path of the node database inside `data_dir`.
pub fn database_path(config: &NodeConfig) -> PathBuf {
    config.data_dir.join("oracle.redb")
}

/// Opens the database and starts the node's tasks under `cancel`.
pub async fn start<C: ChainClient>(
    config: NodeConfig,
    parts: NodeParts<C>,
    database: DatabaseMode,
    cancel: CancellationToken,
) -> Result<RunningNode, NodeError> {
    config.validate()?;
    let path = database_path(&config);
    let records = Records::open(&path, database).map_err(NodeError::Database)?;
    let metrics = NodeMetrics::new(config.health_max_block_age);
    metrics.inference_device(&parts.executor.device());
    let store = ContentStore::open(config.data_dir.join("content"))
        .await
        .map_err(NodeError::ContentStore)?;
    let content = ContentFetcher::new(store, &config.fetch)
        .await
        .map_err(NodeError::ContentStore)?;
    let operator = parts.client.account().to_string();
    let (submitter, tx_requests) = Submitter::channel(QUEUE_CAPACITY);

    let context = Arc::new(JobContext {
        chain_id: parts.client.chain_id().to_string(),
        escrow: config.contracts.escrow.clone(),
        operator: operator.clone(),
        signer: parts.signer,
        records: records.clone(),
        content,
        executor: parts.executor,
        execution_slots: Semaphore::new(config.execution.max_concurrent_jobs),
        consumer_slots: KeyedSlots::new(config.execution.max_jobs_per_consumer),
        submitter: submitter.clone(),
        metrics: metrics.clone(),
        limits: config.fetch.clone(),
        retry: config.retry.clone(),
    });
    let discovery = Discovery {
        client: parts.client.clone(),
        escrow: config.contracts.escrow.clone(),
        config: config.discovery.clone(),
        records: records.clone(),
        tracker: JobTracker::new(context, cancel.child_token()),
        metrics: metrics.clone(),
        assigner: Assigner::new(
            config.contracts.escrow.clone(),
            submitter,
            metrics.clone(),
            config.discovery.full_sync_every_blocks,
        ),
    };

    let mut group = TaskGroup::new(cancel.clone());
    if let Some(address) = config.metrics_listen {
        let server = metrics
            .serve(address, cancel.clone())
            .await
            .map_err(NodeError::Metrics)?;
        group.spawn("metrics", server);
    }
    group.spawn("discovery", discovery.run(cancel.clone()));
    group.spawn(
        "submitter",
        submitter::run(parts.client, tx_requests, cancel.clone()),
    );
    tracing::info!(%operator, "node started");
    let task = tokio::spawn(group.join());
    Ok(RunningNode {
        cancel,
        task,
        metrics,
        records,
    })
}
