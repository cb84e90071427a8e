//! Instantiation, the slashers list and admin-only configuration.

mod suite;

use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::{App, Executor};
use sibyl_api::staking::{
    ExecuteMsg, InstantiateMsg, MAX_COMMISSION_CHANGE_PERIOD, MAX_JAIL_DURATION, MAX_SLASHERS,
    MAX_UNBONDING_PERIOD,
};
use sibyl_staking::ContractError;
use suite::{assert_error, default_instantiate, staking_contract, Suite};

#[test]
fn instantiate_stores_the_config_and_the_contract_version() {
    let suite = Suite::new();
    let config = suite.config();
    assert_eq!(config.admin, Some(suite.admin.clone()));
    assert_eq!(config.bond_denom, suite::DENOM);
    assert_eq!(config.min_self_bond, Uint128::new(suite::MIN_SELF_BOND));
    assert_eq!(config.slashed_funds_destination, suite.destination);
    let version = cw2::query_contract_info(&suite.app.wrap(), suite.contract.to_string()).unwrap();
    assert_eq!(version.contract, "crates.io:sibyl-staking");
}

/// A change to a valid instantiate message.
type Adjust = fn(&mut InstantiateMsg);

#[test]
fn instantiate_rejects_invalid_configs() {
    let mut app = App::default();
    let code = app.store_code(staking_contract());
    let admin = app.api().addr_make("admin");
    let destination = app.api().addr_make("dest");
    let cases: Vec<(Adjust, &str)> = vec![
        (|m| m.bond_denom = String::new(), "bond_denom is empty"),
        (
            |m| m.min_self_bond = Uint128::zero(),
            "min_self_bond must be positive",
        ),
        (
            |m| m.unbonding_period = 0,
            "unbonding_period must be positive",
        ),
        (
            |m| m.max_active_operators = 0,
            "max_active_operators must be between 1 and 200",
        ),
        (
            |m| m.max_active_operators = 201,
            "max_active_operators must be between 1 and 200",
        ),
        (
            |m| m.max_commission = Decimal::percent(101),
            "max_commission must be at most 1",
        ),
        (
            |m| m.max_commission_change = Decimal::percent(101),
            "max_commission_change must be at most 1",
        ),
        (
            |m| m.max_unbonding_entries = 0,
            "max_unbonding_entries must be between 1 and 32",
        ),
    ];
    for (adjust, reason) in cases {
        let mut msg = default_instantiate(&admin, &destination);
        adjust(&mut msg);
        assert_error(
            app.instantiate_contract(code, admin.clone(), &msg, &[], "staking", None),
            ContractError::InvalidConfig {
                reason: reason.to_string(),
            },
        );
    }
    let msg = default_instantiate(&admin, &destination);
    app.instantiate_contract(code, admin.clone(), &msg, &[], "staking", None)
        .unwrap();
}

#[test]
fn the_admin_defaults_to_the_instantiator() {
    let suite = Suite::with_config(|m| m.admin = None);
    assert_eq!(suite.config().admin, Some(suite.admin.clone()));
}

#[test]
fn update_slashers_adds_removes_and_is_capped() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let other = suite.addr("other-slasher");
    suite
        .execute(
            &admin,
            ExecuteMsg::UpdateSlashers {
                add: vec![other.to_string()],
                remove: vec![suite.slasher.to_string()],
            },
            &[],
        )
        .unwrap();
    assert_eq!(suite.slashers().slashers, vec![other.clone()]);

    let many: Vec<String> = (0..MAX_SLASHERS)
        .map(|i| suite.addr(&format!("s{i}")).to_string())
        .collect();
    assert_error(
        suite.execute(
            &admin,
            ExecuteMsg::UpdateSlashers {
                add: many,
                remove: vec![],
            },
            &[],
        ),
        ContractError::TooManySlashers { max: MAX_SLASHERS },
    );
    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(
            &stranger,
            ExecuteMsg::UpdateSlashers {
                add: vec![stranger.to_string()],
                remove: vec![],
            },
            &[],
        ),
        ContractError::NotAdmin,
    );
}

#[test]
fn update_admin_transfers_or_removes_the_admin() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let next = suite.addr("next-admin");
    suite
        .execute(
            &admin,
            ExecuteMsg::UpdateAdmin {
                admin: Some(next.to_string()),
            },
            &[],
        )
        .unwrap();
    assert_error(
        suite.execute(&admin, ExecuteMsg::UpdateAdmin { admin: None }, &[]),
        ContractError::NotAdmin,
    );
    suite
        .execute(&next, ExecuteMsg::UpdateAdmin { admin: None }, &[])
        .unwrap();
    assert_eq!(suite.config().admin, None);
    assert_error(
        suite.execute(&next, ExecuteMsg::UpdateAdmin { admin: None }, &[]),
        ContractError::NotAdmin,
    );
}

#[test]
fn update_config_changes_only_given_fields_and_validates() {
    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let new_destination = suite.addr("treasury");
    let update = |jail: Option<u64>, entries: Option<u32>, destination: Option<String>| {
        ExecuteMsg::UpdateConfig {
            jail_duration: jail,
            slashed_funds_destination: destination,
            max_commission: Some(Decimal::percent(30)),
            max_commission_change: None,
            commission_change_period: Some(7),
            max_unbonding_entries: entries,
        }
    };
    suite
        .execute(
            &admin,
            update(Some(99), Some(8), Some(new_destination.to_string())),
            &[],
        )
        .unwrap();
    let config = suite.config();
    assert_eq!(config.jail_duration, 99);
    assert_eq!(config.max_unbonding_entries, 8);
    assert_eq!(config.max_commission, Decimal::percent(30));
    assert_eq!(config.commission_change_period, 7);
    assert_eq!(config.max_commission_change, Decimal::percent(5));
    assert_eq!(config.slashed_funds_destination, new_destination);

    assert_error(
        suite.execute(&admin, update(None, Some(0), None), &[]),
        ContractError::InvalidConfig {
            reason: "max_unbonding_entries must be between 1 and 32".to_string(),
        },
    );
    let stranger = suite.addr("stranger");
    assert_error(
        suite.execute(&stranger, update(None, None, None), &[]),
        ContractError::NotAdmin,
    );
}

#[test]
fn durations_are_bounded_at_instantiation_and_update() {
    let mut app = App::default();
    let code = app.store_code(staking_contract());
    let admin = app.api().addr_make("admin");
    let destination = app.api().addr_make("dest");
    type Set = fn(&mut InstantiateMsg, u64);
    let fields: [(&str, u64, Set); 3] = [
        ("unbonding_period", MAX_UNBONDING_PERIOD, |m, v| {
            m.unbonding_period = v
        }),
        ("jail_duration", MAX_JAIL_DURATION, |m, v| {
            m.jail_duration = v
        }),
        (
            "commission_change_period",
            MAX_COMMISSION_CHANGE_PERIOD,
            |m, v| m.commission_change_period = v,
        ),
    ];
    for (field, max, set) in fields {
        for value in [max + 1, u64::MAX] {
            let mut msg = default_instantiate(&admin, &destination);
            set(&mut msg, value);
            assert_error(
                app.instantiate_contract(code, admin.clone(), &msg, &[], "staking", None),
                ContractError::DurationTooLong {
                    field: field.to_string(),
                    value,
                    max,
                },
            );
        }
        let mut msg = default_instantiate(&admin, &destination);
        set(&mut msg, max);
        app.instantiate_contract(code, admin.clone(), &msg, &[], "staking", None)
            .unwrap();
    }

    let mut suite = Suite::new();
    let admin = suite.admin.clone();
    let update = |jail: Option<u64>, period: Option<u64>| ExecuteMsg::UpdateConfig {
        jail_duration: jail,
        slashed_funds_destination: None,
        max_commission: None,
        max_commission_change: None,
        commission_change_period: period,
        max_unbonding_entries: None,
    };
    assert_error(
        suite.execute(&admin, update(Some(MAX_JAIL_DURATION + 1), None), &[]),
        ContractError::DurationTooLong {
            field: "jail_duration".to_string(),
            value: MAX_JAIL_DURATION + 1,
            max: MAX_JAIL_DURATION,
        },
    );
    assert_error(
        suite.execute(
            &admin,
            update(None, Some(MAX_COMMISSION_CHANGE_PERIOD + 1)),
            &[],
        ),
        ContractError::DurationTooLong {
            field: "commission_change_period".to_string(),
            value: MAX_COMMISSION_CHANGE_PERIOD + 1,
            max: MAX_COMMISSION_CHANGE_PERIOD,
        },
    );
    suite
        .execute(
            &admin,
            update(Some(MAX_JAIL_DURATION), Some(MAX_COMMISSION_CHANGE_PERIOD)),
            &[],
        )
        .unwrap();
    let config = suite.config();
    assert_eq!(config.jail_duration, MAX_JAIL_DURATION);
    assert_eq!(
        config.commission_change_period,
        MAX_COMMISSION_CHANGE_PERIOD
    );
}
