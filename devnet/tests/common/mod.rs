//! A small network for the node tests: the embedded chain with both contracts, the digits model
//! registered, funded operators, and helpers to start nodes and follow jobs.

#![allow(dead_code)] // each test binary uses a different part of the helpers

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{Binary, HexBinary};
use sibyl_api::escrow::events::JobSubmitted;
use sibyl_api::escrow::{ExecuteMsg, JobInput, JobResponse, JobStatus, PriceResponse, QueryMsg};
use sibyl_devnet::chain::{EmbeddedChain, EmbeddedChainConfig};
use sibyl_devnet::demo::deploy::{self, coin, Accounts, Deployment};
use sibyl_devnet::demo::operators::{self, Faults, Operator, Role};
use sibyl_devnet::demo::Digits;
use sibyl_infer::{Backend, Engine};
use sibyl_model::{Limits, Model};
use sibyl_oracle::chain::{execute, query, ChainClient};
use sibyl_oracle::config::NodeConfig;
use sibyl_oracle::node::executor::{EngineExecutor, Executor};
use sibyl_oracle::node::{DatabaseMode, RunningNode};
use sibyl_oracle::signer::AttestationSigner;
use sibyl_oracle::store::JobRecord;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Fast blocks keep the tests short; nothing asserts on time.
pub const BLOCK_TIME: Duration = Duration::from_millis(25);

pub struct Network {
    pub chain: EmbeddedChain,
    pub accounts: Accounts,
    pub deployment: Deployment,
    pub operators: Vec<Operator>,
    pub digits: Digits,
    pub model: Model,
    pub executor: Arc<dyn Executor>,
    pub dir: TempDir,
}

impl Network {
    /// A chain with `operators` registered operators (the last `faulty` of them dishonest) and
    /// the digits model registered.
    pub async fn start(operators: u32, faulty: u32) -> Network {
        Network::start_with(
            operators,
            Faults { faulty, silent: 0 },
            deploy::window_blocks(BLOCK_TIME),
        )
        .await
    }

    /// A chain with `operators` registered operators in the roles `faults` gives, commit and
    /// reveal windows of `window_blocks` blocks, and the digits model registered.
    pub async fn start_with(operators: u32, faults: Faults, window_blocks: u64) -> Network {
        let digits = Digits::load().expect("bundled digits");
        let model = Model::parse(digits.model_bytes(), &Limits::default()).expect("digits model");
        let dir = tempfile::tempdir().expect("temp dir");
        let uri = digits.publish_model(dir.path()).expect("publish model");
        let engine =
            Engine::new(Backend::Vulkan).expect("a Vulkan device (lavapipe without a GPU)");
        let executor: Arc<dyn Executor> = Arc::new(EngineExecutor::new(engine, Limits::default()));
        let chain = EmbeddedChain::start(EmbeddedChainConfig {
            block_time: BLOCK_TIME,
            ..EmbeddedChainConfig::default()
        })
        .expect("chain");
        let accounts = Accounts::new();
        let deployment = deploy::deploy(&chain, &accounts, 5, window_blocks)
            .await
            .expect("deploy");
        deploy::register_model(&chain, &accounts, &deployment, &model, uri)
            .await
            .expect("register model");
        let operators = operators::register(&chain, &deployment, operators, faults)
            .await
            .expect("operators");
        Network {
            chain,
            accounts,
            deployment,
            operators,
            digits,
            model,
            executor,
            dir,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn node_config(&self, operator: usize) -> NodeConfig {
        operators::node_config(self.dir.path(), &self.operators[operator], &self.deployment)
    }

    /// Starts operator `operator`'s node with `config`.
    pub async fn start_node_with(
        &self,
        operator: usize,
        config: NodeConfig,
        mode: DatabaseMode,
    ) -> RunningNode {
        let client = self.chain.client(&self.operators[operator].address);
        self.start_node_on(operator, config, mode, client).await
    }

    /// Starts operator `operator`'s node with `config`, talking to the chain through `client`.
    pub async fn start_node_on<C: ChainClient>(
        &self,
        operator: usize,
        config: NodeConfig,
        mode: DatabaseMode,
        client: C,
    ) -> RunningNode {
        let op = &self.operators[operator];
        let executor = if op.role == Role::Faulty {
            Arc::new(sibyl_oracle::node::faulty::FaultyExecutor::new(
                self.executor.clone(),
                1,
            )) as Arc<dyn Executor>
        } else {
            self.executor.clone()
        };
        sibyl_oracle::node::start(
            config,
            sibyl_oracle::node::NodeParts {
                client,
                signer: AttestationSigner::local(op.keys.attestation().clone()),
                executor,
            },
            mode,
            CancellationToken::new(),
        )
        .await
        .expect("node starts")
    }

    pub async fn start_node(&self, operator: usize) -> RunningNode {
        self.start_node_with(
            operator,
            self.node_config(operator),
            DatabaseMode::CreateIfMissing,
        )
        .await
    }

    /// Submits `input` inline to the registered digits model.
    pub async fn submit(&self, input: &[u8], redundancy: u32, quorum: u32) -> u64 {
        self.submit_job(
            self.model.hash(),
            JobInput::Inline {
                data: Binary::from(input.to_vec()),
            },
            redundancy,
            quorum,
        )
        .await
    }

    /// Submits a job of the digits model whose input is `size` bytes hashing to `hash` at `uri`
    /// (k = every operator, m = 2).
    pub async fn submit_remote(&self, hash: [u8; 32], uri: String, size: usize) -> u64 {
        self.submit_remote_as(&self.accounts.consumer, hash, uri, size)
            .await
    }

    /// [`Network::submit_remote`] from another consumer account (funded here).
    pub async fn submit_remote_as(
        &self,
        consumer: &str,
        hash: [u8; 32],
        uri: String,
        size: usize,
    ) -> u64 {
        self.submit_job_as(
            consumer,
            self.model.hash(),
            JobInput::Remote {
                hash: HexBinary::from(hash.to_vec()),
                uri,
                size: size as u64,
            },
            self.operators.len() as u32,
            2,
        )
        .await
    }

    /// Submits a job for any registered model hash and input.
    pub async fn submit_job(
        &self,
        model_hash: [u8; 32],
        input: JobInput,
        redundancy: u32,
        quorum: u32,
    ) -> u64 {
        self.submit_job_as(
            &self.accounts.consumer,
            model_hash,
            input,
            redundancy,
            quorum,
        )
        .await
    }

    /// [`Network::submit_job`] from `consumer_address` (funded here).
    pub async fn submit_job_as(
        &self,
        consumer_address: &str,
        model_hash: [u8; 32],
        input: JobInput,
        redundancy: u32,
        quorum: u32,
    ) -> u64 {
        let consumer = self.chain.client(consumer_address);
        let model_hash = HexBinary::from(model_hash.to_vec());
        let price: PriceResponse = query(
            &consumer,
            &self.deployment.escrow,
            &QueryMsg::Price {
                model_hash: model_hash.clone(),
                redundancy: Some(redundancy),
            },
        )
        .await
        .expect("price");
        let amount = cosmwasm_std::Uint128::try_from(price.total.amount)
            .expect("price fits")
            .u128();
        self.chain
            .mint(consumer_address, coin(amount))
            .await
            .expect("fund consumer");
        let tx = execute(
            &consumer,
            &self.deployment.escrow,
            &ExecuteMsg::SubmitJob {
                model_hash,
                input,
                redundancy: Some(redundancy),
                quorum: Some(quorum),
                callback: false,
            },
            vec![price.total],
        )
        .await
        .expect("submit job");
        tx.events
            .iter()
            .find_map(|e| JobSubmitted::try_from(&e.to_cosmwasm()).ok())
            .expect("a submit event")
            .job_id
    }

    pub async fn job(&self, job_id: u64) -> JobResponse {
        query(
            &self.chain.client(&self.accounts.admin),
            &self.deployment.escrow,
            &QueryMsg::Job { job_id },
        )
        .await
        .expect("job query")
    }

    /// Waits (at most `max_blocks` blocks) until `check` holds for the job; returns the job.
    pub async fn wait_for_job(
        &self,
        job_id: u64,
        max_blocks: u64,
        check: impl Fn(&JobResponse) -> bool,
    ) -> JobResponse {
        let client = self.chain.client(&self.accounts.admin);
        let start = client.latest_height().await.expect("height");
        let mut height = start;
        loop {
            let job = self.job(job_id).await;
            if check(&job) {
                return job;
            }
            assert!(
                height - start <= max_blocks,
                "job {job_id} did not reach the expected state in {max_blocks} blocks: {job:?}"
            );
            height = client.wait_for_block_after(height).await.expect("block");
        }
    }

    /// Waits until the job left the open state.
    pub async fn wait_settled(&self, job_id: u64) -> JobResponse {
        let windows = 2 * self.deployment.window_blocks;
        self.wait_for_job(job_id, 2 * windows, |job| job.job.status != JobStatus::Open)
            .await
    }

    /// Waits until the job's reveal deadline has passed, then calls `Settle` (as anyone may).
    pub async fn settle_after_deadline(&self, job_id: u64) -> JobResponse {
        let deadline = self.job(job_id).await.job.reveal_deadline;
        let client = self.chain.client(&self.accounts.admin);
        client
            .wait_for_block_after(deadline)
            .await
            .expect("block after the reveal deadline");
        execute(
            &client,
            &self.deployment.escrow,
            &ExecuteMsg::Settle { job_id },
            vec![],
        )
        .await
        .expect("settle");
        self.job(job_id).await
    }

    /// Waits (at most 400 blocks) until `node` counted a job step failed for `reason`.
    pub async fn wait_for_failure(&self, node: &RunningNode, reason: &str) {
        for _ in 0..400 {
            if node.metrics().job_failures(reason) > 0 {
                return;
            }
            self.wait_blocks(1).await;
        }
        panic!("the node never reported a `{reason}` failure");
    }

    /// Waits (at most 400 blocks) until `node` recorded the settlement of `job_id`; returns the
    /// record.
    pub async fn wait_for_settled_record(&self, node: &RunningNode, job_id: u64) -> JobRecord {
        for _ in 0..400 {
            if let Some(record) = node.records().store().job(job_id).expect("read the record") {
                if record.is_settled() {
                    return record;
                }
            }
            self.wait_blocks(1).await;
        }
        panic!("the node never recorded the settlement of job {job_id}");
    }

    /// Waits until `blocks` more blocks are finished.
    pub async fn wait_blocks(&self, blocks: u64) {
        let client = self.chain.client(&self.accounts.admin);
        let start = client.latest_height().await.expect("height");
        client
            .wait_for_block_after(start + blocks - 1)
            .await
            .expect("blocks");
    }

    /// The reference executor's output hash for `input`: the right answer.
    pub fn expected_output_hash(&self, input: &[u8]) -> [u8; 32] {
        sibyl_model::reference::run(&self.model, input)
            .expect("reference run")
            .hash()
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        self.chain.shutdown();
    }
}
