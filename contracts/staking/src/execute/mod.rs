//! Execute handlers, one file per concern.

pub mod admin;
pub mod delegation;
pub mod operator;
pub mod rewards;
pub mod slashing;

use cosmwasm_std::{Addr, BankMsg, Coin, CosmosMsg, Storage, Uint128};

use crate::error::ContractError;
use crate::shares::REWARD_SCALE;
use crate::state::{Delegation, OperatorPool, DELEGATIONS, POOLS};

pub fn load_pool(storage: &dyn Storage, operator: &Addr) -> Result<OperatorPool, ContractError> {
    POOLS
        .may_load(storage, operator)?
        .ok_or_else(|| ContractError::UnknownOperator {
            address: operator.to_string(),
        })
}

pub fn send(to: &Addr, amount: Uint128, denom: &str) -> CosmosMsg {
    BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(amount, denom)],
    }
    .into()
}

/// Saves an up-to-date delegation, or removes it once it has no shares and less than one token
/// of rewards; that last fraction goes back to the pool's reward carry, so it is paid out with the
/// pool's next income instead of being lost.
pub fn store_delegation(
    storage: &mut dyn Storage,
    delegator: &Addr,
    operator: &Addr,
    pool: &mut OperatorPool,
    delegation: &Delegation,
) -> Result<(), ContractError> {
    if delegation.shares.is_zero() && delegation.rewards < REWARD_SCALE.into() {
        pool.reward_carry = pool.reward_carry.checked_add(delegation.rewards)?;
        DELEGATIONS.remove(storage, (delegator, operator));
    } else {
        DELEGATIONS.save(storage, (delegator, operator), delegation)?;
    }
    Ok(())
}
