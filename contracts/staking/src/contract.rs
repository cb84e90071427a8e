//! Entry points: dispatch only; the handlers live in `execute/` and `query.rs`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use sibyl_api::staking::{ExecuteMsg, InstantiateMsg, QueryMsg};

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
        } => operator::register(deps, env, info, moniker, commission, attestation_pubkey),
        ExecuteMsg::EditOperator {
            moniker,
            commission,
        } => operator::edit(deps, env, info, moniker, commission),
        ExecuteMsg::RotateAttestationKey { attestation_pubkey } => {
            operator::rotate_attestation_key(deps, info, attestation_pubkey)
        }
        ExecuteMsg::LeaveOperator {} => operator::leave(deps, env, info),
        ExecuteMsg::Delegate { operator } => delegation::delegate(deps, info, operator),
        ExecuteMsg::Undelegate { operator, amount } => {
            delegation::undelegate(deps, env, info, operator, amount)
        }
        ExecuteMsg::Claim {} => delegation::claim(deps, env, info),
        ExecuteMsg::WithdrawRewards { operator } => rewards::withdraw_rewards(deps, info, operator),
        ExecuteMsg::Distribute { operator } => rewards::distribute(deps, info, operator),
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
        } => to_json_binary(&query::delegation(deps, delegator, operator)?)?,
        QueryMsg::Delegations {
            delegator,
            start_after,
            limit,
        } => to_json_binary(&query::delegations(deps, delegator, start_after, limit)?)?,
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
        } => to_json_binary(&query::pending(deps, delegator, operator)?)?,
        QueryMsg::Slashers {} => to_json_binary(&query::slashers(deps)?)?,
        QueryMsg::ActiveSet {} => to_json_binary(&query::active_set(deps)?)?,
    })
}
