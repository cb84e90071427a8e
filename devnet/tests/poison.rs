//! A poison job (a remote input whose bytes match no hash the job names) on the real node: every
//! assigned node declines it instead of going silent, so the job fails without slashing anyone,
//! the decliners are paid the decline fee out of the consumer's price, and the nodes go on serving.

mod common;

use common::Network;
use cosmwasm_std::{HexBinary, Uint128};
use sha2::{Digest, Sha256};
use sibyl_api::escrow::{DeclineReason, JobStatus, OperatorOutcome, PriceResponse, QueryMsg};
use sibyl_api::staking::{self, OperatorResponse, OperatorStatus};
use sibyl_oracle::chain::query;
use sibyl_oracle::store::SettlementOutcome;

const OPERATORS: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_node_declines_a_poison_job_and_nobody_is_slashed() {
    let network = Network::start(OPERATORS, 0).await;
    let mut nodes = Vec::new();
    for operator in 0..OPERATORS as usize {
        nodes.push(network.start_node(operator).await);
    }
    let stake_before = stakes(&network).await;

    let image = network.digits.samples()[0].image.clone();
    // Served from a directory the nodes may read, so only the hash is wrong.
    let served = sibyl_devnet::demo::models_dir(&network.data_dir()).join("poison-input.bin");
    std::fs::write(&served, &image).expect("write the served input");
    let claimed: [u8; 32] = Sha256::digest(b"bytes nobody serves").into();
    let poison = network
        .submit_remote(claimed, format!("file://{}", served.display()), image.len())
        .await;

    let windows = 2 * network.deployment.window_blocks;
    let declined = network
        .wait_for_job(poison, windows, |job| job.declines == OPERATORS)
        .await;
    assert_eq!(declined.commits, 0);
    for assignment in &declined.assignments {
        assert_eq!(assignment.declined, Some(DeclineReason::InputHashMismatch));
    }
    // The last decline settles the job at once: nothing else can happen to it.
    let job = declined;
    assert_eq!(job.job.status, JobStatus::Failed);
    for assignment in &job.assignments {
        assert_eq!(assignment.outcome, OperatorOutcome::DeclinePaid);
    }

    // The consumer paid the decline fees, the protocol fee and the rounding remainder; the rest
    // came back.
    let price: PriceResponse = query(
        &network.chain.client(&network.accounts.admin),
        &network.deployment.escrow,
        &QueryMsg::Price {
            model_hash: HexBinary::from(network.model.hash().to_vec()),
            redundancy: Some(OPERATORS),
        },
    )
    .await
    .expect("price");
    assert!(
        !price.decline_fee.is_zero(),
        "the deployment pays decliners"
    );
    let kept = price.protocol_fee + price.remainder + price.decline_fee * Uint128::new(3);
    let refund = job.job.refund.expect("a closed job reports its refund");
    assert_eq!(
        refund.amount,
        price.total.amount - cosmwasm_std::Uint256::from(kept)
    );

    // Nobody was slashed or jailed.
    assert_eq!(stakes(&network).await, stake_before);

    for node in &nodes {
        let record = network.wait_for_settled_record(node, poison).await;
        let settlement = record.settlement.expect("settled");
        assert_eq!(settlement.outcome, SettlementOutcome::Declined);
        let exported = node.metrics().registry().encode().expect("metrics encode");
        for series in [
            r#"sibyl_job_failures_total{reason="hash_mismatch"} 1"#,
            r#"sibyl_jobs_total{outcome="declined"} 1"#,
        ] {
            assert!(exported.contains(series), "{series} in\n{exported}");
        }
    }

    // The nodes go on serving: the next job reaches its quorum with the right answer.
    let good = network.submit(&image, OPERATORS, 2).await;
    let job = network.wait_settled(good).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(
        job.result.expect("result").output_hash.as_slice(),
        network.expected_output_hash(&image)
    );
    for node in nodes {
        node.stop();
        node.wait().await.expect("the node stops cleanly");
    }
}

/// Each operator's status and bonded stake.
async fn stakes(network: &Network) -> Vec<(OperatorStatus, Uint128)> {
    let client = network.chain.client(&network.accounts.admin);
    let mut stakes = Vec::new();
    for operator in &network.operators {
        let info: OperatorResponse = query(
            &client,
            &network.deployment.staking,
            &staking::QueryMsg::Operator {
                address: operator.address.clone(),
            },
        )
        .await
        .expect("operator query");
        stakes.push((info.status, info.total_stake));
    }
    stakes
}
