//! Paginated queries and the active set.

mod suite;

use cosmwasm_std::{Addr, Decimal, Uint128};
use sibyl_api::staking::{OperatorStatus, QueryMsg};
use suite::{Suite, MAX_ACTIVE};

#[test]
fn the_active_set_keeps_the_strongest_operators_sorted_by_address() {
    let mut suite = Suite::new();
    let ops: Vec<Addr> = (0..5).map(|i| suite.addr(&format!("op{i}"))).collect();
    for (i, op) in ops.iter().enumerate() {
        suite.register(op, 1_000 * (i as u128 + 1), i).unwrap();
    }
    let set = suite.active_set();
    assert_eq!(set.operators.len(), MAX_ACTIVE as usize);
    let mut expected: Vec<Addr> = ops[2..].to_vec();
    expected.sort();
    let got: Vec<Addr> = set.operators.iter().map(|o| o.address.clone()).collect();
    assert_eq!(got, expected);
    assert_eq!(set.total_stake, Uint128::new(3_000 + 4_000 + 5_000));
    assert_eq!(suite.operator(&ops[0]).status, OperatorStatus::Candidate);

    // Delegations lift op0 into the set; the weakest member (op2) drops out.
    let delegator = suite.addr("delegator");
    suite.delegate(&delegator, &ops[0], 10_000).unwrap();
    assert_eq!(suite.operator(&ops[0]).status, OperatorStatus::Active);
    assert_eq!(suite.operator(&ops[2]).status, OperatorStatus::Candidate);

    // Jailing a member promotes the strongest candidate (op2 with 3 000 over op1 with 2 000).
    let h = suite.height();
    suite.slash(&ops[4], Decimal::percent(1), h, true).unwrap();
    let members: Vec<Addr> = suite
        .active_set()
        .operators
        .into_iter()
        .map(|o| o.address)
        .collect();
    assert!(members.contains(&ops[2]) && !members.contains(&ops[4]));
    assert_eq!(members.len(), MAX_ACTIVE as usize);

    // Undelegating moves op0 back out.
    suite.undelegate(&delegator, &ops[0], 10_000).unwrap();
    assert_eq!(suite.operator(&ops[0]).status, OperatorStatus::Candidate);
    assert_eq!(suite.operator(&ops[1]).status, OperatorStatus::Active);
}

#[test]
fn operators_and_delegations_are_paginated() {
    let mut suite = Suite::new();
    let ops: Vec<Addr> = (0..4).map(|i| suite.addr(&format!("op{i}"))).collect();
    let delegator = suite.addr("delegator");
    for (i, op) in ops.iter().enumerate() {
        suite.register(op, 1_000, i).unwrap();
        suite.delegate(&delegator, op, 10).unwrap();
    }
    let first = suite.operators(None, Some(3)).operators;
    assert_eq!(first.len(), 3);
    let rest = suite.operators(Some(&first[2].address), Some(3)).operators;
    assert_eq!(rest.len(), 1);
    let mut all: Vec<Addr> = first
        .iter()
        .chain(&rest)
        .map(|o| o.address.clone())
        .collect();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    all.dedup();
    assert_eq!(all.len(), 4);

    let first = suite.delegations(&delegator, None, Some(2)).delegations;
    assert_eq!(first.len(), 2);
    let rest = suite
        .delegations(&delegator, Some(&first[1].operator), None)
        .delegations;
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|d| d.amount == Uint128::new(10)));
}

#[test]
fn limits_are_capped_and_unbonding_entries_paginated() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    let delegator = suite.addr("delegator");
    suite.register(&op, 1_000, 0).unwrap();
    suite.delegate(&delegator, &op, 100).unwrap();
    for _ in 0..3 {
        suite.undelegate(&delegator, &op, 10).unwrap();
    }
    let page: sibyl_api::staking::UnbondingEntriesResponse = suite
        .app
        .wrap()
        .query_wasm_smart(
            &suite.contract,
            &QueryMsg::UnbondingEntries {
                delegator: delegator.to_string(),
                start_after: Some(0),
                limit: Some(u32::MAX),
            },
        )
        .unwrap();
    assert_eq!(
        page.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(page.entries.iter().all(|e| e.operator == op));
    assert_eq!(suite.operators(None, Some(u32::MAX)).operators.len(), 1);
}

#[test]
fn absent_delegations_and_rewards_read_as_zero() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 1_000, 0).unwrap();
    let nobody = suite.addr("nobody");
    let d = suite.delegation(&nobody, &op);
    assert_eq!((d.shares, d.amount, d.pending_rewards), Default::default());
    let p = suite.pending(&nobody, &op);
    assert_eq!((p.rewards, p.commission), Default::default());
    let unknown = suite
        .app
        .wrap()
        .query_wasm_smart::<sibyl_api::staking::OperatorResponse>(
            &suite.contract,
            &QueryMsg::Operator {
                address: nobody.to_string(),
            },
        );
    assert!(unknown
        .unwrap_err()
        .to_string()
        .contains("is not a registered operator"));
}
