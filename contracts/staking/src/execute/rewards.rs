//! Fee income and reward withdrawal.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Uint128};
use sibyl_api::staking::events::{Distributed, RewardsWithdrawn, TypedEvent};

use crate::error::ContractError;
use crate::execute::{load_pool, send, store_delegation};
use crate::funds::{must_pay, nonpayable};
use crate::shares::{distribute_income, take_whole_rewards};
use crate::state::{CONFIG, DELEGATIONS, POOLS, PROFILES};
use crate::warmup::{accrue, record_snapshot};

pub fn distribute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let amount = must_pay(&info, &config.bond_denom)?;
    let operator = deps.api.addr_validate(&operator)?;
    let mut pool = load_pool(deps.storage, &operator)?;
    let profile = PROFILES.load(deps.storage, &operator)?;
    record_snapshot(
        deps.storage,
        &config,
        &operator,
        &pool,
        env.block.time.seconds(),
    )?;
    let to_operator = distribute_income(&mut pool, amount, profile.commission)?;
    POOLS.save(deps.storage, &operator, &pool)?;
    let event = Distributed {
        operator: operator.clone(),
        amount,
        commission: to_operator,
    };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "distribute")
        .add_attribute("operator", operator)
        .add_attribute("amount", amount)
        .add_attribute("commission", to_operator))
}

pub fn withdraw_rewards(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let operator = deps.api.addr_validate(&operator)?;
    let mut pool = load_pool(deps.storage, &operator)?;
    let delegator = info.sender;

    let mut rewards = Uint128::zero();
    if let Some(mut delegation) = DELEGATIONS.may_load(deps.storage, (&delegator, &operator))? {
        accrue(
            deps.storage,
            &operator,
            &mut pool,
            &mut delegation,
            env.block.time.seconds(),
        )?;
        rewards = take_whole_rewards(&mut delegation)?;
        store_delegation(deps.storage, &delegator, &operator, &mut pool, &delegation)?;
    }
    let commission = if delegator == operator {
        std::mem::take(&mut pool.unclaimed_commission)
    } else {
        Uint128::zero()
    };
    let total = rewards.checked_add(commission)?;
    if total.is_zero() {
        return Err(ContractError::NoRewards);
    }
    POOLS.save(deps.storage, &operator, &pool)?;
    let event = RewardsWithdrawn {
        delegator: delegator.clone(),
        operator: operator.clone(),
        rewards,
        commission,
    };
    Ok(Response::new()
        .add_message(send(&delegator, total, &config.bond_denom))
        .add_event(event.to_event())
        .add_attribute("action", "withdraw_rewards")
        .add_attribute("delegator", delegator)
        .add_attribute("operator", operator)
        .add_attribute("rewards", rewards)
        .add_attribute("commission", commission))
}
