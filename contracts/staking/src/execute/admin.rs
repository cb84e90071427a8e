//! Admin-only configuration.

use cosmwasm_std::{Addr, Api, Decimal, DepsMut, MessageInfo, Response, Storage, Timestamp};
use sibyl_api::staking::{
    MAX_COMMISSION_CHANGE_PERIOD, MAX_JAIL_DURATION, MAX_REWARD_WARMUP, MAX_UNBONDING_PERIOD,
};

use sibyl_api::staking::events::{AdminUpdated, ConfigUpdated, TypedEvent};

use crate::error::ContractError;
use crate::funds::nonpayable;
use crate::state::{Config, CONFIG};

/// Largest active set: the escrow reads it whole on every job submission.
pub const MAX_ACTIVE_OPERATORS_LIMIT: u32 = 200;
/// Largest per-delegator unbonding entry bound: `Claim` reads all of a delegator's entries.
pub const MAX_UNBONDING_ENTRIES_LIMIT: u32 = 32;

pub fn ensure_admin(storage: &dyn Storage, sender: &Addr) -> Result<Config, ContractError> {
    let config = CONFIG.load(storage)?;
    if config.admin.as_ref() != Some(sender) {
        return Err(ContractError::NotAdmin);
    }
    Ok(config)
}

/// `time + seconds`, or a typed error instead of the panic of `Timestamp::plus_seconds`. The
/// configured durations are bounded, so this fails only for block times centuries from now.
pub fn later(time: Timestamp, seconds: u64, what: &str) -> Result<Timestamp, ContractError> {
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|nanos| time.nanos().checked_add(nanos))
        .map(Timestamp::from_nanos)
        .ok_or_else(|| ContractError::TimeOverflow {
            what: what.to_string(),
        })
}

fn check_duration(field: &str, value: u64, max: u64) -> Result<(), ContractError> {
    if value > max {
        return Err(ContractError::DurationTooLong {
            field: field.to_string(),
            value,
            max,
        });
    }
    Ok(())
}

fn invalid(reason: &str) -> ContractError {
    ContractError::InvalidConfig {
        reason: reason.to_string(),
    }
}

/// Checks the bounds every configuration must respect.
pub fn validate_config(config: &Config) -> Result<(), ContractError> {
    if config.bond_denom.trim().is_empty() {
        return Err(invalid("bond_denom is empty"));
    }
    if config.min_self_bond.is_zero() {
        return Err(invalid("min_self_bond must be positive"));
    }
    if config.unbonding_period == 0 {
        return Err(invalid("unbonding_period must be positive"));
    }
    check_duration(
        "unbonding_period",
        config.unbonding_period,
        MAX_UNBONDING_PERIOD,
    )?;
    check_duration("jail_duration", config.jail_duration, MAX_JAIL_DURATION)?;
    check_duration(
        "commission_change_period",
        config.commission_change_period,
        MAX_COMMISSION_CHANGE_PERIOD,
    )?;
    if config.reward_warmup == 0 {
        return Err(invalid("reward_warmup must be positive"));
    }
    check_duration("reward_warmup", config.reward_warmup, MAX_REWARD_WARMUP)?;
    if config.max_active_operators == 0 || config.max_active_operators > MAX_ACTIVE_OPERATORS_LIMIT
    {
        return Err(invalid(&format!(
            "max_active_operators must be between 1 and {MAX_ACTIVE_OPERATORS_LIMIT}"
        )));
    }
    if config.max_commission > Decimal::one() {
        return Err(invalid("max_commission must be at most 1"));
    }
    if config.max_commission_change > Decimal::one() {
        return Err(invalid("max_commission_change must be at most 1"));
    }
    if config.max_unbonding_entries == 0
        || config.max_unbonding_entries > MAX_UNBONDING_ENTRIES_LIMIT
    {
        return Err(invalid(&format!(
            "max_unbonding_entries must be between 1 and {MAX_UNBONDING_ENTRIES_LIMIT}"
        )));
    }
    Ok(())
}

pub fn validate_optional_addr(
    api: &dyn Api,
    address: Option<String>,
) -> Result<Option<Addr>, ContractError> {
    Ok(address.map(|a| api.addr_validate(&a)).transpose()?)
}

pub fn update_admin(
    deps: DepsMut,
    info: MessageInfo,
    admin: Option<String>,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let mut config = ensure_admin(deps.storage, &info.sender)?;
    config.admin = validate_optional_addr(deps.api, admin)?;
    CONFIG.save(deps.storage, &config)?;
    let event = AdminUpdated {
        admin: config.admin.clone(),
    };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "update_admin")
        .add_attribute(
            "admin",
            config
                .admin
                .map_or_else(|| "none".to_string(), String::from),
        ))
}

#[allow(clippy::too_many_arguments)]
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    jail_duration: Option<u64>,
    slashed_funds_destination: Option<String>,
    max_commission: Option<Decimal>,
    max_commission_change: Option<Decimal>,
    commission_change_period: Option<u64>,
    max_unbonding_entries: Option<u32>,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let mut config = ensure_admin(deps.storage, &info.sender)?;
    if let Some(destination) = validate_optional_addr(deps.api, slashed_funds_destination)? {
        config.slashed_funds_destination = destination;
    }
    config.jail_duration = jail_duration.unwrap_or(config.jail_duration);
    config.max_commission = max_commission.unwrap_or(config.max_commission);
    config.max_commission_change = max_commission_change.unwrap_or(config.max_commission_change);
    config.commission_change_period =
        commission_change_period.unwrap_or(config.commission_change_period);
    config.max_unbonding_entries = max_unbonding_entries.unwrap_or(config.max_unbonding_entries);
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    let event = ConfigUpdated { admin: info.sender };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "update_config"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_adds_seconds_and_reports_overflow() {
        let t = Timestamp::from_seconds(10);
        assert_eq!(later(t, 5, "x").unwrap(), Timestamp::from_seconds(15));
        assert!(matches!(
            later(t, u64::MAX, "the jailing"),
            Err(ContractError::TimeOverflow { what }) if what == "the jailing"
        ));
        let last = Timestamp::from_nanos(u64::MAX - 1_000_000_000);
        assert_eq!(
            later(last, 1, "x").unwrap(),
            Timestamp::from_nanos(u64::MAX)
        );
        assert!(later(last, 2, "x").is_err());
    }
}
