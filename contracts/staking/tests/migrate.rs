//! `migrate`: the cw2 checks, and a migration from the records of the pre-audit version.

mod suite;

use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::Executor;
use sibyl_api::staking::events::{Migrated, TypedEvent};
use sibyl_api::staking::MigrateMsg;
use sibyl_codec::Writer;
use sibyl_staking::record::Record;
use sibyl_staking::state::{CONFIG, CONTRACT_NAME, CONTRACT_VERSION, DELEGATIONS};
use sibyl_staking::ContractError;
use suite::{assert_error, staking_contract, Suite, WARMED_UP};

fn migrate(suite: &mut Suite, reward_warmup: Option<u64>) -> cosmwasm_std::StdResult<()> {
    let code = suite.app.store_code(staking_contract());
    let (admin, contract) = (suite.admin.clone(), suite.contract.clone());
    suite
        .app
        .migrate_contract(admin, contract, &MigrateMsg { reward_warmup }, code)
        .map(|response| {
            let event = response
                .events
                .iter()
                .find(|e| e.ty == format!("wasm-{}", Migrated::TYPE))
                .expect("a migrated event");
            assert_eq!(
                Migrated::try_from(event).unwrap().to_version,
                CONTRACT_VERSION
            );
        })
}

fn set_version(suite: &mut Suite, name: &str, version: &str) {
    let contract = suite.contract.clone();
    let mut storage = suite.app.contract_storage_mut(&contract);
    cw2::set_contract_version(storage.as_mut(), name, version).unwrap();
}

#[test]
fn migrates_from_the_current_version_and_keeps_the_state() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    let before = suite.operator(&op);
    migrate(&mut suite, None).unwrap();
    assert_eq!(suite.operator(&op), before);
    let version = cw2::query_contract_info(&suite.app.wrap(), suite.contract.to_string()).unwrap();
    assert_eq!(
        (version.contract.as_str(), version.version.as_str()),
        (CONTRACT_NAME, CONTRACT_VERSION)
    );
    suite.undelegate(&delegator, &op, 1_000).unwrap();
}

#[test]
fn migrate_refuses_another_contract_and_a_downgrade() {
    let mut suite = Suite::new();
    set_version(&mut suite, "crates.io:cw20-base", "0.1.0");
    assert_error(
        migrate(&mut suite, None),
        ContractError::MigrateWrongContract {
            expected: CONTRACT_NAME.to_string(),
            got: "crates.io:cw20-base".to_string(),
        },
    );
    set_version(&mut suite, CONTRACT_NAME, "99.0.0");
    assert_error(
        migrate(&mut suite, None),
        ContractError::MigrateDowngrade {
            from: "99.0.0".to_string(),
            to: CONTRACT_VERSION.to_string(),
        },
    );
    set_version(&mut suite, CONTRACT_NAME, "1.2");
    assert_error(
        migrate(&mut suite, None),
        ContractError::InvalidVersion {
            version: "1.2".to_string(),
        },
    );
}

/// The records of the version before this one: config without `reward_warmup`, delegations
/// without a warm-up.
fn rewrite_as_pre_audit(suite: &mut Suite, delegators: &[(&Addr, &Addr)]) {
    let contract = suite.contract.clone();
    let mut storage = suite.app.contract_storage_mut(&contract);
    let config = CONFIG.load(storage.as_ref()).unwrap();
    let mut w = Writer::default();
    w.u8(1);
    w.option(config.admin.as_ref(), |w, admin| w.str(admin.as_str()));
    w.str(&config.bond_denom);
    w.uint(config.min_self_bond);
    w.uint(config.unbonding_period);
    w.uint(config.max_active_operators);
    w.uint(config.jail_duration);
    w.str(config.slashed_funds_destination.as_str());
    w.uint(config.max_commission.atomics().u128());
    w.uint(config.max_commission_change.atomics().u128());
    w.uint(config.commission_change_period);
    w.uint(config.max_unbonding_entries);
    storage.set(b"config", &w.into_bytes());
    for (delegator, operator) in delegators {
        let mut d = DELEGATIONS
            .load(storage.as_ref(), (delegator, operator))
            .unwrap();
        // Version 2 appends the warm-up option (one 0 byte for none): drop it and mark the
        // record version 1.
        d.warming = None;
        let mut bytes = d.encode();
        bytes[0] = 1;
        bytes.pop();
        let key = cw_storage_plus::Map::<(&Addr, &Addr), ()>::new("delegations")
            .key((delegator, operator))
            .to_vec();
        storage.set(&key, &bytes);
    }
}

#[test]
fn migrates_pre_audit_records() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 2_000, 0).unwrap();
    suite.advance(WARMED_UP);
    suite.delegate(&delegator, &op, 1_000).unwrap();
    suite.advance(WARMED_UP);
    rewrite_as_pre_audit(&mut suite, &[(&delegator, &op), (&op, &op)]);
    assert_error(
        migrate(&mut suite, None),
        ContractError::MigrateNeedsRewardWarmup,
    );
    migrate(&mut suite, Some(3_600)).unwrap();
    assert_eq!(suite.config().reward_warmup, 3_600);
    // Old delegations earn at once, as they did before.
    suite.distribute(&op, 1_000).unwrap();
    assert_eq!(suite.pending(&delegator, &op).rewards, Uint128::new(300));
    suite.withdraw(&delegator, &op).unwrap();
    suite.undelegate(&delegator, &op, 1_000).unwrap();
    let h = suite.height();
    suite.slash(&op, Decimal::percent(10), h, false).unwrap();
}
