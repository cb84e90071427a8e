//! The contract emits the typed events of `sibyl_api::staking::events`.

mod suite;

use cosmwasm_std::{Decimal, Event, Uint128};
use cw_multi_test::AppResponse;
use sibyl_api::staking::events::{
    Claimed, Delegated, Distributed, OperatorRegistered, Slashed, TypedEvent, Undelegated,
};
use suite::{Suite, UNBONDING_PERIOD};

fn find<E>(response: &AppResponse) -> E
where
    E: TypedEvent,
    for<'a> E: TryFrom<&'a Event>,
    for<'a> <E as TryFrom<&'a Event>>::Error: std::fmt::Debug,
{
    let ty = format!("wasm-{}", E::TYPE);
    let event = response
        .events
        .iter()
        .find(|e| e.ty == ty)
        .unwrap_or_else(|| panic!("no {ty} event"));
    E::try_from(event).unwrap()
}

#[test]
fn messages_emit_typed_events() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    let response = suite.register(&op, 2_000, 0).unwrap();
    let registered: OperatorRegistered = find(&response);
    assert_eq!(registered.operator, op);
    assert_eq!(registered.self_bond, Uint128::new(2_000));
    assert_eq!(registered.attestation_pubkey, suite::pubkey(0));

    let response = suite.delegate(&delegator, &op, 1_000).unwrap();
    let delegated: Delegated = find(&response);
    assert_eq!(
        (delegated.delegator.clone(), delegated.amount),
        (delegator.clone(), Uint128::new(1_000))
    );
    assert_eq!(
        Some(delegated.warm_at),
        suite.delegation(&delegator, &op).warm_at
    );

    let response = suite.distribute(&op, 100).unwrap();
    let distributed: Distributed = find(&response);
    assert_eq!(distributed.commission, Uint128::new(10));

    let response = suite.undelegate(&delegator, &op, 1_000).unwrap();
    let undelegated: Undelegated = find(&response);
    assert_eq!(undelegated.unbonding_entry, Some(0));

    suite.advance(5);
    let h = suite.height();
    let response = suite.slash(&op, Decimal::percent(10), h, true).unwrap();
    let slashed: Slashed = find(&response);
    assert_eq!(slashed.slashed_bonded, Uint128::new(200));
    assert!(slashed.jailed_until.is_some());

    suite.advance(UNBONDING_PERIOD);
    let response = suite.claim(&delegator).unwrap();
    let claimed: Claimed = find(&response);
    assert_eq!(claimed.amount, Uint128::new(1_000));
}
