//! Operator lifecycle: register, edit, rotate key, leave, unjail, and their errors.

mod suite;

use cosmwasm_std::{coin, Binary, Decimal, Uint128};
use cw_multi_test::{BankSudo, SudoMsg};
use sibyl_api::staking::{ExecuteMsg, OperatorStatus};
use sibyl_staking::ContractError;
use suite::{
    assert_error, pubkey, stake, Suite, COMMISSION_CHANGE_PERIOD, DENOM, JAIL_DURATION,
    MIN_SELF_BOND,
};

/// A registration with `key` and a proof of possession that is never reached (the key is
/// refused first).
fn register_with_bad_key(key: Binary) -> ExecuteMsg {
    ExecuteMsg::RegisterOperator {
        moniker: "ok".to_string(),
        commission: Decimal::percent(5),
        attestation_pubkey: key,
        key_signature: Binary::new(vec![1; 64]),
    }
}

#[test]
fn register_bonds_the_funds_and_joins_the_active_set() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    let response = suite.register(&op, 5_000, 0).unwrap();
    assert!(response.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "register_operator")));
    let info = suite.operator(&op);
    assert_eq!(info.self_bond, Uint128::new(5_000));
    assert_eq!(info.total_stake, Uint128::new(5_000));
    assert_eq!(info.commission, Decimal::percent(10));
    assert_eq!(info.attestation_pubkey, pubkey(0));
    assert_eq!(info.status, OperatorStatus::Active);
    assert_eq!(info.jailed_until, None);
    let contract = suite.contract.clone();
    assert_eq!(suite.balance(&contract), 5_000);
    let set = suite.active_set();
    assert_eq!(set.operators.len(), 1);
    assert_eq!(set.total_stake, Uint128::new(5_000));
}

#[test]
fn register_rejects_bad_funds() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    let msg = suite.register_msg(&op, "n", Decimal::percent(5), 0);
    assert_error(
        suite.execute(&op, msg.clone(), &[]),
        ContractError::NoFunds {
            denom: DENOM.to_string(),
        },
    );
    suite
        .app
        .sudo(SudoMsg::Bank(BankSudo::Mint {
            to_address: op.to_string(),
            amount: vec![coin(5_000, "uatom"), coin(5_000, DENOM)],
        }))
        .unwrap();
    assert_error(
        suite.execute(&op, msg.clone(), &[coin(5_000, "uatom")]),
        ContractError::WrongDenom {
            expected: DENOM.to_string(),
            got: "uatom".to_string(),
        },
    );
    assert_error(
        suite.execute(&op, msg.clone(), &[coin(1, "uatom"), coin(5_000, DENOM)]),
        ContractError::ExtraDenoms {
            denom: DENOM.to_string(),
        },
    );
    assert_error(
        suite.execute(&op, msg, &stake(MIN_SELF_BOND - 1)),
        ContractError::BelowMinSelfBond {
            min: Uint128::new(MIN_SELF_BOND),
            got: Uint128::new(MIN_SELF_BOND - 1),
        },
    );
}

#[test]
fn register_validates_moniker_commission_and_key() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    assert_error(
        suite.execute_paid(
            &op,
            suite.register_msg(&op, "", Decimal::percent(5), 0),
            5_000,
        ),
        ContractError::InvalidMoniker {
            reason: "it is empty".to_string(),
        },
    );
    assert_error(
        suite.execute_paid(
            &op,
            suite.register_msg(&op, "ok", Decimal::percent(21), 0),
            5_000,
        ),
        ContractError::CommissionOutOfRange {
            commission: Decimal::percent(21),
            max: Decimal::percent(20),
        },
    );
    assert_error(
        suite.execute_paid(&op, register_with_bad_key(Binary::new(vec![2; 32])), 5_000),
        ContractError::InvalidPubkey {
            reason: "expected 33 bytes (compressed secp256k1), got 32".to_string(),
        },
    );
    // x = 5 is not on the curve.
    let mut off_curve = vec![0u8; 33];
    off_curve[0] = 2;
    off_curve[32] = 5;
    assert_error(
        suite.execute_paid(&op, register_with_bad_key(Binary::new(off_curve)), 5_000),
        ContractError::InvalidPubkey {
            reason: "not a point on the secp256k1 curve".to_string(),
        },
    );
}

#[test]
fn register_twice_or_with_a_used_key_fails() {
    let mut suite = Suite::new();
    let (a, b) = (suite.addr("a"), suite.addr("b"));
    suite.register(&a, 5_000, 0).unwrap();
    assert_error(
        suite.register(&a, 5_000, 1),
        ContractError::AlreadyRegistered {
            address: a.to_string(),
        },
    );
    assert_error(
        suite.register(&b, 5_000, 0),
        ContractError::AttestationKeyInUse {
            owner: a.to_string(),
        },
    );
}

#[test]
fn edit_changes_moniker_and_bounded_commission() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 5_000, 0).unwrap();
    let registered_at = suite.app.block_info().time;
    let edit = |moniker: Option<&str>, commission: Option<u64>| ExecuteMsg::EditOperator {
        moniker: moniker.map(str::to_string),
        commission: commission.map(Decimal::percent),
    };

    assert_error(
        suite.execute(&op, edit(None, None), &[]),
        ContractError::NothingToEdit,
    );
    // Registration counts as a change: wait a period first.
    assert_error(
        suite.execute(&op, edit(None, Some(12)), &[]),
        ContractError::CommissionChangeTooSoon {
            next_change_at: registered_at.plus_seconds(COMMISSION_CHANGE_PERIOD),
        },
    );
    suite.advance(COMMISSION_CHANGE_PERIOD);
    assert_error(
        suite.execute(&op, edit(None, Some(16)), &[]),
        ContractError::CommissionChangeTooLarge {
            max_change: Decimal::percent(5),
        },
    );
    assert_error(
        suite.execute(&op, edit(Some(&"x".repeat(65)), None), &[]),
        ContractError::InvalidMoniker {
            reason: "longer than 64 bytes".to_string(),
        },
    );

    suite
        .execute(&op, edit(Some("renamed"), Some(15)), &[])
        .unwrap();
    let info = suite.operator(&op);
    assert_eq!(info.moniker, "renamed");
    assert_eq!(info.commission, Decimal::percent(15));
    // The moniker may change at any time; the commission only after another period.
    suite.execute(&op, edit(Some("again"), None), &[]).unwrap();
    assert!(suite.execute(&op, edit(None, Some(20)), &[]).is_err());
    suite.advance(COMMISSION_CHANGE_PERIOD);
    suite.execute(&op, edit(None, Some(20)), &[]).unwrap();
    suite.advance(COMMISSION_CHANGE_PERIOD);
    assert_error(
        suite.execute(&op, edit(None, Some(21)), &[]),
        ContractError::CommissionOutOfRange {
            commission: Decimal::percent(21),
            max: Decimal::percent(20),
        },
    );

    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(&stranger, edit(Some("x"), None), &[]),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
    suite.mint(&op, 1);
    assert_error(
        suite.execute(&op, edit(Some("x"), None), &stake(1)),
        ContractError::UnexpectedFunds,
    );
}

#[test]
fn rotate_attestation_key_replaces_it_and_frees_the_old_one() {
    let mut suite = Suite::new();
    let (a, b) = (suite.addr("a"), suite.addr("b"));
    suite.register(&a, 5_000, 0).unwrap();
    suite.register(&b, 5_000, 1).unwrap();
    assert_error(
        suite.execute(&a, suite.rotate_msg(&a, 1), &[]),
        ContractError::AttestationKeyInUse {
            owner: b.to_string(),
        },
    );
    assert_error(
        suite.execute(
            &a,
            ExecuteMsg::RotateAttestationKey {
                attestation_pubkey: Binary::new(vec![4; 33]),
                key_signature: Binary::new(vec![1; 64]),
            },
            &[],
        ),
        ContractError::InvalidPubkey {
            reason: "a compressed key starts with 0x02 or 0x03".to_string(),
        },
    );
    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(&stranger, suite.rotate_msg(&stranger, 5), &[]),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );

    suite.execute(&a, suite.rotate_msg(&a, 2), &[]).unwrap();
    assert_eq!(suite.operator(&a).attestation_pubkey, pubkey(2));
    // The old key is free for another operator.
    suite.execute(&b, suite.rotate_msg(&b, 0), &[]).unwrap();
    assert_eq!(suite.operator(&b).attestation_pubkey, pubkey(0));
}

#[test]
fn leave_unbonds_the_self_bond_and_allows_registering_again() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 5_000, 0).unwrap();
    suite.delegate(&delegator, &op, 2_000).unwrap();
    suite
        .execute(&op, ExecuteMsg::LeaveOperator {}, &[])
        .unwrap();

    let info = suite.operator(&op);
    assert_eq!(info.status, OperatorStatus::Left);
    assert_eq!(info.self_bond, Uint128::zero());
    assert_eq!(info.total_stake, Uint128::new(2_000));
    assert!(suite.active_set().operators.is_empty());
    assert_eq!(suite.entries(&op).entries[0].amount, Uint128::new(5_000));

    let left = ContractError::OperatorLeft {
        address: op.to_string(),
    };
    assert_error(suite.execute(&op, ExecuteMsg::LeaveOperator {}, &[]), left);
    assert_error(
        suite.delegate(&delegator, &op, 10),
        ContractError::OperatorLeft {
            address: op.to_string(),
        },
    );
    // Delegators may still leave too.
    suite.undelegate(&delegator, &op, 2_000).unwrap();

    // Registering again with the same key revives the operator.
    suite.register(&op, 3_000, 0).unwrap();
    let info = suite.operator(&op);
    assert_eq!(info.status, OperatorStatus::Active);
    assert_eq!(info.self_bond, Uint128::new(3_000));
}

#[test]
fn unjail_only_after_the_jail_duration_and_with_enough_self_bond() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 1_000, 0).unwrap();
    assert_error(
        suite.execute(&op, ExecuteMsg::Unjail {}, &[]),
        ContractError::NotJailed,
    );

    suite.advance(5);
    let height = suite.height();
    suite
        .slash(&op, Decimal::percent(10), height, true)
        .unwrap();
    let jailed_until = suite.app.block_info().time.plus_seconds(JAIL_DURATION);
    let info = suite.operator(&op);
    assert_eq!(info.status, OperatorStatus::Jailed);
    assert_eq!(info.jailed_until, Some(jailed_until));
    assert!(suite.active_set().operators.is_empty());

    assert_error(
        suite.execute(&op, ExecuteMsg::Unjail {}, &[]),
        ContractError::StillJailed {
            until: jailed_until,
        },
    );
    suite.advance(JAIL_DURATION);
    // The slash left 900 of own stake, below the 1 000 minimum.
    assert_error(
        suite.execute(&op, ExecuteMsg::Unjail {}, &[]),
        ContractError::BelowMinSelfBond {
            min: Uint128::new(MIN_SELF_BOND),
            got: Uint128::new(900),
        },
    );
    // A jailed operator may top up its own bond; others may not delegate meanwhile.
    let delegator = suite.addr("delegator");
    assert_error(
        suite.delegate(&delegator, &op, 100),
        ContractError::OperatorJailed {
            address: op.to_string(),
            until: jailed_until,
        },
    );
    suite.delegate(&op, &op, 100).unwrap();
    suite.execute(&op, ExecuteMsg::Unjail {}, &[]).unwrap();
    assert_eq!(suite.operator(&op).status, OperatorStatus::Active);
    assert_eq!(suite.active_set().operators.len(), 1);

    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(&stranger, ExecuteMsg::Unjail {}, &[]),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
}

#[test]
fn self_undelegation_below_the_minimum_drops_the_operator_from_the_set() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 1_500, 0).unwrap();
    suite.undelegate(&op, &op, 600).unwrap();
    assert_eq!(suite.operator(&op).status, OperatorStatus::BelowMinSelfBond);
    assert!(suite.active_set().operators.is_empty());
    suite.delegate(&op, &op, 100).unwrap();
    assert_eq!(suite.operator(&op).status, OperatorStatus::Active);
}
