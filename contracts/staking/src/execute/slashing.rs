//! Slashing, jailing and the slashers list.

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, MessageInfo, Order, Response};
use sibyl_api::staking::events::{Slashed, SlashersUpdated, TypedEvent};
use sibyl_api::staking::{is_valid_slash_fraction, MAX_SLASHERS};

use crate::active_set::rerank;
use crate::error::ContractError;
use crate::execute::admin::{ensure_admin, later};
use crate::execute::{load_pool, send};
use crate::funds::nonpayable;
use crate::shares::slash_amount;
use crate::state::{CONFIG, POOLS, SLASHERS};
use crate::unbonding::slash_unbonding;

pub fn slash(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    operator: String,
    fraction: Decimal,
    infraction_height: u64,
    jail: bool,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    if !SLASHERS.has(deps.storage, &info.sender) {
        return Err(ContractError::NotSlasher {
            sender: info.sender.to_string(),
        });
    }
    if !is_valid_slash_fraction(fraction) {
        return Err(ContractError::InvalidSlashFraction { fraction });
    }
    if infraction_height > env.block.height {
        return Err(ContractError::InfractionInFuture {
            infraction_height,
            current: env.block.height,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let operator = deps.api.addr_validate(&operator)?;
    let mut pool = load_pool(deps.storage, &operator)?;

    // A fraction below one leaves at least one token in a non-empty pool, so share prices stay
    // defined and no pool is ever wiped out.
    let slashed_bonded = slash_amount(pool.tokens, fraction)?;
    pool.tokens = pool.tokens.checked_sub(slashed_bonded)?;
    let slashed_unbonding = slash_unbonding(
        deps.storage,
        &operator,
        infraction_height,
        fraction,
        env.block.time,
    )?;
    let mut response = Response::new()
        .add_attribute("action", "slash")
        .add_attribute("operator", operator.as_str())
        .add_attribute("fraction", fraction.to_string())
        .add_attribute("infraction_height", infraction_height.to_string())
        .add_attribute("slashed_bonded", slashed_bonded)
        .add_attribute("slashed_unbonding", slashed_unbonding);
    let mut jailed_until = None;
    if jail {
        let until = later(env.block.time, config.jail_duration, "the jailing")?;
        let until = pool
            .jailed_until
            .map_or(until, |current| current.max(until));
        pool.jailed_until = Some(until);
        jailed_until = Some(until);
        response = response.add_attribute("jailed_until", until.seconds().to_string());
    }
    response = response.add_event(
        Slashed {
            operator: operator.clone(),
            fraction,
            infraction_height,
            slashed_bonded,
            slashed_unbonding,
            jailed_until,
        }
        .to_event(),
    );
    rerank(
        deps.storage,
        config.max_active_operators,
        config.min_self_bond,
        &operator,
        &mut pool,
    )?;
    POOLS.save(deps.storage, &operator, &pool)?;
    let total = slashed_bonded.checked_add(slashed_unbonding)?;
    if !total.is_zero() {
        response = response.add_message(send(
            &config.slashed_funds_destination,
            total,
            &config.bond_denom,
        ));
    }
    Ok(response)
}

pub fn update_slashers(
    deps: DepsMut,
    info: MessageInfo,
    add: Vec<String>,
    remove: Vec<String>,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    ensure_admin(deps.storage, &info.sender)?;
    for address in &remove {
        let address = deps.api.addr_validate(address)?;
        SLASHERS.remove(deps.storage, &address);
    }
    for address in &add {
        let address = deps.api.addr_validate(address)?;
        SLASHERS.save(deps.storage, &address, &true)?;
    }
    // The list is capped, so counting it reads at most MAX_SLASHERS + 1 keys.
    let count = SLASHERS
        .keys(deps.storage, None, None, Order::Ascending)
        .take(MAX_SLASHERS as usize + 1)
        .count();
    if count > MAX_SLASHERS as usize {
        return Err(ContractError::TooManySlashers { max: MAX_SLASHERS });
    }
    let event = SlashersUpdated {
        added: add.iter().map(|a| Addr::unchecked(a.as_str())).collect(),
        removed: remove.iter().map(|a| Addr::unchecked(a.as_str())).collect(),
    };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "update_slashers")
        .add_attribute("added", add.join(","))
        .add_attribute("removed", remove.join(",")))
}
