//! Entry points: dispatch only; the handlers live in `execute/` and `query.rs`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use sibyl_api::staking::events::{Migrated, TypedEvent};
use sibyl_api::staking::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::execute::{admin, delegation, operator, rewards, slashing};
use crate::funds::nonpayable;
use crate::query;
use crate::state::{Config, ACTIVE_COUNT, CONFIG, CONTRACT_NAME, CONTRACT_VERSION};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let admin = match msg.admin {
        Some(admin) => deps.api.addr_validate(&admin)?,
        None => info.sender,
    };
    let config = Config {
        admin: Some(admin.clone()),
        bond_denom: msg.bond_denom,
        min_self_bond: msg.min_self_bond,
        unbonding_period: msg.unbonding_period,
        max_active_operators: msg.max_active_operators,
        jail_duration: msg.jail_duration,
        slashed_funds_destination: deps.api.addr_validate(&msg.slashed_funds_destination)?,
        max_commission: msg.max_commission,
        max_commission_change: msg.max_commission_change,
        commission_change_period: msg.commission_change_period,
        max_unbonding_entries: msg.max_unbonding_entries,
        reward_warmup: msg.reward_warmup,
    };
    admin::validate_config(&config)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    ACTIVE_COUNT.save(deps.storage, &0)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", admin)
        .add_attribute("bond_denom", config.bond_denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RegisterOperator {
            moniker,
            commission,
            attestation_pubkey,
            key_signature,
        } => operator::register(
            deps,
            env,
            info,
            moniker,
            commission,
            attestation_pubkey,
            key_signature,
        ),
        ExecuteMsg::EditOperator {
            moniker,
            commission,
        } => operator::edit(deps, env, info, moniker, commission),
        ExecuteMsg::RotateAttestationKey {
            attestation_pubkey,
            key_signature,
        } => operator::rotate_attestation_key(deps, env, info, attestation_pubkey, key_signature),
        ExecuteMsg::LeaveOperator {} => operator::leave(deps, env, info),
        ExecuteMsg::Delegate { operator } => delegation::delegate(deps, env, info, operator),
        ExecuteMsg::Undelegate { operator, amount } => {
            delegation::undelegate(deps, env, info, operator, amount)
        }
        ExecuteMsg::Claim {} => delegation::claim(deps, env, info),
        ExecuteMsg::WithdrawRewards { operator } => {
            rewards::withdraw_rewards(deps, env, info, operator)
        }
        ExecuteMsg::Distribute { operator } => rewards::distribute(deps, env, info, operator),
        ExecuteMsg::Slash {
            operator,
            fraction,
            infraction_height,
            jail,
        } => slashing::slash(deps, env, info, operator, fraction, infraction_height, jail),
        ExecuteMsg::Unjail {} => operator::unjail(deps, env, info),
        ExecuteMsg::UpdateSlashers { add, remove } => {
            slashing::update_slashers(deps, info, add, remove)
        }
        ExecuteMsg::UpdateAdmin { admin } => admin::update_admin(deps, info, admin),
        ExecuteMsg::UpdateConfig {
            jail_duration,
            slashed_funds_destination,
            max_commission,
            max_commission_change,
            commission_change_period,
            max_unbonding_entries,
        } => admin::update_config(
            deps,
            info,
            jail_duration,
            slashed_funds_destination,
            max_commission,
            max_commission_change,
            commission_change_period,
            max_unbonding_entries,
        ),
    }
}

/// Migrates from an earlier (or the same) version of this contract. Records written by earlier
/// versions are read as they are (`sibyl_codec::Record::OLDEST_VERSION`), so nothing is
/// rewritten except the configuration.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::MigrateWrongContract {
            expected: CONTRACT_NAME.to_string(),
            got: stored.contract,
        });
    }
    let from = parse_version(&stored.version)?;
    let to = parse_version(CONTRACT_VERSION)?;
    if from > to {
        return Err(ContractError::MigrateDowngrade {
            from: stored.version,
            to: CONTRACT_VERSION.to_string(),
        });
    }
    let mut config = CONFIG.load(deps.storage)?;
    // A configuration from before the reward warm-up reads as 0.
    if config.reward_warmup == 0 {
        config.reward_warmup = msg
            .reward_warmup
            .ok_or(ContractError::MigrateNeedsRewardWarmup)?;
    }
    admin::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let event = Migrated {
        from_version: stored.version,
        to_version: CONTRACT_VERSION.to_string(),
    };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "migrate"))
}

/// `major.minor.patch`, compared as numbers.
fn parse_version(version: &str) -> Result<(u64, u64, u64), ContractError> {
    let invalid = || ContractError::InvalidVersion {
        version: version.to_string(),
    };
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u64>().map_err(|_| invalid()));
    let triple = (
        parts.next().ok_or_else(invalid)??,
        parts.next().ok_or_else(invalid)??,
        parts.next().ok_or_else(invalid)??,
    );
    if parts.next().is_some() {
        return Err(invalid());
    }
    Ok(triple)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Operator { address } => to_json_binary(&query::operator(deps, address)?)?,
        QueryMsg::Operators { start_after, limit } => {
            to_json_binary(&query::operators(deps, start_after, limit)?)?
        }
        QueryMsg::Delegation {
            delegator,
            operator,
        } => to_json_binary(&query::delegation(deps, env, delegator, operator)?)?,
        QueryMsg::Delegations {
            delegator,
            start_after,
            limit,
        } => to_json_binary(&query::delegations(
            deps,
            env,
            delegator,
            start_after,
            limit,
        )?)?,
        QueryMsg::UnbondingEntries {
            delegator,
            start_after,
            limit,
        } => to_json_binary(&query::unbonding_entries(
            deps,
            env,
            delegator,
            start_after,
            limit,
        )?)?,
        QueryMsg::PendingRewards {
            delegator,
            operator,
        } => to_json_binary(&query::pending(deps, env, delegator, operator)?)?,
        QueryMsg::Slashers {} => to_json_binary(&query::slashers(deps)?)?,
        QueryMsg::ActiveSet {} => to_json_binary(&query::active_set(deps)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(parse_version("0.10.2").unwrap(), (0, 10, 2));
        assert!(parse_version("0.10.2").unwrap() > parse_version("0.9.9").unwrap());
        for bad in ["", "1", "1.2", "1.2.3.4", "1.2.x", "1.2.3-rc1"] {
            assert!(matches!(
                parse_version(bad),
                Err(ContractError::InvalidVersion { .. })
            ));
        }
    }
}
