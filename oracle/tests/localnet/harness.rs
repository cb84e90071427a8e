//! The local wasmd node and the `sibyl-oracle` processes that the tests drive.
//!
//! The chain is started with `scripts/localnet.sh` (idempotent) in `$SIBYL_LOCALNET_HOME`, or a
//! directory of its own under the system temp dir; the faucet is the localnet validator's account
//! (the first account of the script's public test mnemonic). Every test deploys its own contracts.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cosmrs::tx::Msg;
use cosmwasm_std::{Binary, Coin};
use sibyl_api::escrow::events::{Committed, JobSubmitted};
use sibyl_api::escrow::{JobResponse, JobStatus, PriceResponse, QueryMsg};
use sibyl_api::example_consumer::ExecuteMsg as ConsumerMsg;
use sibyl_oracle::chain::cosmos::{CosmosClient, CosmosConfig};
use sibyl_oracle::chain::{query, ChainClient};
use sibyl_oracle::deploy::Deployment;
use sibyl_oracle::keys::{KdfParams, OperatorKeys};

pub const PASSPHRASE: &str = "localnet test passphrase";
const PREFIX: &str = "wasm";
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
pub struct Localnet {
    script: PathBuf,
    home: PathBuf,
    pub chain_id: String,
    pub rpc: String,
    pub grpc: String,
    pub denom: String,
    pub gas_price: String,
}

impl Localnet {
    pub fn start() -> Localnet {
        let home = std::env::var_os("SIBYL_LOCALNET_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("sibyl-localnet-oracle-tests"));
        let script = repo_root().join("scripts/localnet.sh");
        let localnet = |command: &str| {
            let output = Command::new("bash")
                .arg(&script)
                .arg(command)
                .env("SIBYL_LOCALNET_HOME", &home)
                .output()
                .expect("bash runs");
            assert!(
                output.status.success(),
                "scripts/localnet.sh {command} failed (install wasmd with \
                 `bash scripts/localnet.sh install`): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).unwrap()
        };
        localnet("start");
        let env: HashMap<String, String> = localnet("env")
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|line| line.split_once('='))
            .map(|(key, value)| (key.to_string(), value.trim_matches('\'').to_string()))
            .collect();
        Localnet {
            script,
            home,
            chain_id: env["LOCALNET_CHAIN_ID"].clone(),
            rpc: env["LOCALNET_RPC"].clone(),
            grpc: format!("http://{}", env["LOCALNET_GRPC"]),
            denom: env["LOCALNET_DENOM"].clone(),
            gas_price: env["LOCALNET_GAS_PRICE"].clone(),
        }
    }

    /// Stops the wasmd process (its data stays) or starts it again on the same data.
    pub fn run_script(&self, command: &str) {
        let status = Command::new("bash")
            .arg(&self.script)
            .arg(command)
            .env("SIBYL_LOCALNET_HOME", &self.home)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "scripts/localnet.sh {command} failed");
    }

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

    pub async fn client(&self, keys: &OperatorKeys) -> CosmosClient {
        CosmosClient::connect(&self.chain_config(), keys, Vec::new())
            .await
            .expect("the localnet accepts the client")
    }

    /// The localnet validator: the first account of the script's test mnemonic.
    pub async fn faucet(&self) -> CosmosClient {
        let script = std::fs::read_to_string(&self.script).unwrap();
        let phrase = script
            .lines()
            .find_map(|line| line.strip_prefix("TEST_MNEMONIC=\""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("scripts/localnet.sh defines TEST_MNEMONIC");
        let keys = OperatorKeys::from_phrase(phrase, PREFIX, 1).unwrap();
        self.client(&keys).await
    }

    /// Sends FUNDING to each address, in one transaction.
    pub async fn fund(&self, addresses: &[&str]) {
        self.fund_with(addresses, FUNDING).await
    }

    /// Sends `amount` to each address, in one transaction.
    pub async fn fund_with(&self, addresses: &[&str], amount: u128) {
        let faucet = self.faucet().await;
        let messages = addresses
            .iter()
            .map(|address| transfer(&faucet, address, amount, &self.denom))
            .collect();
        faucet.send(messages).await.expect("funding");
    }
}

/// A bank transfer of `amount` from `client`'s account.
pub fn transfer(client: &CosmosClient, to: &str, amount: u128, denom: &str) -> cosmrs::Any {
    cosmrs::bank::MsgSend {
        from_address: client.sender().clone(),
        to_address: to.parse().unwrap(),
        amount: vec![cosmrs::Coin {
            denom: denom.parse().unwrap(),
            amount,
        }],
    }
    .to_any()
    .unwrap()
}

/// Sends 1 unit to `to` from an account that a running node also signs for: the two signers race
/// for sequences, so a send may find its corrections taken and is tried again.
pub async fn send_racing(client: &CosmosClient, to: &str, denom: &str) {
    for _ in 0..10 {
        match client.send(vec![transfer(client, to, 1, denom)]).await {
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

/// Runs the `sibyl-oracle` binary to completion.
pub fn oracle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
        .args(args)
        .env("SIBYL_KEY_PASSPHRASE", PASSPHRASE)
        .env_remove("SIBYL_CHAIN_RPC")
        .env_remove("SIBYL_CHAIN_GRPC")
        .output()
        .unwrap()
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

/// One operator: its directory, config file, keys and, while it runs, its process.
pub struct Operator {
    pub name: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub address: String,
    pub metrics: SocketAddr,
    /// Gas of its `RegisterOperator` transaction.
    pub register_gas: u64,
    process: Option<Child>,
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

    /// `init` and the node settings for the test: a config file, a key file, a database.
    pub fn init(
        localnet: &Localnet,
        deployment_file: &Path,
        dir: &Path,
        name: &str,
        fault_skew: Option<u8>,
    ) -> Operator {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("sibyl-oracle.toml");
        let output = oracle(&[
            "init",
            "--config",
            config.to_str().unwrap(),
            "--deployment",
            deployment_file.to_str().unwrap(),
            "--rpc",
            &localnet.rpc,
            "--grpc",
            &localnet.grpc,
            "--new-key",
        ]);
        assert_success("sibyl-oracle init", &output);
        let metrics = free_port();
        edit_config(&config, |table| {
            table.insert("metrics_listen".into(), metrics.to_string().into());
            let section = |table: &mut toml::Table, name: &str| -> toml::Table {
                table
                    .get(name)
                    .and_then(|v| v.as_table())
                    .cloned()
                    .unwrap_or_default()
            };
            let mut fetch = section(table, "fetch");
            let models = repo_root().join("models/digits");
            fetch.insert(
                "file_roots".into(),
                toml::Value::Array(vec![models.display().to_string().into()]),
            );
            table.insert("fetch".into(), fetch.into());
            let mut execution = section(table, "execution");
            execution.insert("backend".into(), "cpu".into());
            if let Some(skew) = fault_skew {
                execution.insert("test_fault_skew".into(), i64::from(skew).into());
            }
            table.insert("execution".into(), execution.into());
            let mut chain = section(table, "chain");
            chain.insert("poll_interval".into(), 100.into());
            table.insert("chain".into(), chain.into());
        });
        let key_file = dir.join("sibyl-oracle.key");
        let address = sibyl_oracle::keys::read_public_info(&key_file)
            .unwrap()
            .account_address;
        Operator {
            name: name.to_string(),
            dir,
            config,
            address,
            metrics,
            register_gas: 0,
            process: None,
        }
    }

    /// `operator register` with a self-bond of [`STAKE`].
    pub fn register(&mut self) {
        let output = oracle(&[
            "operator",
            "register",
            "--config",
            self.config.to_str().unwrap(),
            "--moniker",
            &self.name,
            "--stake",
            &STAKE.to_string(),
        ]);
        assert_success("sibyl-oracle operator register", &output);
        let stdout = String::from_utf8_lossy(&output.stdout);
        self.register_gas = stdout
            .split("gas used ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|gas| gas.parse().ok())
            .expect("register prints its gas");
    }

    /// Changes the node's config file.
    pub fn edit_config(&self, edit: impl FnOnce(&mut toml::Table)) {
        edit_config(&self.config, edit);
    }

    /// The operator's keys, as the node has them.
    pub fn keys(&self) -> OperatorKeys {
        OperatorKeys::load(&self.dir.join("sibyl-oracle.key"), PASSPHRASE).unwrap()
    }

    /// Starts `sibyl-oracle run` (its log goes to `dir/node.log`, appended across restarts).
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "{} runs already", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("node.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
            .args(["run", "--config", self.config.to_str().unwrap()])
            .args(["--log-filter", "info,sibyl_oracle=debug"])
            .env("SIBYL_KEY_PASSPHRASE", PASSPHRASE)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.process = Some(child);
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Still running (a node must survive a chain outage).
    pub fn is_running(&mut self) -> bool {
        match &mut self.process {
            Some(child) => child.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// The node's `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The node's `/healthz` status code and body.
    pub async fn health(&self) -> (u16, String) {
        let response = reqwest::get(format!("http://{}/healthz", self.metrics))
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The warnings and errors of the node's log.
    pub fn problems(&self) -> String {
        self.log()
            .lines()
            .filter(|line| line.contains("WARN") || line.contains("ERROR"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("node.log")).unwrap_or_default()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Some(child) = self.process.as_mut() {
            // SIGTERM would be cleaner, but std has no portable way; the test is over anyway.
            let _ = child.kill();
            let _ = child.wait();
        }
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

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn edit_config(path: &Path, edit: impl FnOnce(&mut toml::Table)) {
    let mut table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    edit(&mut table);
    std::fs::write(path, toml::to_string(&table).unwrap()).unwrap();
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
