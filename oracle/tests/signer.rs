//! `sibyl-oracle signer` as a process: it signs over TCP and a Unix socket for clients that hold
//! its auth key, never two results for one job (also after a restart), and refuses clear
//! misconfigurations. The node end to end with a signer is in the localnet tests.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sibyl_devnet::localnet::{ChildProcess, OracleBinary, PASSPHRASE};
use sibyl_oracle::config_file::Template;
use sibyl_oracle::keys::{verify_attestation, KdfParams, OperatorKeys};
use sibyl_oracle::signer::config::SignerAddress;
use sibyl_oracle::signer::wire::AuthKey;
use sibyl_oracle::signer::{AttestationRequest, Refusal, RemoteSigner, SignError};

const CHAIN_ID: &str = "sibyl-signer-test-1";
const ESCROW: &str = "wasm1escrow";

fn binary() -> OracleBinary {
    OracleBinary(PathBuf::from(env!("CARGO_BIN_EXE_sibyl-oracle")))
}

/// Fresh operator keys in `dir/sibyl-oracle.key`, cheaply stretched (test keys).
fn key_file(dir: &Path) -> OperatorKeys {
    let keys = OperatorKeys::generate("wasm").unwrap();
    let kdf = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    std::fs::create_dir_all(dir).unwrap();
    keys.save(&dir.join("sibyl-oracle.key"), PASSPHRASE, &kdf, false)
        .unwrap();
    keys
}

/// `signer init` in `dir` listening on `listen`.
fn init(dir: &Path, listen: &str) -> String {
    binary()
        .run(
            "signer init",
            &[
                "signer",
                "init",
                "--config",
                dir.join("sibyl-signer.toml").to_str().unwrap(),
                "--chain-id",
                CHAIN_ID,
                "--escrow",
                ESCROW,
                "--listen",
                listen,
            ],
        )
        .unwrap()
}

/// `keys export-account` from the full key file `from` to `to`.
fn export_account(from: &Path, to: &Path) {
    binary()
        .run(
            "keys export-account",
            &[
                "keys",
                "export-account",
                "--key-file",
                from.to_str().unwrap(),
                "--out",
                to.to_str().unwrap(),
            ],
        )
        .unwrap();
}

struct Signer {
    process: ChildProcess,
    config: PathBuf,
}

impl Signer {
    fn new(dir: &Path) -> Self {
        Self {
            process: ChildProcess::new("signer", dir.join("signer.log")),
            config: dir.join("sibyl-signer.toml"),
        }
    }

    /// Starts `signer run`; waits until it listens (or exits, for the error tests).
    async fn start(&mut self) {
        let before = self.process.log().matches("signer listening").count();
        let mut command = binary().command();
        command
            .args(["signer", "run", "--config"])
            .arg(&self.config);
        self.process.start(command).unwrap();
        let started = Instant::now();
        while self.process.log().matches("signer listening").count() == before
            && self.process.is_running()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{}",
                self.process.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the process to exit; its log.
    async fn exit_log(&mut self) -> String {
        let started = Instant::now();
        while self.process.is_running() {
            assert!(started.elapsed() < Duration::from_secs(30), "still running");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.process.log()
    }
}

fn client(address: &str, auth_key: &Path, pubkey: [u8; 33]) -> RemoteSigner {
    RemoteSigner::with_auth_key(
        SignerAddress::try_from(address.to_string()).unwrap(),
        AuthKey::load(auth_key).unwrap(),
        Duration::from_secs(5),
        pubkey,
    )
}

fn request(job_id: u64, output: u8) -> AttestationRequest {
    AttestationRequest {
        chain_id: CHAIN_ID.into(),
        escrow: ESCROW.into(),
        job_id,
        model_hash: [1; 32],
        input_hash: [2; 32],
        output_hash: [output; 32],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_signer_signs_once_per_job_over_tcp_and_remembers_it_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_file(dir.path());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("tcp:127.0.0.1:{port}");
    let printed = init(dir.path(), &address);
    let auth_key = dir.path().join("signer-auth.key");
    assert!(printed.contains("wrote auth key"), "{printed}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&auth_key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut signer = Signer::new(dir.path());
    signer.start().await;

    let node = client(&address, &auth_key, keys.attestation_pubkey());
    assert_eq!(node.public_key().await.unwrap(), keys.attestation_pubkey());
    let signature = node.sign(&request(1, 0xaa)).await.unwrap();
    assert!(verify_attestation(
        &keys.attestation_pubkey(),
        &request(1, 0xaa).digest(),
        &signature
    ));
    assert_eq!(node.sign(&request(1, 0xaa)).await.unwrap(), signature);
    let second = node.sign(&request(1, 0xbb)).await;
    assert!(
        matches!(
            &second,
            Err(SignError::Refused(Refusal::DoubleSign { job_id: 1, signed_output_hash }))
                if *signed_output_hash == [0xaa; 32]
        ),
        "{second:?}"
    );
    let mut other_chain = request(2, 0xaa);
    other_chain.chain_id = "another-chain-1".into();
    assert!(matches!(
        node.sign(&other_chain).await,
        Err(SignError::Refused(Refusal::WrongChain { .. }))
    ));

    // Without the auth key: no signature, and the signer says why in its log.
    let stranger = RemoteSigner::with_auth_key(
        SignerAddress::try_from(address.clone()).unwrap(),
        AuthKey::generate(),
        Duration::from_secs(5),
        keys.attestation_pubkey(),
    );
    let refused = stranger.sign(&request(3, 0xaa)).await;
    assert!(
        matches!(refused, Err(SignError::Unavailable { .. })),
        "{refused:?}"
    );
    // A node expecting another attestation key rejects what this signer signs.
    let misconfigured = client(&address, &auth_key, [2; 33]);
    assert!(matches!(
        misconfigured.sign(&request(4, 0xaa)).await,
        Err(SignError::WrongKey { .. })
    ));

    signer.process.stop();
    let down = node.sign(&request(5, 0xaa)).await;
    assert!(
        matches!(&down, Err(error) if error.is_transient()),
        "{down:?}"
    );
    signer.start().await;
    assert!(matches!(
        node.sign(&request(1, 0xbb)).await,
        Err(SignError::Refused(Refusal::DoubleSign { .. }))
    ));
    assert_eq!(node.sign(&request(1, 0xaa)).await.unwrap(), signature);
    assert!(node.sign(&request(5, 0xaa)).await.is_ok());
    let log = signer.process.log();
    assert!(log.contains("does not hold the auth key"), "{log}");
    assert!(log.contains("refused to sign"), "{log}");
    assert!(
        log.contains("signed_jobs=2"),
        "the restart read the record back: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_signer_serves_a_private_socket_and_refuses_clear_misconfigurations() {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_file(dir.path());
    let socket = dir.path().join("signer.sock");
    let address = format!("unix:{}", socket.display());
    init(dir.path(), &address);
    let mut signer = Signer::new(dir.path());
    signer.start().await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only the owner may connect");
    let node = client(
        &address,
        &dir.path().join("signer-auth.key"),
        keys.attestation_pubkey(),
    );
    assert!(node.sign(&request(1, 0xaa)).await.is_ok());

    // A second signer on the same socket (its own state) is refused while the first runs.
    let second_dir = dir.path().join("second");
    std::fs::create_dir_all(&second_dir).unwrap();
    std::fs::copy(
        dir.path().join("sibyl-oracle.key"),
        second_dir.join("sibyl-oracle.key"),
    )
    .unwrap();
    init(&second_dir, &address);
    let mut second = Signer::new(&second_dir);
    second.start().await;
    let log = second.exit_log().await;
    assert!(log.contains("another signer is listening"), "{log}");
    assert!(
        node.sign(&request(2, 0xaa)).await.is_ok(),
        "the first one serves on"
    );

    // A listen path that is a regular file is an error, and the file stays.
    let not_a_socket = dir.path().join("not-a-socket");
    std::fs::write(&not_a_socket, "keep me").unwrap();
    let third_dir = dir.path().join("third");
    std::fs::create_dir_all(&third_dir).unwrap();
    std::fs::copy(
        dir.path().join("sibyl-oracle.key"),
        third_dir.join("sibyl-oracle.key"),
    )
    .unwrap();
    init(&third_dir, &format!("unix:{}", not_a_socket.display()));
    let mut third = Signer::new(&third_dir);
    third.start().await;
    let log = third.exit_log().await;
    assert!(log.contains("is not a socket"), "{log}");
    assert_eq!(std::fs::read_to_string(&not_a_socket).unwrap(), "keep me");

    // A socket left by a signer that was killed is replaced.
    signer.process.kill();
    assert!(socket.exists());
    signer.start().await;
    assert!(node.sign(&request(3, 0xaa)).await.is_ok());
    signer.process.stop();

    // The signer needs the attestation key: an account key file is not enough.
    export_account(
        &dir.path().join("sibyl-oracle.key"),
        &second_dir.join("account.key"),
    );
    std::fs::rename(
        second_dir.join("account.key"),
        second_dir.join("sibyl-oracle.key"),
    )
    .unwrap();
    let mut account_only = Signer::new(&second_dir);
    account_only.start().await;
    let log = account_only.exit_log().await;
    assert!(log.contains("holds the account key only"), "{log}");
}

/// A node whose key file has no attestation key needs a `[signer]`: said before it connects.
#[test]
fn a_node_with_an_account_key_file_and_no_signer_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path());
    export_account(
        &dir.path().join("sibyl-oracle.key"),
        &dir.path().join("account.key"),
    );
    let config = dir.path().join("sibyl-oracle.toml");
    let template = Template {
        chain_id: CHAIN_ID.into(),
        // Nothing listens there: the error must come before any connection.
        rpc: "http://127.0.0.1:9".into(),
        grpc: "http://127.0.0.1:9".into(),
        bech32_prefix: "wasm".into(),
        gas_price: "0.025usibyl".into(),
        escrow: ESCROW.into(),
        staking: "wasm1staking".into(),
        key_file: "account.key".into(),
        data_dir: "data".into(),
    };
    std::fs::write(&config, template.render()).unwrap();
    let output = binary()
        .output(&["run", "--config", config.to_str().unwrap()])
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("add a [signer] section"), "{stderr}");
}
