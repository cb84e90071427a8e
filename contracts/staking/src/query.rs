//! Queries. Plural ones are paginated with `start_after` and a capped `limit`.

use cosmwasm_std::{Addr, Deps, Env, Order, StdResult, Timestamp, Uint128};
use cw_storage_plus::Bound;
use sibyl_api::staking::{
    ActiveOperator, ActiveSetResponse, ConfigResponse, DelegationResponse, DelegationsResponse,
    OperatorResponse, OperatorStatus, OperatorsResponse, PendingRewardsResponse, SlashersResponse,
    UnbondingEntriesResponse, UnbondingEntryResponse, DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT,
    MAX_SLASHERS,
};

use crate::active_set::{is_active, self_bond};
use crate::error::ContractError;
use crate::execute::load_pool;
use crate::shares::{self, token_value, PendingRewards};
use crate::state::{
    Delegation, OperatorPool, ACTIVE, CONFIG, DELEGATIONS, POOLS, PROFILES, SLASHERS,
    UNBONDING_ENTRIES,
};
use crate::unbonding::entry_value;
use crate::warmup;

fn page_size(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_QUERY_LIMIT).min(MAX_QUERY_LIMIT) as usize
}

pub fn config(deps: Deps) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        admin: c.admin,
        bond_denom: c.bond_denom,
        min_self_bond: c.min_self_bond,
        unbonding_period: c.unbonding_period,
        max_active_operators: c.max_active_operators,
        jail_duration: c.jail_duration,
        slashed_funds_destination: c.slashed_funds_destination,
        max_commission: c.max_commission,
        max_commission_change: c.max_commission_change,
        commission_change_period: c.commission_change_period,
        max_unbonding_entries: c.max_unbonding_entries,
        reward_warmup: c.reward_warmup,
    })
}

fn operator_response(
    deps: Deps,
    address: Addr,
    pool: OperatorPool,
) -> Result<OperatorResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let profile = PROFILES.load(deps.storage, &address)?;
    let own = self_bond(&pool)?;
    let status = if pool.left {
        OperatorStatus::Left
    } else if pool.jailed_until.is_some() {
        OperatorStatus::Jailed
    } else if own < config.min_self_bond || pool.tokens.is_zero() {
        OperatorStatus::BelowMinSelfBond
    } else if is_active(deps.storage, &address, &pool)? {
        OperatorStatus::Active
    } else {
        OperatorStatus::Candidate
    };
    Ok(OperatorResponse {
        address,
        moniker: profile.moniker,
        commission: profile.commission,
        attestation_pubkey: profile.attestation_pubkey,
        self_bond: own,
        total_stake: pool.tokens,
        jailed_until: pool.jailed_until,
        status,
        unclaimed_commission: pool.unclaimed_commission,
        undistributed_rewards: shares::undistributed_rewards(&pool)?,
    })
}

pub fn operator(deps: Deps, address: String) -> Result<OperatorResponse, ContractError> {
    let address = deps.api.addr_validate(&address)?;
    let pool = load_pool(deps.storage, &address)?;
    operator_response(deps, address, pool)
}

pub fn operators(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OperatorsResponse, ContractError> {
    let start = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let pools: Vec<(Addr, OperatorPool)> = POOLS
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .collect::<StdResult<_>>()?;
    let operators = pools
        .into_iter()
        .map(|(address, pool)| operator_response(deps, address, pool))
        .collect::<Result<_, _>>()?;
    Ok(OperatorsResponse { operators })
}

fn delegation_response(
    deps: Deps,
    env: &Env,
    delegator: Addr,
    operator: Addr,
    delegation: Option<Delegation>,
) -> Result<DelegationResponse, ContractError> {
    let now = env.block.time.seconds();
    let mut response = DelegationResponse {
        delegator,
        operator,
        shares: Uint128::zero(),
        amount: Uint128::zero(),
        pending_rewards: Uint128::zero(),
        warming_shares: Uint128::zero(),
        warm_at: None,
    };
    if let Some(delegation) = delegation {
        let pool = load_pool(deps.storage, &response.operator)?;
        response.shares = delegation.shares;
        response.amount = token_value(pool.tokens, pool.shares, delegation.shares)?;
        response.pending_rewards =
            warmup::pending(deps.storage, &response.operator, &pool, &delegation, now)?.rewards;
        if let Some(warming) = delegation.warming.filter(|w| w.warm_at > now) {
            response.warming_shares = warming.shares;
            response.warm_at = Some(Timestamp::from_seconds(warming.warm_at));
        }
    }
    Ok(response)
}

pub fn delegation(
    deps: Deps,
    env: Env,
    delegator: String,
    operator: String,
) -> Result<DelegationResponse, ContractError> {
    let delegator = deps.api.addr_validate(&delegator)?;
    let operator = deps.api.addr_validate(&operator)?;
    let delegation = DELEGATIONS.may_load(deps.storage, (&delegator, &operator))?;
    delegation_response(deps, &env, delegator, operator, delegation)
}

pub fn delegations(
    deps: Deps,
    env: Env,
    delegator: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<DelegationsResponse, ContractError> {
    let delegator = deps.api.addr_validate(&delegator)?;
    let start = start_after
        .map(|a| deps.api.addr_validate(&a))
        .transpose()?;
    let items: Vec<(Addr, Delegation)> = DELEGATIONS
        .prefix(&delegator)
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .collect::<StdResult<_>>()?;
    let delegations = items
        .into_iter()
        .map(|(operator, d)| delegation_response(deps, &env, delegator.clone(), operator, Some(d)))
        .collect::<Result<_, _>>()?;
    Ok(DelegationsResponse { delegations })
}

pub fn unbonding_entries(
    deps: Deps,
    env: Env,
    delegator: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<UnbondingEntriesResponse, ContractError> {
    let delegator = deps.api.addr_validate(&delegator)?;
    let items: Vec<_> = UNBONDING_ENTRIES
        .prefix(&delegator)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .collect::<StdResult<_>>()?;
    let entries = items
        .into_iter()
        .map(|(id, entry)| {
            Ok(UnbondingEntryResponse {
                id,
                amount: entry_value(deps.storage, &entry)?,
                matured: entry.completion_time <= env.block.time,
                operator: entry.operator,
                creation_height: entry.creation_height,
                completion_time: entry.completion_time,
            })
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(UnbondingEntriesResponse { entries })
}

pub fn pending(
    deps: Deps,
    env: Env,
    delegator: String,
    operator: String,
) -> Result<PendingRewardsResponse, ContractError> {
    let delegator = deps.api.addr_validate(&delegator)?;
    let operator = deps.api.addr_validate(&operator)?;
    let pool = load_pool(deps.storage, &operator)?;
    let pending = match DELEGATIONS.may_load(deps.storage, (&delegator, &operator))? {
        Some(delegation) => warmup::pending(
            deps.storage,
            &operator,
            &pool,
            &delegation,
            env.block.time.seconds(),
        )?,
        None => PendingRewards {
            rewards: Uint128::zero(),
            forfeited: Uint128::zero(),
        },
    };
    let commission = if delegator == operator {
        pool.unclaimed_commission
    } else {
        Uint128::zero()
    };
    Ok(PendingRewardsResponse {
        rewards: pending.rewards,
        commission,
        forfeited: pending.forfeited,
    })
}

pub fn slashers(deps: Deps) -> StdResult<SlashersResponse> {
    let slashers = SLASHERS
        .keys(deps.storage, None, None, Order::Ascending)
        .take(MAX_SLASHERS as usize)
        .collect::<StdResult<_>>()?;
    Ok(SlashersResponse { slashers })
}

/// Reads the whole active set: at most `max_active_operators` keys, with the stake in the key.
pub fn active_set(deps: Deps) -> Result<ActiveSetResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut operators: Vec<ActiveOperator> = ACTIVE
        .keys(deps.storage, None, None, Order::Ascending)
        .take(config.max_active_operators as usize)
        .map(|key| {
            key.map(|(stake, address)| ActiveOperator {
                address,
                stake: Uint128::new(stake),
            })
        })
        .collect::<StdResult<_>>()?;
    operators.sort_by(|a, b| a.address.cmp(&b.address));
    let total_stake = operators
        .iter()
        .try_fold(Uint128::zero(), |sum, op| sum.checked_add(op.stake))?;
    Ok(ActiveSetResponse {
        operators,
        total_stake,
    })
}
