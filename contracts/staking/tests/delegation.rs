//! Delegate, undelegate and claim, and their errors.

mod suite;

use cosmwasm_std::{Decimal, Uint128};
use sibyl_api::staking::ExecuteMsg;
use sibyl_staking::ContractError;
use suite::{assert_error, stake, Suite, DENOM, MAX_UNBONDING_ENTRIES, UNBONDING_PERIOD};

fn setup() -> (Suite, cosmwasm_std::Addr, cosmwasm_std::Addr) {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 5_000, 0).unwrap();
    (suite, op, delegator)
}

#[test]
fn delegate_adds_stake_and_shares() {
    let (mut suite, op, delegator) = setup();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    let d = suite.delegation(&delegator, &op);
    assert_eq!(d.amount, Uint128::new(3_000));
    assert_eq!(d.shares, Uint128::new(3_000_000_000));
    assert_eq!(suite.operator(&op).total_stake, Uint128::new(8_000));
    assert_eq!(suite.operator(&op).self_bond, Uint128::new(5_000));
    assert_eq!(suite.active_set().total_stake, Uint128::new(8_000));
}

#[test]
fn delegate_errors() {
    let (mut suite, op, delegator) = setup();
    let stranger = suite.addr("stranger");
    assert_error(
        suite.delegate(&delegator, &stranger, 10),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
    assert_error(
        suite.execute(
            &delegator,
            ExecuteMsg::Delegate {
                operator: op.to_string(),
            },
            &[],
        ),
        ContractError::NoFunds {
            denom: DENOM.to_string(),
        },
    );
    assert!(suite
        .delegate(&delegator, &cosmwasm_std::Addr::unchecked("not-bech32"), 10)
        .is_err());
}

#[test]
fn undelegate_then_claim_after_the_unbonding_period() {
    let (mut suite, op, delegator) = setup();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    suite.undelegate(&delegator, &op, 1_000).unwrap();
    assert_eq!(
        suite.delegation(&delegator, &op).amount,
        Uint128::new(2_000)
    );
    assert_eq!(suite.operator(&op).total_stake, Uint128::new(7_000));
    let entries = suite.entries(&delegator).entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].amount, Uint128::new(1_000));
    assert!(!entries[0].matured);

    assert_error(suite.claim(&delegator), ContractError::NothingToClaim);
    suite.advance(UNBONDING_PERIOD - 1);
    assert_error(suite.claim(&delegator), ContractError::NothingToClaim);
    suite.advance(1);
    assert!(suite.entries(&delegator).entries[0].matured);
    let before = suite.balance(&delegator);
    suite.claim(&delegator).unwrap();
    assert_eq!(suite.balance(&delegator), before + 1_000);
    assert!(suite.entries(&delegator).entries.is_empty());
    assert_error(suite.claim(&delegator), ContractError::NothingToClaim);
}

#[test]
fn undelegating_everything_removes_the_delegation() {
    let (mut suite, op, delegator) = setup();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    suite.undelegate(&delegator, &op, 3_000).unwrap();
    let d = suite.delegation(&delegator, &op);
    assert_eq!(d.shares, Uint128::zero());
    assert!(suite
        .delegations(&delegator, None, None)
        .delegations
        .is_empty());
    assert_error(
        suite.undelegate(&delegator, &op, 1),
        ContractError::NoDelegation {
            delegator: delegator.to_string(),
            operator: op.to_string(),
        },
    );
}

#[test]
fn undelegate_errors() {
    let (mut suite, op, delegator) = setup();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    assert_error(
        suite.undelegate(&delegator, &op, 3_001),
        ContractError::InsufficientDelegation {
            available: Uint128::new(3_000),
        },
    );
    assert_error(
        suite.undelegate(&delegator, &op, 0),
        ContractError::ZeroAmount,
    );
    let stranger = suite.addr("stranger");
    assert_error(
        suite.undelegate(&delegator, &stranger, 1),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
    suite.mint(&delegator, 1);
    assert_error(
        suite.execute(
            &delegator,
            ExecuteMsg::Undelegate {
                operator: op.to_string(),
                amount: Uint128::new(1),
            },
            &stake(1),
        ),
        ContractError::UnexpectedFunds,
    );
    assert_error(
        suite.execute(&delegator, ExecuteMsg::Claim {}, &stake(1)),
        ContractError::UnexpectedFunds,
    );
}

#[test]
fn unbonding_entries_per_delegator_are_bounded() {
    let (mut suite, op, delegator) = setup();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    for _ in 0..MAX_UNBONDING_ENTRIES {
        suite.undelegate(&delegator, &op, 10).unwrap();
        suite.advance(5);
    }
    assert_error(
        suite.undelegate(&delegator, &op, 10),
        ContractError::TooManyUnbondingEntries {
            max: MAX_UNBONDING_ENTRIES,
        },
    );
    // Claiming matured entries frees room.
    suite.advance(UNBONDING_PERIOD);
    suite.claim(&delegator).unwrap();
    suite.undelegate(&delegator, &op, 10).unwrap();
}

#[test]
fn claim_pays_only_matured_entries_across_operators() {
    let (mut suite, op, delegator) = setup();
    let op2 = suite.addr("op2");
    suite.register(&op2, 5_000, 1).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    suite.delegate(&delegator, &op2, 1_000).unwrap();
    suite.undelegate(&delegator, &op, 100).unwrap();
    suite.undelegate(&delegator, &op2, 200).unwrap();
    suite.advance(UNBONDING_PERIOD / 2);
    suite.undelegate(&delegator, &op2, 300).unwrap();
    suite.advance(UNBONDING_PERIOD / 2);
    let before = suite.balance(&delegator);
    suite.claim(&delegator).unwrap();
    assert_eq!(suite.balance(&delegator), before + 300);
    assert_eq!(suite.entries(&delegator).entries.len(), 1);
    assert_eq!(
        suite.delegations(&delegator, None, None).delegations.len(),
        2
    );
}

#[test]
fn a_slashed_pool_values_new_delegations_at_the_new_price() {
    let (mut suite, op, delegator) = setup();
    suite.advance(5);
    let h = suite.height();
    suite.slash(&op, Decimal::percent(50), h, false).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    assert_eq!(
        suite.delegation(&delegator, &op).amount,
        Uint128::new(1_000)
    );
    assert_eq!(suite.operator(&op).self_bond, Uint128::new(2_500));
}
