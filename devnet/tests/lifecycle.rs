//! The job lifecycle at its edges: a settlement that arrives while the node's reveal is being
//! sent, and a reveal deadline that passes while the node is down. In both the node records how
//! the job ended (slashed for the missed reveal), sends nothing twice, and keeps running.

mod common;

use std::sync::Arc;

use common::Network;
use cosmwasm_std::{Coin, Uint256};
use sibyl_api::escrow::{JobStatus, OperatorOutcome};
use sibyl_devnet::chain::EmbeddedClient;
use sibyl_devnet::demo::operators::Faults;
use sibyl_oracle::chain::{ChainClient, ChainError, ChainEvent, TxOutcome};
use sibyl_oracle::node::{DatabaseMode, RunningNode};
use sibyl_oracle::store::SettlementOutcome;
use tokio::sync::watch;

const WINDOW_BLOCKS: u64 = 40;

/// The embedded chain, except that reveals wait until the test releases them.
#[derive(Clone)]
struct HeldReveals {
    inner: EmbeddedClient,
    released: watch::Receiver<bool>,
    held: Arc<watch::Sender<u32>>,
}

impl ChainClient for HeldReveals {
    fn chain_id(&self) -> &str {
        self.inner.chain_id()
    }

    fn account(&self) -> &str {
        self.inner.account()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.inner.latest_height().await
    }

    async fn wait_for_block_after(&self, height: u64) -> Result<u64, ChainError> {
        self.inner.wait_for_block_after(height).await
    }

    async fn events_between(&self, after: u64, up_to: u64) -> Result<Vec<ChainEvent>, ChainError> {
        self.inner.events_between(after, up_to).await
    }

    async fn balance(&self, address: &str, denom: &str) -> Result<Uint256, ChainError> {
        self.inner.balance(address, denom).await
    }

    async fn query_raw(&self, contract: &str, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        self.inner.query_raw(contract, msg).await
    }

    async fn execute_raw(
        &self,
        contract: &str,
        msg: Vec<u8>,
        funds: Vec<Coin>,
    ) -> Result<TxOutcome, ChainError> {
        if msg.starts_with(br#"{"reveal""#) {
            self.held.send_modify(|held| *held += 1);
            let mut released = self.released.clone();
            // The sender lives as long as the test.
            let _ = released.wait_for(|released| *released).await;
        }
        self.inner.execute_raw(contract, msg, funds).await
    }
}

async fn network() -> Network {
    Network::start_with(3, Faults::default(), WINDOW_BLOCKS).await
}

async fn stop(nodes: impl IntoIterator<Item = RunningNode>) {
    for node in nodes {
        node.stop();
        node.wait().await.expect("clean stop");
    }
}

fn outcome(job: &sibyl_api::escrow::JobResponse, operator: &str) -> OperatorOutcome {
    job.assignments
        .iter()
        .find(|a| a.operator.as_str() == operator)
        .expect("assigned")
        .outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_settlement_that_arrives_while_the_reveal_is_sent_is_recorded() {
    let network = network().await;
    let (release, released) = watch::channel(false);
    let (held, mut holding) = watch::channel(0u32);
    let client = HeldReveals {
        inner: network.chain.client(&network.operators[0].address),
        released,
        held: Arc::new(held),
    };
    let slow = network
        .start_node_on(
            0,
            network.node_config(0),
            DatabaseMode::CreateIfMissing,
            client,
        )
        .await;
    let others = [network.start_node(1).await, network.start_node(2).await];
    let image = &network.digits.samples()[0].image;
    let job_id = network.submit(image, 3, 2).await;

    holding
        .wait_for(|held| *held == 1)
        .await
        .expect("operator 0's reveal is held");
    network
        .wait_for_job(job_id, 4 * WINDOW_BLOCKS, |job| job.reveals == 2)
        .await;
    let job = network.settle_after_deadline(job_id).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    let me = network.operators[0].address.clone();
    assert_eq!(outcome(&job, &me), OperatorOutcome::SlashedMissed);

    // The held reveal now reaches a settled job and is rejected; the node records the outcome.
    release.send(true).expect("release");
    let record = network.wait_for_settled_record(&slow, job_id).await;
    assert_eq!(
        record.settlement.map(|s| s.outcome),
        Some(SettlementOutcome::Missed)
    );
    assert_eq!(record.reveal, None);
    assert_eq!(slow.metrics().job_failures("tx_rejected"), 1);
    assert_eq!(*holding.borrow(), 1, "the reveal was sent once");
    stop(others).await;
    stop([slow]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reveal_deadline_that_passes_during_a_restart_is_recorded_not_revealed() {
    let network = network().await;
    let node = network.start_node(0).await;
    let second = network.start_node(1).await;
    let image = &network.digits.samples()[0].image;
    let job_id = network.submit(image, 3, 2).await;
    let me = network.operators[0].address.clone();
    network
        .wait_for_job(job_id, 4 * WINDOW_BLOCKS, |job| job.commits == 2)
        .await;
    assert!(node
        .records()
        .store()
        .job(job_id)
        .expect("read")
        .is_some_and(|r| r.commit.is_some()));
    stop([node]).await;

    // The last operator commits: the others reveal while operator 0 is down, and its reveal
    // window closes.
    let third = network.start_node(2).await;
    let job = network
        .wait_for_job(job_id, 4 * WINDOW_BLOCKS, |job| job.reveals == 2)
        .await;
    let client = network.chain.client(&network.accounts.admin);
    client
        .wait_for_block_after(job.job.reveal_deadline)
        .await
        .expect("deadline passes");

    let back = network
        .start_node_with(0, network.node_config(0), DatabaseMode::MustExist)
        .await;
    network.wait_for_failure(&back, "window_missed").await;
    assert_eq!(back.metrics().job_failures("window_missed"), 1);
    let job = network.settle_after_deadline(job_id).await;
    assert_eq!(outcome(&job, &me), OperatorOutcome::SlashedMissed);
    let record = network.wait_for_settled_record(&back, job_id).await;
    assert_eq!(
        record.settlement.map(|s| s.outcome),
        Some(SettlementOutcome::Missed)
    );
    assert_eq!(record.reveal, None, "no reveal after the window closed");
    assert_eq!(back.metrics().job_failures("tx_rejected"), 0);
    stop([second, third, back]).await;
}
