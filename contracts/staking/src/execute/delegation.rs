//! Delegate, undelegate and claim.

use cosmwasm_std::{
    Addr, DepsMut, Env, MessageInfo, Response, Storage, Timestamp, Uint128, Uint256,
};
use sibyl_api::staking::events::{Claimed, Delegated, TypedEvent, Undelegated};

use crate::active_set::rerank;
use crate::error::ContractError;
use crate::execute::{load_pool, send, store_delegation};
use crate::funds::{must_pay, nonpayable};
use crate::shares::{shares_for_deposit, withdrawal};
use crate::state::{Config, Delegation, OperatorPool, Warming, CONFIG, DELEGATIONS, POOLS};
use crate::unbonding::{claim_matured, start_unbonding};
use crate::warmup::{accrue, warm_at};

pub fn delegate(
    deps: DepsMut,
    env: Env,
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
        &env,
        &info.sender,
        &operator,
        &mut pool,
        amount,
    )?;
    let warm_at = warm_at(env.block.time.seconds(), config.reward_warmup)?;
    let event = Delegated {
        delegator: info.sender.clone(),
        operator: operator.clone(),
        amount,
        shares,
        warm_at: Timestamp::from_seconds(warm_at),
    };
    Ok(Response::new()
        .add_event(event.to_event())
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
    env: &Env,
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
            warming: None,
        });
    let now = env.block.time.seconds();
    accrue(storage, operator, pool, &mut delegation, now)?;
    let shares = shares_for_deposit(pool.tokens, pool.shares, amount)?;
    delegation.shares = delegation.shares.checked_add(shares)?;
    // New shares warm up before they earn; shares still warming wait with them (one warm-up
    // per delegation keeps the record small).
    let still_warming = delegation.warming.map_or(Uint128::zero(), |w| w.shares);
    delegation.warming = Some(Warming {
        shares: still_warming.checked_add(shares)?,
        warm_at: warm_at(now, config.reward_warmup)?,
    });
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
    let event = Undelegated {
        delegator: info.sender.clone(),
        operator: operator.clone(),
        amount: released,
        unbonding_entry: entry_id,
    };
    let mut response = Response::new()
        .add_event(event.to_event())
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
    accrue(
        storage,
        operator,
        pool,
        &mut delegation,
        env.block.time.seconds(),
    )?;
    let everything = crate::shares::token_value(pool.tokens, pool.shares, delegation.shares)?;
    let amount = amount.unwrap_or(everything);
    // A zero amount only makes sense to clear a delegation that is worth nothing.
    if amount.is_zero() && !everything.is_zero() {
        return Err(ContractError::ZeroAmount);
    }
    let out = withdrawal(pool.tokens, pool.shares, delegation.shares, amount)?;
    delegation.shares = delegation.shares.checked_sub(out.shares)?;
    // Warming shares leave first: the delegation keeps as many earning shares as it can.
    delegation.warming = delegation.warming.and_then(|w| {
        let shares = w.shares.saturating_sub(out.shares);
        (!shares.is_zero()).then_some(Warming { shares, ..w })
    });
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
    let claimed = claim_matured(deps.storage, &info.sender, env.block.time)?;
    let event = Claimed {
        delegator: info.sender.clone(),
        amount: claimed.amount,
        slashed: claimed.slashed,
    };
    let mut response = Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "claim")
        .add_attribute("delegator", info.sender.as_str())
        .add_attribute("amount", claimed.amount)
        .add_attribute("slashed", claimed.slashed);
    // Entries slashed to nothing are cleared without a transfer.
    if !claimed.amount.is_zero() {
        response = response.add_message(send(&info.sender, claimed.amount, &config.bond_denom));
    }
    if !claimed.slashed.is_zero() {
        response = response.add_message(send(
            &config.slashed_funds_destination,
            claimed.slashed,
            &config.bond_denom,
        ));
    }
    Ok(response)
}
