//! Admin-only configuration.

use cosmwasm_std::{Addr, Api, Decimal, DepsMut, MessageInfo, Response, Storage};

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
    Ok(Response::new()
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
    Ok(Response::new().add_attribute("action", "update_config"))
}
