//! Slash, jailing and which unbonding entries a slash reaches.

mod suite;

use cosmwasm_std::{Decimal, Uint128};
use sibyl_api::staking::{ExecuteMsg, OperatorStatus};
use sibyl_staking::ContractError;
use suite::{assert_error, Suite, UNBONDING_PERIOD};

#[test]
fn slash_cuts_the_pool_pro_rata_and_pays_the_destination() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&delegator, &op, 8_000).unwrap();
    suite.advance(5);
    let h = suite.height();
    suite.slash(&op, Decimal::percent(10), h, false).unwrap();
    let destination = suite.destination.clone();
    assert_eq!(suite.balance(&destination), 1_000);
    assert_eq!(suite.operator(&op).total_stake, Uint128::new(9_000));
    assert_eq!(suite.operator(&op).self_bond, Uint128::new(1_800));
    assert_eq!(
        suite.delegation(&delegator, &op).amount,
        Uint128::new(7_200)
    );
    // Not jailed: still active.
    assert_eq!(suite.operator(&op).status, OperatorStatus::Active);
    assert_eq!(suite.active_set().total_stake, Uint128::new(9_000));
}

#[test]
fn slash_reaches_unbonding_requested_after_the_infraction_only() {
    let mut suite = Suite::new();
    let (op, early, late) = (suite.addr("op"), suite.addr("early"), suite.addr("late"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&early, &op, 1_000).unwrap();
    suite.delegate(&late, &op, 1_000).unwrap();
    // `early` unbonds in an earlier bucket (buckets are 100 s), then the infraction happens.
    suite.undelegate(&early, &op, 1_000).unwrap();
    suite.advance(200);
    let infraction = suite.height();
    suite.advance(5);
    suite.undelegate(&late, &op, 1_000).unwrap();
    suite.advance(5);
    suite
        .slash(&op, Decimal::percent(20), infraction, true)
        .unwrap();
    assert_eq!(suite.entries(&early).entries[0].amount, Uint128::new(1_000));
    assert_eq!(suite.entries(&late).entries[0].amount, Uint128::new(800));
    let destination = suite.destination.clone();
    // 20% of the 2 000 bonded and of the 1 000 unbonding after the infraction.
    assert_eq!(suite.balance(&destination), 600);

    suite.advance(UNBONDING_PERIOD);
    let before = suite.balance(&late);
    suite.claim(&late).unwrap();
    assert_eq!(suite.balance(&late), before + 800);
    let before = suite.balance(&early);
    suite.claim(&early).unwrap();
    assert_eq!(suite.balance(&early), before + 1_000);
}

#[test]
fn matured_entries_are_not_slashed() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    let infraction = suite.height();
    suite.undelegate(&delegator, &op, 1_000).unwrap();
    suite.advance(UNBONDING_PERIOD);
    suite
        .slash(&op, Decimal::percent(50), infraction, false)
        .unwrap();
    assert_eq!(
        suite.entries(&delegator).entries[0].amount,
        Uint128::new(1_000)
    );
}

#[test]
fn jailing_removes_the_operator_from_the_active_set() {
    let mut suite = Suite::new();
    let (a, b) = (suite.addr("a"), suite.addr("b"));
    suite.register(&a, 2_000, 0).unwrap();
    suite.register(&b, 3_000, 1).unwrap();
    let h = suite.height();
    suite.slash(&b, Decimal::percent(1), h, true).unwrap();
    let set = suite.active_set();
    assert_eq!(set.operators.len(), 1);
    assert_eq!(set.operators[0].address, a);
    // A later slash without jailing leaves the operator jailed.
    suite.advance(10);
    let h = suite.height();
    suite.slash(&b, Decimal::percent(1), h, false).unwrap();
    assert_eq!(suite.operator(&b).status, OperatorStatus::Jailed);
}

#[test]
fn slash_errors() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 2_000, 0).unwrap();
    let h = suite.height();
    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(
            &stranger,
            ExecuteMsg::Slash {
                operator: op.to_string(),
                fraction: Decimal::percent(1),
                infraction_height: h,
                jail: false,
            },
            &[],
        ),
        ContractError::NotSlasher {
            sender: stranger.to_string(),
        },
    );
    for fraction in [Decimal::zero(), Decimal::one(), Decimal::percent(150)] {
        assert_error(
            suite.slash(&op, fraction, h, false),
            ContractError::InvalidSlashFraction { fraction },
        );
    }
    assert_error(
        suite.slash(&op, Decimal::percent(1), h + 1, false),
        ContractError::InfractionInFuture {
            infraction_height: h + 1,
            current: h,
        },
    );
    assert_error(
        suite.slash(&stranger, Decimal::percent(1), h, false),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
}

#[test]
fn repeated_slashes_never_empty_a_pool() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 1_000, 0).unwrap();
    let h = suite.height();
    for _ in 0..20 {
        suite.slash(&op, Decimal::percent(99), h, false).unwrap();
    }
    assert_eq!(suite.operator(&op).total_stake, Uint128::new(1));
    let destination = suite.destination.clone();
    assert_eq!(suite.balance(&destination), 999);
}
