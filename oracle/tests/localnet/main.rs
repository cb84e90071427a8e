//! End to end on a real chain: the local wasmd node (`scripts/localnet.sh`), the contracts
//! deployed by `sibyl-oracle deploy`, and every operator a separate `sibyl-oracle run` process.
//!
//! Needs wasmd (`bash scripts/localnet.sh install`) and the release wasm
//! (`bash scripts/build-wasm.sh`); `scripts/test.sh` runs them:
//! `cargo test -p sibyl-oracle --test localnet -- --ignored`. They share one chain, so they
//! take turns (the outage test stops it).

mod callback;
mod demo;
mod gas;
mod harness;
mod signer;

use std::time::Duration;

use tokio::sync::Mutex;

use harness::{
    assert_success, counter_total, digit, digit_samples, oracle, wait_settled, Consumer, Localnet,
    Operator,
};
use sibyl_api::escrow::{events::Committed, JobStatus, OperatorOutcome};
use sibyl_api::staking::{self, OperatorResponse, OperatorStatus};
use sibyl_oracle::chain::{query, ChainClient};
use sibyl_oracle::deploy::audit::{reconcile, Pool};

/// The tests share one chain and take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

async fn operator_info<C: ChainClient>(
    client: &C,
    staking: &str,
    address: &str,
) -> OperatorResponse {
    query(
        client,
        staking,
        &staking::QueryMsg::Operator {
            address: address.to_string(),
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn twenty_jobs_settle_and_the_faulty_operator_is_slashed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let specs = [
        ("op1", None),
        ("op2", None),
        ("op3", None),
        ("op4", Some(7)),
    ];
    let mut network = harness::network(&localnet, 60, &specs).await;
    let deployment = network.deployment.clone();
    let operators = &mut network.operators;
    for operator in operators.iter_mut() {
        operator.start();
    }
    let consumer = Consumer::new(&localnet, &deployment).await;
    let start_height = consumer.client.latest_height().await.unwrap();
    let samples = digit_samples();
    let mut job_ids = Vec::new();
    let mut labels = std::collections::HashMap::new();
    // Another client of op1's account (the operator at a shell, a second tool) uses sequences
    // behind the node's back while it works: the node's signer must correct its own.
    let op1_elsewhere = localnet.client(&operators[0].keys()).await;
    let faucet_address = localnet.faucet().await.account().to_string();
    for batch in samples[..20].chunks(5) {
        harness::send_racing(&op1_elsewhere, &faucet_address, &localnet.denom).await;
        let images: Vec<Vec<u8>> = batch.iter().map(|(image, _)| image.clone()).collect();
        let ids = consumer.submit(&images).await;
        assert_eq!(ids.len(), 5, "one job per message");
        for (id, (_, label)) in ids.iter().zip(batch) {
            labels.insert(*id, *label);
        }
        job_ids.extend(ids);
    }
    let jobs = wait_settled(
        &consumer.client,
        &deployment.escrow,
        &job_ids,
        Duration::from_secs(180),
        operators,
    )
    .await;

    let faulty = &operators[3].address;
    for job in &jobs {
        assert_eq!(
            job.job.status,
            JobStatus::Completed,
            "job {} failed",
            job.job.job_id
        );
        let output = &job.result.as_ref().unwrap().output;
        assert_eq!(
            digit(output),
            i32::from(labels[&job.job.job_id]),
            "job {}",
            job.job.job_id
        );
        for assignment in &job.assignments {
            let honest = assignment.operator.as_str() != faulty;
            let slashed = matches!(
                assignment.outcome,
                OperatorOutcome::SlashedWrongResult | OperatorOutcome::SlashedMissed
            );
            assert_eq!(slashed, !honest, "job {}: {:?}", job.job.job_id, assignment);
        }
    }
    let faulty_info = operator_info(&consumer.client, &deployment.staking, faulty).await;
    assert_eq!(faulty_info.status, OperatorStatus::Jailed);
    assert!(faulty_info.total_stake.u128() < harness::STAKE);
    for operator in &operators[..3] {
        let info = operator_info(&consumer.client, &deployment.staking, &operator.address).await;
        assert_eq!(info.status, OperatorStatus::Active, "{}", operator.name);
        assert_eq!(
            info.self_bond.u128(),
            harness::STAKE,
            "{} lost stake",
            operator.name
        );
    }

    // Jobs submitted in one transaction are assigned in one block, and the nodes commit them
    // without waiting for each other: some operator has two commits in one block.
    let end_height = consumer.client.latest_height().await.unwrap();
    let mut events = Vec::new();
    for height in start_height..end_height {
        events.extend(
            consumer
                .client
                .events_between(height, height + 1)
                .await
                .unwrap(),
        );
    }
    let mut commits_per_block = std::collections::HashMap::new();
    for event in &events {
        if let Ok(committed) = Committed::try_from(&event.to_cosmwasm()) {
            *commits_per_block
                .entry((event.height, committed.operator.to_string()))
                .or_insert(0) += 1;
        }
    }
    assert!(
        commits_per_block.values().any(|&count| count >= 2),
        "no operator had two commits in one block: {commits_per_block:?}"
    );

    for operator in operators.iter_mut() {
        assert!(
            operator.is_running(),
            "{} exited:\n{}",
            operator.name,
            operator.log()
        );
        let metrics = operator.metrics().await;
        assert_eq!(
            counter_total(&metrics, "sibyl_tx_failures_total"),
            0.0,
            "{}",
            operator.name
        );
    }

    let pools: Vec<Pool> = operators
        .iter()
        .map(|operator| Pool {
            operator: operator.address.clone(),
            delegators: vec![operator.address.clone()],
        })
        .collect();
    let reconciliation = reconcile(
        &consumer.client,
        &deployment.escrow,
        &deployment.staking,
        &deployment.denom,
        &pools,
    )
    .await
    .unwrap();
    assert!(reconciliation.escrow_ok(), "{reconciliation:?}");
    assert!(reconciliation.staking_ok(), "{reconciliation:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn a_node_killed_between_commit_and_reveal_reveals_after_its_restart() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    // A long commit window: the silent third operator keeps the job in its commit phase.
    let specs = [("victim", None), ("honest", None), ("silent", None)];
    let mut network = harness::network(&localnet, 40, &specs).await;
    let deployment = network.deployment.clone();
    let operators = &mut network.operators;
    operators[0].start();
    operators[1].start();
    let consumer = Consumer::new(&localnet, &deployment).await;
    let (image, label) = digit_samples()[0].clone();
    let job_id = consumer.submit(&[image]).await[0];
    let victim = operators[0].address.clone();
    harness::wait_for_commit(&consumer.client, |committed| {
        committed.job_id == job_id && committed.operator.as_str() == victim
    })
    .await;
    operators[0].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    operators[0].start();
    let job = wait_settled(
        &consumer.client,
        &deployment.escrow,
        &[job_id],
        Duration::from_secs(120),
        operators,
    )
    .await
    .remove(0);
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(digit(&job.result.unwrap().output), i32::from(label));
    let outcome = |address: &str| {
        job.assignments
            .iter()
            .find(|a| a.operator.as_str() == address)
            .map(|a| a.outcome)
            .unwrap()
    };
    assert_eq!(
        outcome(&victim),
        OperatorOutcome::Paid,
        "{}",
        operators[0].log()
    );
    assert_eq!(
        outcome(&operators[2].address),
        OperatorOutcome::SlashedMissed
    );
    let info = operator_info(&consumer.client, &deployment.staking, &victim).await;
    assert_eq!(info.self_bond.u128(), harness::STAKE);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn nodes_ride_out_a_chain_outage_without_sending_twice() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let specs = [("a", None), ("b", None), ("c", None)];
    let mut network = harness::network(&localnet, 60, &specs).await;
    let deployment = network.deployment.clone();
    let operators = &mut network.operators;
    for operator in operators.iter_mut() {
        operator.start();
    }
    let consumer = Consumer::new(&localnet, &deployment).await;
    let samples = digit_samples();
    let images: Vec<Vec<u8>> = samples[..3]
        .iter()
        .map(|(image, _)| image.clone())
        .collect();
    let job_ids = consumer.submit(&images).await;
    // Stop the chain as soon as the first commit is in a block: the nodes' other commits are
    // then in flight (in the mempool, which a restart empties, or in the last block).
    harness::wait_for_commit(&consumer.client, |_| true).await;
    localnet.run_script("stop");
    // About ten block times without a chain.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for operator in operators.iter_mut() {
        assert!(
            operator.is_running(),
            "{} exited during the outage:\n{}",
            operator.name,
            operator.log()
        );
        let (status, health) = operator.health().await;
        assert_eq!(status, 503, "{}: {health}", operator.name);
        assert!(
            health.contains("chain unavailable"),
            "{}: {health}",
            operator.name
        );
    }
    localnet.run_script("start");
    let jobs = wait_settled(
        &consumer.client,
        &deployment.escrow,
        &job_ids,
        Duration::from_secs(180),
        operators,
    )
    .await;
    for (job, (_, label)) in jobs.iter().zip(&samples) {
        assert_eq!(job.job.status, JobStatus::Completed);
        assert_eq!(
            digit(&job.result.as_ref().unwrap().output),
            i32::from(*label)
        );
        assert!(job
            .assignments
            .iter()
            .all(|a| a.outcome == OperatorOutcome::Paid));
    }
    for operator in operators.iter_mut() {
        assert!(
            operator.is_running(),
            "{} exited:\n{}",
            operator.name,
            operator.log()
        );
        // Transactions that could not be sent while the chain was down are retried; one sent
        // twice would have been rejected by the escrow (a second commit or reveal).
        let metrics = operator.metrics().await;
        let rejected = counter_total(&metrics, "sibyl_job_failures_total{reason=\"tx_rejected\"}");
        assert_eq!(rejected, 0.0, "{}:\n{metrics}", operator.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn a_bad_configuration_is_a_clear_error_at_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let network = harness::network(&localnet, 40, &[("op", None)]).await;
    let deployment = &network.deployment;
    let operator = &network.operators[0];
    let good = std::fs::read_to_string(&operator.config).unwrap();
    let cases = [
        (
            "wrong chain id",
            good.replace(
                &format!("chain_id = \"{}\"", localnet.chain_id),
                "chain_id = \"other-chain-1\"",
            ),
            "serves chain",
        ),
        (
            "unreachable endpoint",
            good.replace(&localnet.rpc, "http://127.0.0.1:1"),
            "cannot reach the chain's RPC endpoint",
        ),
        (
            "another contract as the escrow",
            good.replace(
                &format!("escrow = \"{}\"", deployment.escrow),
                &format!("escrow = \"{}\"", deployment.staking),
            ),
            "is crates.io:sibyl-staking",
        ),
    ];
    for (case, text, expected) in cases {
        assert_ne!(text, good, "{case}: the config did not change");
        let path = operator
            .dir
            .join(format!("{}.toml", case.replace(' ', "-")));
        std::fs::write(&path, text).unwrap();
        let output = oracle(&["run", "--config", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{case}: run succeeded");
        assert!(stderr.contains(expected), "{case}: {stderr}");
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
        .args(["run", "--config", operator.config.to_str().unwrap()])
        .env("SIBYL_KEY_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("cannot open the key file"), "{stderr}");
    let output = oracle(&[
        "operator",
        "status",
        "--config",
        operator.config.to_str().unwrap(),
    ]);
    assert_success("operator status", &output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("Active"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn a_fee_granter_pays_an_operators_fees() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let network = harness::network(&localnet, 40, &[]).await;
    let deployment = &network.deployment;
    let mut operator = Operator::init(
        &localnet,
        &network.deployment_file,
        network.dir.path(),
        "granted",
        None,
    );
    // The account exists from its first transfer: exactly the stake, nothing for fees.
    localnet
        .fund_with(&[&operator.address], harness::STAKE)
        .await;
    let faucet = localnet.faucet().await;
    let allowance = cosmrs::feegrant::BasicAllowance {
        spend_limit: Vec::new(),
        expiration: None,
    };
    let grant = cosmrs::feegrant::MsgGrantAllowance {
        granter: faucet.sender().clone(),
        grantee: operator.address.parse().unwrap(),
        allowance: Some(cosmrs::tx::Msg::to_any(&allowance).unwrap()),
    };
    faucet
        .send(vec![cosmrs::tx::Msg::to_any(&grant).unwrap()])
        .await
        .unwrap();
    let granter = faucet.account().to_string();
    operator.edit_config(|table| {
        let chain = table.get_mut("chain").unwrap().as_table_mut().unwrap();
        chain.insert("fee_granter".into(), granter.into());
    });
    operator.register();
    assert_eq!(
        faucet
            .balance(&operator.address, &localnet.denom)
            .await
            .unwrap(),
        cosmwasm_std::Uint256::zero(),
        "the stake went to staking and the granter paid the fee"
    );
    let info = operator_info(&faucet, &deployment.staking, &operator.address).await;
    assert_eq!(info.status, OperatorStatus::Active);
    assert_eq!(info.self_bond.u128(), harness::STAKE);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn fees_the_chain_refuses_are_clear_errors_and_cost_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let denom = localnet.denom.clone();
    let faucet = localnet.faucet().await.account().to_string();
    let rich = sibyl_oracle::keys::OperatorKeys::generate("wasm").unwrap();
    let poor = sibyl_oracle::keys::OperatorKeys::generate("wasm").unwrap();
    localnet
        .fund_with(&[rich.account_address()], 10_000_000)
        .await;
    localnet.fund_with(&[poor.account_address()], 1).await;

    // A gas price below the node's minimum: the mempool refuses the fee.
    let cheap_config = sibyl_oracle::chain::cosmos::CosmosConfig {
        gas_price: format!("0.0001{denom}"),
        ..localnet.chain_config()
    };
    let cheap =
        sibyl_oracle::chain::cosmos::CosmosClient::connect(&cheap_config, &rich, Vec::new())
            .await
            .unwrap();
    let error = cheap
        .send(vec![harness::transfer(&cheap, &faucet, 1, &denom).unwrap()])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(!error.is_transient(), "{text}");
    assert!(
        text.contains("insufficient fee: offered") && text.contains("raise chain.gas_price"),
        "{text}"
    );

    // An account that cannot pay the fee at the right price.
    let broke = localnet.client(&poor).await;
    let error = broke
        .send(vec![harness::transfer(&broke, &faucet, 1, &denom).unwrap()])
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(!error.is_transient(), "{text}");
    assert!(text.contains("insufficient funds"), "{text}");

    // Neither was charged anything.
    for (keys, funded) in [(&rich, 10_000_000u128), (&poor, 1)] {
        assert_eq!(
            broke.balance(keys.account_address(), &denom).await.unwrap(),
            cosmwasm_std::Uint256::from(funded)
        );
    }
}
