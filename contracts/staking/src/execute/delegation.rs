//! Delegate, undelegate and claim.

use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Response, Storage, Uint128, Uint256};

use crate::active_set::rerank;
use crate::error::ContractError;
use crate::execute::{load_pool, send, store_delegation};
use crate::funds::{must_pay, nonpayable};
use crate::shares::{accrue_rewards, shares_for_deposit, withdrawal};
use crate::state::{Config, Delegation, OperatorPool, CONFIG, DELEGATIONS, POOLS};
use crate::unbonding::{claim_matured, start_unbonding};

pub fn delegate(
    deps: DepsMut,
    info: MessageInfo,
    operator: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let amount = must_pay(&info, &config.bond_denom)?;
    let operator = deps.api.addr_validate(&operator)?;
    let mut pool = load_pool(deps.storage, &operator)?;
    let is_self = info.sender == operator;
    if pool.left {
        return Err(ContractError::OperatorLeft {
            address: operator.to_string(),
        });
    }
    if let (Some(until), false) = (pool.jailed_until, is_self) {
        return Err(ContractError::OperatorJailed {
            address: operator.to_string(),
            until,
        });
    }
    let shares = bond(
        deps.storage,
        &config,
        &info.sender,
        &operator,
        &mut pool,
        amount,
    )?;
    Ok(Response::new()
        .add_attribute("action", "delegate")
        .add_attribute("delegator", info.sender)
        .add_attribute("operator", operator)
        .add_attribute("amount", amount)
        .add_attribute("shares", shares))
}

/// Adds `amount` to `delegator`'s delegation to `operator` and saves pool and delegation.
/// Returns the shares minted.
pub fn bond(
    storage: &mut dyn Storage,
    config: &Config,
    delegator: &Addr,
    operator: &Addr,
    pool: &mut OperatorPool,
    amount: Uint128,
) -> Result<Uint128, ContractError> {
    let mut delegation = DELEGATIONS
        .may_load(storage, (delegator, operator))?
        .unwrap_or(Delegation {
            shares: Uint128::zero(),
            reward_per_share_paid: pool.reward_per_share,
            rewards: Uint256::zero(),
        });
    accrue_rewards(pool, &mut delegation)?;
    let shares = shares_for_deposit(pool.tokens, pool.shares, amount)?;
    delegation.shares = delegation.shares.checked_add(shares)?;
    pool.shares = pool.shares.checked_add(shares)?;
    pool.tokens = pool.tokens.checked_add(amount)?;
    if delegator == operator {
        pool.self_shares = pool.self_shares.checked_add(shares)?;
    }
    rerank(
        storage,
        config.max_active_operators,
        config.min_self_bond,
        operator,
        pool,
    )?;
    DELEGATIONS.save(storage, (delegator, operator), &delegation)?;
    POOLS.save(storage, operator, pool)?;
    Ok(shares)
}

pub fn undelegate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
    amount: Uint128,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let operator = deps.api.addr_validate(&operator)?;
    let mut pool = load_pool(deps.storage, &operator)?;
    let (released, entry_id) = unbond(
        deps.storage,
        &config,
        &env,
        &info.sender,
        &operator,
        &mut pool,
        Some(amount),
    )?;
    let mut response = Response::new()
        .add_attribute("action", "undelegate")
        .add_attribute("delegator", info.sender)
        .add_attribute("operator", operator)
        .add_attribute("amount", released);
    if let Some(id) = entry_id {
        response = response.add_attribute("unbonding_entry", id.to_string());
    }
    Ok(response)
}

/// Moves `amount` (everything when `None`) of `delegator`'s delegation to `operator` into
/// unbonding and saves pool and delegation. Returns the tokens released and the unbonding entry
/// created (none when the delegation was worth nothing).
pub fn unbond(
    storage: &mut dyn Storage,
    config: &Config,
    env: &Env,
    delegator: &Addr,
    operator: &Addr,
    pool: &mut OperatorPool,
    amount: Option<Uint128>,
) -> Result<(Uint128, Option<u64>), ContractError> {
    let mut delegation = DELEGATIONS
        .may_load(storage, (delegator, operator))?
        .filter(|delegation| !delegation.shares.is_zero())
        .ok_or_else(|| ContractError::NoDelegation {
            delegator: delegator.to_string(),
            operator: operator.to_string(),
        })?;
    accrue_rewards(pool, &mut delegation)?;
    let everything = crate::shares::token_value(pool.tokens, pool.shares, delegation.shares)?;
    let amount = amount.unwrap_or(everything);
    // A zero amount only makes sense to clear a delegation that is worth nothing.
    if amount.is_zero() && !everything.is_zero() {
        return Err(ContractError::ZeroAmount);
    }
    let out = withdrawal(pool.tokens, pool.shares, delegation.shares, amount)?;
    delegation.shares = delegation.shares.checked_sub(out.shares)?;
    pool.shares = pool.shares.checked_sub(out.shares)?;
    pool.tokens = pool.tokens.checked_sub(out.tokens)?;
    if delegator == operator {
        pool.self_shares = pool.self_shares.checked_sub(out.shares)?;
    }
    let entry_id = if out.tokens.is_zero() {
        None
    } else {
        Some(start_unbonding(
            storage, config, env, delegator, operator, out.tokens,
        )?)
    };
    store_delegation(storage, delegator, operator, pool, &delegation)?;
    rerank(
        storage,
        config.max_active_operators,
        config.min_self_bond,
        operator,
        pool,
    )?;
    POOLS.save(storage, operator, pool)?;
    Ok((out.tokens, entry_id))
}

pub fn claim(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let amount = claim_matured(deps.storage, &info.sender, env.block.time)?;
    let mut response = Response::new()
        .add_attribute("action", "claim")
        .add_attribute("delegator", info.sender.as_str())
        .add_attribute("amount", amount);
    // Entries slashed to nothing are cleared without a transfer.
    if !amount.is_zero() {
        response = response.add_message(send(&info.sender, amount, &config.bond_denom));
    }
    Ok(response)
}
