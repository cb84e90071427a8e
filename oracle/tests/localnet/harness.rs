//! The local wasmd node and the `sibyl-oracle` processes that the tests drive: thin adapters over
//! `sibyl_devnet::localnet` (which the localnet demo drives too) that fail the test on an error.
//!
//! The chain is started with `scripts/localnet.sh` (idempotent) in `$SIBYL_LOCALNET_HOME`, or a
//! directory of its own under the system temp dir; the faucet is the localnet validator's account
//! (the first account of the script's public test mnemonic). Every test deploys its own contracts.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use cosmrs::tx::Msg;
use cosmwasm_std::{Binary, Coin};
use sibyl_api::escrow::events::{Committed, JobSubmitted};
use sibyl_api::escrow::{JobResponse, JobStatus, PriceResponse, QueryMsg};
use sibyl_api::example_consumer::ExecuteMsg as ConsumerMsg;
use sibyl_devnet::localnet::{self as devnet, NodeSettings, OperatorNode, OracleBinary, PREFIX};
pub use sibyl_devnet::localnet::{counter_total, transfer, PASSPHRASE};
use sibyl_oracle::chain::cosmos::CosmosClient;
use sibyl_oracle::chain::{query, ChainClient};
use sibyl_oracle::config::BackendChoice;
use sibyl_oracle::deploy::Deployment;
use sibyl_oracle::keys::{KdfParams, OperatorKeys};

/// Every account a test creates gets this much from the faucet.
const FUNDING: u128 = 100_000_000;
/// Self-bond of each test operator.
pub const STAKE: u128 = 10_000_000;

/// A directory for one test's files; kept (and printed) when `SIBYL_KEEP_TEST_DIRS` is set.
pub struct TestDir {
    path: PathBuf,
    _removed_on_drop: Option<tempfile::TempDir>,
}

impl TestDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub fn test_dir() -> TestDir {
    let dir = tempfile::Builder::new()
        .prefix("sibyl-localnet-test")
        .tempdir()
        .unwrap();
    if std::env::var_os("SIBYL_KEEP_TEST_DIRS").is_some() {
        let path = dir.keep();
        eprintln!("test files in {}", path.display());
        return TestDir {
            path,
            _removed_on_drop: None,
        };
    }
    TestDir {
        path: dir.path().to_path_buf(),
        _removed_on_drop: Some(dir),
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The running local chain.
pub struct Localnet(devnet::Localnet);

impl Deref for Localnet {
    type Target = devnet::Localnet;

    fn deref(&self) -> &devnet::Localnet {
        &self.0
    }
}

/// `$SIBYL_LOCALNET_HOME`, or a directory of the tests' own.
pub fn localnet_home() -> PathBuf {
    std::env::var_os("SIBYL_LOCALNET_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("sibyl-localnet-oracle-tests"))
}

impl Localnet {
    pub fn start() -> Localnet {
        Localnet(devnet::Localnet::start(&repo_root(), Some(localnet_home())).unwrap())
    }

    /// Stops the wasmd process (its data stays) or starts it again on the same data.
    pub fn run_script(&self, command: &str) {
        self.0.run_script(command).unwrap();
    }

    pub async fn client(&self, keys: &OperatorKeys) -> CosmosClient {
        self.0.client(keys).await.unwrap()
    }

    pub async fn faucet(&self) -> CosmosClient {
        self.0.faucet().await.unwrap()
    }

    /// Sends FUNDING to each address, in one transaction.
    pub async fn fund(&self, addresses: &[&str]) {
        self.fund_with(addresses, FUNDING).await
    }

    /// Sends `amount` to each address, in one transaction.
    pub async fn fund_with(&self, addresses: &[&str], amount: u128) {
        self.0.fund(addresses, amount).await.unwrap()
    }
}

/// Sends 1 unit to `to` from an account that a running node also signs for: the two signers race
/// for sequences, so a send may find its corrections taken and is tried again.
pub async fn send_racing(client: &CosmosClient, to: &str, denom: &str) {
    for _ in 0..10 {
        match client
            .send(vec![transfer(client, to, 1, denom).unwrap()])
            .await
        {
            Ok(_) => return,
            Err(error) if error.is_transient() => {
                tokio::time::sleep(Duration::from_millis(300)).await
            }
            Err(error) => panic!("transfer: {error}"),
        }
    }
    panic!("transfer: lost the sequence race ten times");
}

/// Fresh keys, saved to `dir/name.key` under [`PASSPHRASE`].
pub fn new_key_file(dir: &Path, name: &str) -> (PathBuf, OperatorKeys) {
    let keys = OperatorKeys::generate(PREFIX).unwrap();
    let path = dir.join(format!("{name}.key"));
    // Cheap stretching: these keys guard test tokens on a throwaway chain.
    let kdf = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    keys.save(&path, PASSPHRASE, &kdf, false).unwrap();
    (path, keys)
}

/// The binary under test.
pub fn binary() -> OracleBinary {
    OracleBinary(PathBuf::from(env!("CARGO_BIN_EXE_sibyl-oracle")))
}

/// Runs the `sibyl-oracle` binary to completion.
pub fn oracle(args: &[&str]) -> Output {
    binary().output(args).unwrap()
}

pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Deploys the contracts with the `deploy` command as a fresh, funded admin.
pub async fn deploy(localnet: &Localnet, dir: &Path, window_blocks: u64) -> Deployment {
    let (key_file, admin) = new_key_file(dir, "admin");
    localnet.fund(&[admin.account_address()]).await;
    let out = dir.join("deployment.json");
    let root = repo_root();
    let output = oracle(&[
        "deploy",
        "--chain-id",
        &localnet.chain_id,
        "--rpc",
        &localnet.rpc,
        "--grpc",
        &localnet.grpc,
        "--gas-price",
        &localnet.gas_price,
        "--key-file",
        key_file.to_str().unwrap(),
        "--wasm-dir",
        root.join("artifacts").to_str().unwrap(),
        "--model",
        root.join("models/digits/digits.sibylmodel")
            .to_str()
            .unwrap(),
        "--window-blocks",
        &window_blocks.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success("sibyl-oracle deploy", &output);
    Deployment::load(&out).unwrap()
}

/// A fresh deployment and its registered operators, none of them running yet.
pub struct Network {
    pub operators: Vec<Operator>,
    pub deployment: Deployment,
    pub deployment_file: PathBuf,
    /// Dropped last: the operators' processes are stopped before their files go.
    pub dir: TestDir,
}

/// Deploys with `window_blocks` and registers one operator per `(name, test_fault_skew)`.
pub async fn network(
    localnet: &Localnet,
    window_blocks: u64,
    operators: &[(&str, Option<u8>)],
) -> Network {
    let dir = test_dir();
    let deployment = deploy(localnet, dir.path(), window_blocks).await;
    let deployment_file = dir.path().join("deployment.json");
    let mut created = Vec::new();
    for (name, fault) in operators {
        created.push(Operator::create(localnet, &deployment_file, dir.path(), name, *fault).await);
    }
    Network {
        operators: created,
        deployment,
        deployment_file,
        dir,
    }
}

/// One operator: an [`OperatorNode`] of the binary under test, with the gas of its registration.
pub struct Operator {
    node: OperatorNode,
    /// Gas of its `RegisterOperator` transaction.
    pub register_gas: u64,
}

impl Deref for Operator {
    type Target = OperatorNode;

    fn deref(&self) -> &OperatorNode {
        &self.node
    }
}

impl DerefMut for Operator {
    fn deref_mut(&mut self) -> &mut OperatorNode {
        &mut self.node
    }
}

impl Operator {
    /// `init`, funding, node settings for the test, `operator register`.
    pub async fn create(
        localnet: &Localnet,
        deployment_file: &Path,
        dir: &Path,
        name: &str,
        fault_skew: Option<u8>,
    ) -> Operator {
        let mut operator = Operator::init(localnet, deployment_file, dir, name, fault_skew);
        localnet.fund(&[&operator.address]).await;
        operator.register();
        operator
    }

    /// A key file, `init`, and the node settings for the test (CPU executor, the digits model's
    /// directory readable).
    pub fn init(
        localnet: &Localnet,
        deployment_file: &Path,
        dir: &Path,
        name: &str,
        fault_skew: Option<u8>,
    ) -> Operator {
        let settings = NodeSettings {
            backend: BackendChoice::Cpu,
            file_roots: vec![repo_root().join("models/digits")],
            fault_skew,
        };
        let node =
            OperatorNode::init(&binary(), localnet, deployment_file, dir, name, &settings).unwrap();
        Operator {
            node,
            register_gas: 0,
        }
    }

    /// `operator register` with a self-bond of [`STAKE`].
    pub fn register(&mut self) {
        self.register_gas = self.node.register(STAKE).unwrap();
    }

    pub fn edit_config(&self, edit: impl FnOnce(&mut toml::Table)) {
        self.node.edit_config(edit).unwrap();
    }

    pub fn keys(&self) -> OperatorKeys {
        self.node.keys().unwrap()
    }

    /// Starts `sibyl-oracle run` with the node's debug logs.
    pub fn start(&mut self) {
        self.node.start("info,sibyl_oracle=debug").unwrap();
    }

    pub async fn metrics(&self) -> String {
        self.node.metrics().await.unwrap()
    }

    pub async fn health(&self) -> (u16, String) {
        self.node.health().await.unwrap()
    }
}

/// The digits test set: (image, label) pairs.
pub fn digit_samples() -> Vec<(Vec<u8>, u8)> {
    let models = repo_root().join("models/digits");
    let images = std::fs::read(models.join("test_inputs.bin")).unwrap();
    let labels = std::fs::read(models.join("test_labels.bin")).unwrap();
    images
        .chunks(64)
        .zip(labels)
        .map(|(image, label)| (image.to_vec(), label))
        .collect()
}

/// A consumer account submitting jobs through the example consumer contract.
pub struct Consumer {
    pub client: CosmosClient,
    pub price: Coin,
    contract: String,
}

impl Consumer {
    pub async fn new(localnet: &Localnet, deployment: &Deployment) -> Consumer {
        let keys = OperatorKeys::generate(PREFIX).unwrap();
        localnet.fund(&[keys.account_address()]).await;
        let client = localnet.client(&keys).await;
        let price: PriceResponse = query(
            &client,
            &deployment.escrow,
            &QueryMsg::Price {
                model_hash: hex::decode(&deployment.model_hash).unwrap().into(),
                redundancy: None,
            },
        )
        .await
        .unwrap();
        Consumer {
            client,
            price: Coin::new(
                price.total.amount.to_string().parse::<u128>().unwrap(),
                price.total.denom,
            ),
            contract: deployment.consumer.clone(),
        }
    }

    /// Submits one job per image in one transaction (so that they are assigned in one block);
    /// returns their job ids.
    pub async fn submit(&self, images: &[Vec<u8>]) -> Vec<u64> {
        self.submit_measured(images).await.0
    }

    /// [`Consumer::submit`], with the transaction's gas and height.
    pub async fn submit_measured(&self, images: &[Vec<u8>]) -> (Vec<u64>, u64, u64) {
        let messages = images
            .iter()
            .map(|image| {
                cosmrs::cosmwasm::MsgExecuteContract {
                    sender: self.client.sender().clone(),
                    contract: self.contract.parse().unwrap(),
                    msg: serde_json::to_vec(&ConsumerMsg::RequestInference {
                        input: Binary::from(image.clone()),
                    })
                    .unwrap(),
                    funds: sibyl_oracle::chain::cosmos::sdk_coins(std::slice::from_ref(
                        &self.price,
                    ))
                    .unwrap(),
                }
                .to_any()
                .unwrap()
            })
            .collect();
        let tx = self
            .client
            .send(messages)
            .await
            .expect("jobs submitted")
            .outcome;
        let job_ids = tx
            .events
            .iter()
            .filter_map(|event| JobSubmitted::try_from(&event.to_cosmwasm()).ok())
            .map(|submitted| submitted.job_id)
            .collect();
        (job_ids, tx.gas_used, tx.height)
    }
}

/// Waits until every job settled; returns them. On time-out, panics with the jobs still open and
/// the operators' warnings and errors.
pub async fn wait_settled<C: ChainClient>(
    client: &C,
    escrow: &str,
    job_ids: &[u64],
    limit: Duration,
    operators: &[Operator],
) -> Vec<JobResponse> {
    let started = Instant::now();
    loop {
        let mut jobs = Vec::new();
        for &job_id in job_ids {
            let job: JobResponse = query(client, escrow, &QueryMsg::Job { job_id })
                .await
                .unwrap();
            jobs.push(job);
        }
        if jobs.iter().all(|job| job.job.status != JobStatus::Open) {
            return jobs;
        }
        if started.elapsed() > limit {
            let open: Vec<_> = jobs
                .iter()
                .filter(|job| job.job.status == JobStatus::Open)
                .map(|job| (job.job.job_id, job.commits, job.reveals))
                .collect();
            let logs: Vec<String> = operators
                .iter()
                .map(|operator| format!("--- {}:\n{}", operator.name, operator.problems()))
                .collect();
            panic!(
                "jobs (id, commits, reveals) still open after {limit:?}: {open:?}\n{}",
                logs.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits for a `Committed` event of the escrow, from two blocks back, that `wanted` accepts.
pub async fn wait_for_commit<C: ChainClient>(client: &C, wanted: impl Fn(&Committed) -> bool) {
    let mut cursor = client.latest_height().await.unwrap().saturating_sub(2);
    loop {
        let latest = client.wait_for_block_after(cursor).await.unwrap();
        for event in client.events_between(cursor, latest).await.unwrap() {
            if Committed::try_from(&event.to_cosmwasm()).is_ok_and(|committed| wanted(&committed)) {
                return;
            }
        }
        cursor = latest;
    }
}

/// The digit a canonical output tensor encodes.
pub fn digit(output: &[u8]) -> i32 {
    let tensor = sibyl_model::Tensor::from_canonical_bytes(output).unwrap();
    tensor.values_i32()[0]
}
