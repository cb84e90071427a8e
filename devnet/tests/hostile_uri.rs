//! Jobs a hostile consumer would submit against the nodes' network. An input URI pointing into
//! the operators' own network (here 127.0.0.1, where a listener counts connections): no node
//! connects, each declines the job as input-unavailable with the refusal counted as
//! `fetch_forbidden`, and the nodes go on serving. A download that would keep the nodes busy: it
//! stops as soon as the job is cancelled. Jobs of one consumer that stall the nodes' downloads:
//! they hold one execution slot per node, and another consumer's job is served meanwhile.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Network;
use sha2::{Digest, Sha256};
use sibyl_api::escrow::{DeclineReason, ExecuteMsg, JobStatus};
use sibyl_devnet::chain::EmbeddedChain;
use sibyl_oracle::chain::execute;
use sibyl_oracle::config::NodeConfig;
use sibyl_oracle::node::{DatabaseMode, RunningNode};
use sibyl_oracle::store::SettlementOutcome;
use tokio::io::AsyncWriteExt;

const OPERATORS: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_refuse_a_uri_inside_their_network_and_decline() {
    let network = Network::start(OPERATORS, 0).await;
    let mut nodes = Vec::new();
    for operator in 0..OPERATORS as usize {
        nodes.push(network.start_node(operator).await);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });

    let image = network.digits.samples()[0].image.clone();
    let job_id = network
        .submit_remote(
            Sha256::digest(&image).into(),
            format!("http://{address}/input.bin"),
            image.len(),
        )
        .await;
    let windows = 2 * network.deployment.window_blocks;
    let job = network
        .wait_for_job(job_id, windows, |job| job.declines == OPERATORS)
        .await;
    assert_eq!(job.job.status, JobStatus::Failed);
    for assignment in &job.assignments {
        assert_eq!(assignment.declined, Some(DeclineReason::InputUnavailable));
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "a node connected");
    for node in &nodes {
        let record = network.wait_for_settled_record(node, job_id).await;
        assert_eq!(
            record.settlement.expect("settled").outcome,
            SettlementOutcome::Declined
        );
        let exported = node.metrics().registry().encode().expect("metrics encode");
        let series = r#"sibyl_job_failures_total{reason="fetch_forbidden"} 1"#;
        assert!(exported.contains(series), "{series} in\n{exported}");
    }

    let good = network.submit(&image, OPERATORS, 2).await;
    let job = network.wait_settled(good).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    for node in nodes {
        node.stop();
        node.wait().await.expect("the node stops cleanly");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_download_stops_when_its_job_is_cancelled() {
    let network = Network::start(OPERATORS, 0).await;
    let nodes = start_nodes_allowing_the_server(&network, |_| {}).await;
    let image = network.digits.samples()[0].image.clone();
    let (address, open) = spawn_dripping_server(image.len()).await;
    let job_id = network
        .submit_remote(
            Sha256::digest(&image).into(),
            format!("http://{address}/input.bin"),
            image.len(),
        )
        .await;
    wait_until("every node is downloading", || {
        open.load(Ordering::SeqCst) == OPERATORS as usize
    })
    .await;

    execute(
        &network.chain.client(&network.accounts.consumer),
        &network.deployment.escrow,
        &ExecuteMsg::Cancel { job_id },
        vec![],
    )
    .await
    .expect("the consumer cancels before any commit");
    // The drip would take 13 s more; the nodes hang up as soon as they see the cancellation.
    wait_until("every node hung up", || open.load(Ordering::SeqCst) == 0).await;
    for node in &nodes {
        let record = network.wait_for_settled_record(node, job_id).await;
        assert_eq!(
            record.settlement.expect("settled").outcome,
            SettlementOutcome::Cancelled
        );
    }
    for node in nodes {
        node.stop();
        node.wait().await.expect("the node stops cleanly");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_consumers_stalled_jobs_leave_room_for_another_consumers() {
    let network = Network::start(OPERATORS, 0).await;
    let nodes = start_nodes_allowing_the_server(&network, |config| {
        // Two execution slots, one of them at most for one consumer; the host cap out of the way.
        config.execution.max_concurrent_jobs = 2;
        config.execution.max_jobs_per_consumer = 1;
        config.fetch.max_fetches_per_host = 8;
    })
    .await;
    let image = network.digits.samples()[0].image.clone();
    let (address, open) = spawn_dripping_server(image.len()).await;
    let hog = EmbeddedChain::address("hog");
    for index in 0..3u8 {
        network
            .submit_remote_as(
                &hog,
                [index; 32],
                format!("http://{address}/stall-{index}.bin"),
                image.len(),
            )
            .await;
    }
    wait_until("each node downloads one of the hog's inputs", || {
        open.load(Ordering::SeqCst) == OPERATORS as usize
    })
    .await;
    network.wait_blocks(3).await;
    assert_eq!(
        open.load(Ordering::SeqCst),
        OPERATORS as usize,
        "a node runs more than one job of one consumer"
    );

    // The hog's drips take 13 s each; another consumer's job goes through meanwhile.
    let good = network.submit(&image, OPERATORS, 2).await;
    let job = network.wait_settled(good).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert!(
        open.load(Ordering::SeqCst) > 0,
        "the job waited for the hog's downloads"
    );
    for node in nodes {
        node.stop();
        node.wait().await.expect("the node stops cleanly");
    }
}

/// Every operator's node, allowed to fetch from the test's servers on 127.0.0.1 (a mirror the
/// operators allowed), with `edit` applied to its config.
async fn start_nodes_allowing_the_server(
    network: &Network,
    edit: impl Fn(&mut NodeConfig),
) -> Vec<RunningNode> {
    let mut nodes = Vec::new();
    for operator in 0..OPERATORS as usize {
        let mut config = network.node_config(operator);
        config.fetch.allowed_ranges = vec!["127.0.0.1/32".into()];
        edit(&mut config);
        nodes.push(
            network
                .start_node_with(operator, config, DatabaseMode::CreateIfMissing)
                .await,
        );
    }
    nodes
}

/// Answers each request with a `len`-byte body, one byte every 200 ms; counts the connections
/// still open (a write fails soon after the client hangs up).
async fn spawn_dripping_server(len: usize) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let open = Arc::new(AtomicUsize::new(0));
    let counted = open.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let open = counted.clone();
            open.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
                let header = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                let mut alive = socket.write_all(header.as_bytes()).await.is_ok();
                for _ in 0..len {
                    if !alive {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    alive = socket.write_all(&[0]).await.is_ok() && socket.flush().await.is_ok();
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (address, open)
}

async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
