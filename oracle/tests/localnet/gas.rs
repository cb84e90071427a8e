//! Gas of every Sibyl message on wasmd, as the chain charges it (SDK overhead, signature, storage
//! and the contract's VM time together): the figures in docs/gas-and-size.md.
//! `cargo test -p sibyl-oracle --test localnet -- --ignored --nocapture gas` prints the table.

use std::collections::BTreeMap;
use std::time::Duration;

use cosmrs::rpc::client::CompatMode;
use cosmrs::rpc::{Client, HttpClient};
use cosmrs::tx::Msg;
use cosmwasm_std::{Coin, Uint128};
use sibyl_api::escrow::events::{Committed, JobAssigned, JobSettled, Revealed};
use sibyl_api::staking::ExecuteMsg;
use sibyl_oracle::chain::cosmos::{sdk_coins, CosmosClient};
use sibyl_oracle::chain::ChainEvent;

use crate::harness::{digit_samples, wait_settled, Consumer, Localnet};

/// What one transaction of the job lifecycle did, from its escrow events.
fn lifecycle_step(events: &[ChainEvent]) -> Option<&'static str> {
    let parsed: Vec<_> = events.iter().map(ChainEvent::to_cosmwasm).collect();
    let has = |check: &dyn Fn(&cosmwasm_std::Event) -> bool| parsed.iter().any(check);
    if has(&|e| JobSettled::try_from(e).is_ok()) && has(&|e| Revealed::try_from(e).is_ok()) {
        Some("reveal that settles (k = 3: pays 3 operators, callback)")
    } else if has(&|e| Revealed::try_from(e).is_ok()) {
        Some("reveal (secp256k1 attestation check)")
    } else if has(&|e| Committed::try_from(e).is_ok()) {
        Some("commit")
    } else if has(&|e| JobAssigned::try_from(e).is_ok()) {
        // The nodes' other `assign_jobs` of the block draw nothing and are not counted.
        Some("assign_jobs (a node; draws 3 operators)")
    } else {
        None
    }
}

async fn execute(client: &CosmosClient, contract: &str, msg: &ExecuteMsg, funds: &[Coin]) -> u64 {
    let message = cosmrs::cosmwasm::MsgExecuteContract {
        sender: client.sender().clone(),
        contract: contract.parse().unwrap(),
        msg: serde_json::to_vec(msg).unwrap(),
        funds: sdk_coins(funds).unwrap(),
    };
    client
        .send(vec![message.to_any().unwrap()])
        .await
        .unwrap_or_else(|e| panic!("{msg:?}: {e}"))
        .outcome
        .gas_used
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the local wasmd node: scripts/test.sh runs it"]
async fn gas_of_every_message_on_wasmd() {
    let _turn = crate::ONE_AT_A_TIME.lock().await;
    let localnet = Localnet::start();
    let specs = [("g1", None), ("g2", None), ("g3", None)];
    let mut network = crate::harness::network(&localnet, 40, &specs).await;
    let deployment = network.deployment.clone();
    let mut rows: Vec<(String, u64)> = deployment
        .gas
        .iter()
        .map(|record| (format!("deploy: {}", record.label), record.gas_used))
        .collect();
    let operators = &mut network.operators;
    for operator in operators.iter_mut() {
        operator.start();
    }
    let consumer = Consumer::new(&localnet, &deployment).await;
    // A delegation before the job, so that the job's fee pays it rewards to withdraw.
    let delegator = &consumer.client;
    let operator = &operators[0].address;
    let staking = &deployment.staking;
    let coin = |amount: u128| Coin::new(amount, deployment.denom.clone());
    let delegate = ExecuteMsg::Delegate {
        operator: operator.clone(),
    };
    rows.push((
        "staking delegate".into(),
        execute(delegator, staking, &delegate, &[coin(1_000_000)]).await,
    ));
    tokio::time::sleep(Duration::from_secs(2)).await; // the reward warm-up (1 s)
    let (image, _) = digit_samples()[0].clone();
    let (job_ids, submit_gas, submit_height) = consumer.submit_measured(&[image]).await;
    rows.push((
        "request_inference (consumer → submit_job)".into(),
        submit_gas,
    ));
    let job = wait_settled(
        &consumer.client,
        &deployment.escrow,
        &job_ids,
        Duration::from_secs(120),
        operators,
    )
    .await
    .remove(0);
    let settled = job.job.settled_height.unwrap();

    // The operators' transactions, found in the blocks from submission to settlement. A reveal
    // whose first attempt ran out of gas (see docs/operator-guide.md) shows up as it succeeded.
    let rpc = HttpClient::builder(localnet.rpc.parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap();
    let mut lifecycle = submit_gas;
    let mut steps: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for height in submit_height..=settled {
        let results = rpc
            .block_results(cosmrs::tendermint::block::Height::try_from(height).unwrap())
            .await
            .unwrap();
        for tx in results
            .txs_results
            .iter()
            .flatten()
            .filter(|tx| tx.code.is_ok())
        {
            let events: Vec<ChainEvent> = tx
                .events
                .iter()
                .map(|event| ChainEvent {
                    height,
                    kind: event.kind.clone(),
                    attributes: event
                        .attributes
                        .iter()
                        .map(|a| {
                            (
                                a.key_str().unwrap().to_string(),
                                a.value_str().unwrap().to_string(),
                            )
                        })
                        .collect(),
                })
                .filter(|event| event.contract() == Some(deployment.escrow.as_str()))
                .collect();
            if let Some(step) = lifecycle_step(&events) {
                let gas = u64::try_from(tx.gas_used).unwrap();
                steps.entry(step).or_default().push(gas);
                lifecycle += gas;
            }
        }
    }
    assert_eq!(steps.get("commit").map(Vec::len), Some(3), "{steps:?}");
    for (step, gas) in &steps {
        let max = *gas.iter().max().unwrap();
        rows.push((format!("{step} (max of {})", gas.len()), max));
    }
    rows.push((
        "k = 3 job lifecycle (submit, assign, 3 commits, 3 reveals)".into(),
        lifecycle,
    ));

    // More staking messages, by the delegator and by an operator.
    let withdraw = ExecuteMsg::WithdrawRewards {
        operator: operator.clone(),
    };
    rows.push((
        "staking withdraw_rewards".into(),
        execute(delegator, staking, &withdraw, &[]).await,
    ));
    let undelegate = ExecuteMsg::Undelegate {
        operator: operator.clone(),
        amount: Uint128::new(400_000),
    };
    rows.push((
        "staking undelegate".into(),
        execute(delegator, staking, &undelegate, &[]).await,
    ));
    let keys = operators[0].keys();
    let operator_client = localnet.client(&keys).await;
    let edit = ExecuteMsg::EditOperator {
        moniker: Some("g1-renamed".into()),
        commission: None,
    };
    rows.push((
        "staking edit_operator".into(),
        execute(&operator_client, staking, &edit, &[]).await,
    ));
    rows.push((
        "staking register_operator (proof of possession)".into(),
        operators[1].register_gas,
    ));

    println!();
    println!("{:<62} {:>10}", "transaction on wasmd 0.70.3", "gas_used");
    for (label, gas) in &rows {
        println!("{label:<62} {gas:>10}");
    }
}
