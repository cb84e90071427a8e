//! Each test plays an attack from the audit and shows that it now fails.

mod suite;

use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::{App, Executor};
use sibyl_api::staking::{ExecuteMsg, MAX_JAIL_DURATION, MAX_UNBONDING_PERIOD};
use sibyl_staking::ContractError;
use suite::{assert_error, default_instantiate, staking_contract, Suite};

/// #7: an admin (or a bad deployment) sets `jail_duration = u64::MAX`; every jailing slash then
/// panicked on the timestamp addition, so a misbehaving operator could never be slashed.
#[test]
fn attack_unbounded_jail_duration_cannot_block_slashing() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 2_000, 0).unwrap();
    let admin = suite.admin.clone();
    assert_error(
        suite.execute(
            &admin,
            ExecuteMsg::UpdateConfig {
                jail_duration: Some(u64::MAX),
                slashed_funds_destination: None,
                max_commission: None,
                max_commission_change: None,
                commission_change_period: None,
                max_unbonding_entries: None,
            },
            &[],
        ),
        ContractError::DurationTooLong {
            field: "jail_duration".to_string(),
            value: u64::MAX,
            max: MAX_JAIL_DURATION,
        },
    );
    // The largest accepted value still lets a jailing slash through.
    suite
        .execute(
            &admin,
            ExecuteMsg::UpdateConfig {
                jail_duration: Some(MAX_JAIL_DURATION),
                slashed_funds_destination: None,
                max_commission: None,
                max_commission_change: None,
                commission_change_period: None,
                max_unbonding_entries: None,
            },
            &[],
        )
        .unwrap();
    let h = suite.height();
    suite.slash(&op, Decimal::percent(10), h, true).unwrap();
    let until = suite.operator(&op).jailed_until.unwrap();
    assert_eq!(
        until,
        suite.app.block_info().time.plus_seconds(MAX_JAIL_DURATION)
    );
}

/// #7: `unbonding_period = u64::MAX` at instantiation made every undelegation panic, locking
/// every delegator in.
#[test]
fn attack_unbounded_unbonding_period_cannot_lock_delegators_in() {
    let mut app = App::default();
    let code = app.store_code(staking_contract());
    let admin = app.api().addr_make("admin");
    let mut msg = default_instantiate(&admin, &admin);
    msg.unbonding_period = u64::MAX;
    assert_error(
        app.instantiate_contract(code, admin.clone(), &msg, &[], "staking", None),
        ContractError::DurationTooLong {
            field: "unbonding_period".to_string(),
            value: u64::MAX,
            max: MAX_UNBONDING_PERIOD,
        },
    );
    // The largest accepted period still lets delegators undelegate.
    let mut suite = Suite::with_config(|m| m.unbonding_period = MAX_UNBONDING_PERIOD);
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    suite.undelegate(&delegator, &op, 1_000).unwrap();
    let entry = &suite.entries(&delegator).entries[0];
    assert_eq!(entry.amount, Uint128::new(1_000));
    assert_eq!(
        entry.completion_time,
        suite
            .app
            .block_info()
            .time
            .plus_seconds(MAX_UNBONDING_PERIOD)
    );
}

/// #9: an operator at 5 % with delegators leaves and registers again in the same block at 20 %;
/// the commission limits (5 % per change, one change per period) used to be reset.
#[test]
fn attack_leave_and_reregister_cannot_jump_the_commission() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    let signed = suite.register_msg(&op, "gpu-node", Decimal::percent(5), 0);
    let register = |commission: u64| match signed.clone() {
        ExecuteMsg::RegisterOperator {
            moniker,
            attestation_pubkey,
            key_signature,
            ..
        } => ExecuteMsg::RegisterOperator {
            moniker,
            commission: Decimal::percent(commission),
            attestation_pubkey,
            key_signature,
        },
        _ => unreachable!(),
    };
    suite.execute_paid(&op, register(5), 5_000).unwrap();
    suite.delegate(&delegator, &op, 10_000).unwrap();
    suite.advance(suite::COMMISSION_CHANGE_PERIOD);
    suite
        .execute(&op, ExecuteMsg::LeaveOperator {}, &[])
        .unwrap();
    assert_error(
        suite.execute_paid(&op, register(20), 5_000),
        ContractError::CommissionChangeTooLarge {
            max_change: Decimal::percent(5),
        },
    );
    // A change within the step is allowed once per period, as with EditOperator.
    suite.execute_paid(&op, register(10), 5_000).unwrap();
    assert_eq!(suite.operator(&op).commission, Decimal::percent(10));
    suite
        .execute(&op, ExecuteMsg::LeaveOperator {}, &[])
        .unwrap();
    let changed_at = suite.app.block_info().time;
    assert_error(
        suite.execute_paid(&op, register(15), 5_000),
        ContractError::CommissionChangeTooSoon {
            next_change_at: changed_at.plus_seconds(suite::COMMISSION_CHANGE_PERIOD),
        },
    );
    // Coming back with the same commission is not a change and needs no wait.
    suite.execute_paid(&op, register(10), 5_000).unwrap();
    assert_eq!(
        suite.delegation(&delegator, &op).amount,
        Uint128::new(10_000)
    );
}

/// #10: an attacker registers the victim's (public) attestation key first, so the victim's
/// registration fails with `AttestationKeyInUse`. Without the victim's secret key the attacker
/// cannot sign the key-possession digest, and a signature the victim made for itself is bound to
/// the victim's address.
#[test]
fn attack_squatting_a_victims_attestation_key_fails() {
    let mut suite = Suite::new();
    let (victim, attacker) = (suite.addr("victim"), suite.addr("attacker"));
    // The attacker knows the public key but not the secret: a signature by its own key...
    let forged = ExecuteMsg::RegisterOperator {
        moniker: "squatter".to_string(),
        commission: Decimal::percent(5),
        attestation_pubkey: suite::pubkey(0),
        key_signature: suite.sign_key(&attacker, 1),
    };
    let not_by_the_key = ContractError::InvalidKeySignature {
        reason: "it is not a signature by this key over the key-possession digest of this \
                 chain, contract and operator (sibyl_api::attestation::key_possession_digest)"
            .to_string(),
    };
    assert_error(suite.execute_paid(&attacker, forged, 5_000), not_by_the_key);
    // ...or the victim's own proof (seen in the mempool), which names the victim, fail.
    let replayed = ExecuteMsg::RegisterOperator {
        moniker: "squatter".to_string(),
        commission: Decimal::percent(5),
        attestation_pubkey: suite::pubkey(0),
        key_signature: suite.sign_key(&victim, 0),
    };
    assert_error(
        suite.execute_paid(&attacker, replayed, 5_000),
        ContractError::InvalidKeySignature {
            reason: "it is not a signature by this key over the key-possession digest of this \
                     chain, contract and operator (sibyl_api::attestation::key_possession_digest)"
                .to_string(),
        },
    );
    suite.register(&victim, 5_000, 0).unwrap();
    assert_eq!(suite.operator(&victim).attestation_pubkey, suite::pubkey(0));

    // Rotation: the attacker, an operator itself, cannot rotate onto a key it does not hold
    // (the victim's next key), so the victim's rotation goes through.
    suite.register(&attacker, 5_000, 1).unwrap();
    let squat_rotation = ExecuteMsg::RotateAttestationKey {
        attestation_pubkey: suite::pubkey(2),
        key_signature: suite.sign_key(&victim, 2),
    };
    assert!(suite.execute(&attacker, squat_rotation, &[]).is_err());
    let rotate = suite.rotate_msg(&victim, 2);
    suite.execute(&victim, rotate, &[]).unwrap();
    assert_eq!(suite.operator(&victim).attestation_pubkey, suite::pubkey(2));

    // A proof for another staking contract or chain is worthless here.
    let other_chain = suite::key_signature("other-chain", &suite.contract, &attacker, 3);
    assert!(suite
        .execute(
            &attacker,
            ExecuteMsg::RotateAttestationKey {
                attestation_pubkey: suite::pubkey(3),
                key_signature: other_chain,
            },
            &[],
        )
        .is_err());
}

#[test]
fn malformed_key_signatures_are_refused() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    let with_signature = |signature: Vec<u8>| ExecuteMsg::RegisterOperator {
        moniker: "op".to_string(),
        commission: Decimal::percent(5),
        attestation_pubkey: suite::pubkey(0),
        key_signature: cosmwasm_std::Binary::new(signature),
    };
    assert_error(
        suite.execute_paid(&op, with_signature(vec![1; 63]), 5_000),
        ContractError::InvalidKeySignature {
            reason: "expected a 64-byte compact signature (r ‖ s), got 63 bytes".to_string(),
        },
    );
    assert_error(
        suite.execute_paid(&op, with_signature(vec![0; 64]), 5_000),
        ContractError::InvalidKeySignature {
            reason: "malformed signature (r and s must be non-zero and below the curve order)"
                .to_string(),
        },
    );
}

/// #11: an entry requested before an infraction shared a time bucket with an entry requested
/// after it, and the whole bucket was slashed: 1 000 000 became 990 000 for a delegator who had
/// left before the operator misbehaved.
#[test]
fn attack_pre_infraction_unbonding_in_a_shared_bucket_is_not_slashed() {
    let mut suite = Suite::new();
    let (op, early, late) = (suite.addr("op"), suite.addr("early"), suite.addr("late"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&early, &op, 1_000_000).unwrap();
    suite.delegate(&late, &op, 1_000_000).unwrap();
    suite.advance(5);
    suite.undelegate(&early, &op, 1_000_000).unwrap();
    suite.advance(5);
    let infraction = suite.height();
    suite.advance(5);
    suite.undelegate(&late, &op, 1_000_000).unwrap();
    suite.advance(5);
    // Both entries are in one bucket (buckets are 100 s long here).
    let buckets: Vec<u64> = [&early, &late]
        .iter()
        .map(|who| {
            let storage = suite.app.contract_storage(&suite.contract);
            sibyl_staking::state::UNBONDING_ENTRIES
                .load(storage.as_ref(), (who, 0))
                .unwrap()
                .bucket
        })
        .collect();
    assert_eq!(buckets[0], buckets[1], "the attack needs a shared bucket");

    suite
        .slash(&op, Decimal::percent(1), infraction, true)
        .unwrap();
    assert_eq!(
        suite.entries(&early).entries[0].amount,
        Uint128::new(1_000_000)
    );
    assert_eq!(
        suite.entries(&late).entries[0].amount,
        Uint128::new(990_000)
    );
    let destination = suite.destination.clone();
    // The bonded cut (1 % of the operator's 2 000) leaves at once...
    assert_eq!(suite.balance(&destination), 20);

    suite.advance(suite::UNBONDING_PERIOD);
    let before = suite.balance(&early);
    suite.claim(&early).unwrap();
    assert_eq!(suite.balance(&early), before + 1_000_000);
    let before = suite.balance(&late);
    suite.claim(&late).unwrap();
    assert_eq!(suite.balance(&late), before + 990_000);
    // ...and the late entry's cut when it is claimed.
    assert_eq!(suite.balance(&destination), 10_020);
    let contract = suite.contract.clone();
    assert_eq!(suite.balance(&contract), 1_980);
}

/// #12: a whale delegates right before a job's fee is distributed and undelegates right after.
/// It took 885 of the 903 units meant for the operator's delegators.
#[test]
fn attack_just_in_time_delegation_earns_nothing() {
    let mut suite = Suite::new();
    let (op, honest, whale) = (suite.addr("op"), suite.addr("honest"), suite.addr("whale"));
    suite.register(&op, 1_000, 0).unwrap();
    suite.delegate(&honest, &op, 1_000).unwrap();
    // The job is assigned long after the honest stake warmed up.
    suite.advance(suite::WARMED_UP);

    // Sandwich: delegate 100 000, the job's 1 003 units arrive, undelegate.
    suite.delegate(&whale, &op, 100_000).unwrap();
    suite.distribute(&op, 1_003).unwrap();
    suite.undelegate(&whale, &op, 100_000).unwrap();
    assert_error(suite.withdraw(&whale, &op), ContractError::NoRewards);
    assert_eq!(suite.pending(&whale, &op).rewards, Uint128::zero());

    // 100 commission (10 %); of the 903 for delegators, the 2 000 warm shares' part is paid at
    // once and the whale's forfeited part (98 %) is carried to the next income.
    let op_rewards = suite.pending(&op, &op);
    assert_eq!(op_rewards.commission, Uint128::new(100));
    let honest_now = suite.pending(&honest, &op).rewards.u128();
    assert_eq!(honest_now, 8);
    // The next income shares out the forfeited part among the stake that earns.
    suite.distribute(&op, 1).unwrap();
    let honest_total = suite.pending(&honest, &op).rewards.u128();
    let op_total = suite.pending(&op, &op).rewards.u128();
    assert!(
        honest_total >= 451 && op_total >= 451,
        "{honest_total} {op_total}"
    );
    // Exact conservation: everything the contract holds is owed to somebody.
    for who in [honest.clone(), op.clone()] {
        suite.withdraw(&who, &op).unwrap();
    }
    let contract = suite.contract.clone();
    // Bonded 2 000, the whale's 100 000 unbonding, and under a unit per delegation of rounding.
    let left = suite.balance(&contract) - 2_000 - 100_000;
    assert!(left <= 2, "{left} units left over");
}

/// #12, the honest side: a delegation that stays through the warm-up earns from its end on.
#[test]
fn delegations_earn_after_the_warm_up() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 1_000, 0).unwrap();
    suite.advance(suite::WARMED_UP);
    suite.delegate(&delegator, &op, 1_000).unwrap();
    let warm_at = suite.delegation(&delegator, &op).warm_at.unwrap();
    assert_eq!(
        suite.delegation(&delegator, &op).warming_shares,
        Uint128::new(1_000_000_000)
    );
    let now = suite.app.block_info().time;
    assert!(warm_at >= now.plus_seconds(suite::REWARD_WARMUP));
    assert!(warm_at <= now.plus_seconds(suite::WARMED_UP));
    // Income during the warm-up goes to the operator's warm self-bond only.
    suite.distribute(&op, 1_000).unwrap();
    assert_eq!(suite.pending(&delegator, &op).rewards, Uint128::zero());
    suite.advance(suite::WARMED_UP);
    assert_eq!(suite.delegation(&delegator, &op).warm_at, None);
    suite.distribute(&op, 1_000).unwrap();
    // Half of the second income's 900.
    assert_eq!(suite.pending(&delegator, &op).rewards, Uint128::new(450));
    let before = suite.balance(&delegator);
    suite.withdraw(&delegator, &op).unwrap();
    assert_eq!(suite.balance(&delegator), before + 450);
}
