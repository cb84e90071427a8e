//! Unbonding entries and the per-operator buckets that make them slashable in bounded time.
//!
//! Undelegated tokens of an operator whose unbonding starts in the same time bucket (of
//! `unbonding_period / BUCKETS_PER_PERIOD` seconds) are pooled in one `UnbondingBucket`; each entry
//! holds shares of its bucket. A slash walks the operator's buckets from the newest back and stops
//! at the first that is too old (every entry joined before the infraction, or the first entry has
//! matured), so it touches at most `BUCKETS_PER_PERIOD + 1` records. The price of that bound: the
//! bucket in which the infraction happened is slashed whole, including entries that joined it in
//! the seconds before the infraction (see docs/staking.md).

use cosmwasm_std::{Addr, Decimal, Env, Order, Storage, Timestamp, Uint128};

use crate::error::ContractError;
use crate::shares::{shares_for_deposit, slash_amount, token_value};
use crate::state::{
    Config, UnbondingBucket, UnbondingEntry, UNBONDING_BUCKETS, UNBONDING_COUNTERS,
    UNBONDING_ENTRIES,
};

/// Number of buckets one unbonding period is divided into.
pub const BUCKETS_PER_PERIOD: u64 = 16;
/// Most buckets a slash reads: the live ones plus one, as a guard against a clock oddity.
const MAX_BUCKETS_SCANNED: usize = BUCKETS_PER_PERIOD as usize + 2;

pub fn bucket_length(unbonding_period: u64) -> u64 {
    unbonding_period.div_ceil(BUCKETS_PER_PERIOD).max(1)
}

pub fn bucket_index(time: Timestamp, unbonding_period: u64) -> u64 {
    time.seconds() / bucket_length(unbonding_period)
}

/// Records that `delegator` started unbonding `amount` from `operator`; returns the entry id.
pub fn start_unbonding(
    storage: &mut dyn Storage,
    config: &Config,
    env: &Env,
    delegator: &Addr,
    operator: &Addr,
    amount: Uint128,
) -> Result<u64, ContractError> {
    let mut counter = UNBONDING_COUNTERS
        .may_load(storage, delegator)?
        .unwrap_or_default();
    if counter.pending >= config.max_unbonding_entries {
        return Err(ContractError::TooManyUnbondingEntries {
            max: config.max_unbonding_entries,
        });
    }
    let now = env.block.time;
    let completion_time = now.plus_seconds(config.unbonding_period);
    let index = bucket_index(now, config.unbonding_period);
    let mut bucket = UNBONDING_BUCKETS
        .may_load(storage, (operator, index))?
        .unwrap_or(UnbondingBucket {
            tokens: Uint128::zero(),
            shares: Uint128::zero(),
            max_creation_height: env.block.height,
            first_completion: completion_time,
        });
    let shares = shares_for_deposit(bucket.tokens, bucket.shares, amount)?;
    bucket.tokens = bucket.tokens.checked_add(amount)?;
    bucket.shares = bucket.shares.checked_add(shares)?;
    bucket.max_creation_height = bucket.max_creation_height.max(env.block.height);
    UNBONDING_BUCKETS.save(storage, (operator, index), &bucket)?;

    let id = counter.next_id;
    UNBONDING_ENTRIES.save(
        storage,
        (delegator, id),
        &UnbondingEntry {
            operator: operator.clone(),
            bucket: index,
            shares,
            creation_height: env.block.height,
            completion_time,
        },
    )?;
    counter.pending += 1;
    counter.next_id += 1;
    UNBONDING_COUNTERS.save(storage, delegator, &counter)?;
    Ok(id)
}

/// Current token value of an entry.
pub fn entry_value(
    storage: &dyn Storage,
    entry: &UnbondingEntry,
) -> Result<Uint128, ContractError> {
    let bucket = UNBONDING_BUCKETS.load(storage, (&entry.operator, entry.bucket))?;
    token_value(bucket.tokens, bucket.shares, entry.shares)
}

/// Removes every matured entry of `delegator` and returns the tokens they are worth.
/// Reads at most the delegator's pending entries, which `max_unbonding_entries` bounds.
pub fn claim_matured(
    storage: &mut dyn Storage,
    delegator: &Addr,
    now: Timestamp,
) -> Result<Uint128, ContractError> {
    let matured: Vec<(u64, UnbondingEntry)> = UNBONDING_ENTRIES
        .prefix(delegator)
        .range(storage, None, None, Order::Ascending)
        .filter(|item| {
            item.as_ref()
                .map_or(true, |(_, entry)| entry.completion_time <= now)
        })
        .collect::<Result<_, _>>()?;
    if matured.is_empty() {
        return Err(ContractError::NothingToClaim);
    }
    let mut total = Uint128::zero();
    for (id, entry) in &matured {
        let key = (&entry.operator, entry.bucket);
        let mut bucket = UNBONDING_BUCKETS.load(storage, key)?;
        // The last entry of a bucket takes all of its tokens, so no rounding dust is left behind.
        let value = if entry.shares == bucket.shares {
            bucket.tokens
        } else {
            token_value(bucket.tokens, bucket.shares, entry.shares)?
        };
        bucket.tokens = bucket.tokens.checked_sub(value)?;
        bucket.shares = bucket.shares.checked_sub(entry.shares)?;
        if bucket.shares.is_zero() {
            UNBONDING_BUCKETS.remove(storage, key);
        } else {
            UNBONDING_BUCKETS.save(storage, key, &bucket)?;
        }
        UNBONDING_ENTRIES.remove(storage, (delegator, *id));
        total = total.checked_add(value)?;
    }
    let mut counter = UNBONDING_COUNTERS.load(storage, delegator)?;
    // `matured` holds at most `pending` entries, all of them counted.
    counter.pending -= matured.len() as u32;
    UNBONDING_COUNTERS.save(storage, delegator, &counter)?;
    Ok(total)
}

/// Cuts `fraction` of every bucket of `operator` that is slashable for an infraction at
/// `infraction_height`: one with an entry created at or after that height whose first entry has
/// not matured yet. Returns the tokens taken.
pub fn slash_unbonding(
    storage: &mut dyn Storage,
    operator: &Addr,
    infraction_height: u64,
    fraction: Decimal,
    now: Timestamp,
) -> Result<Uint128, ContractError> {
    let mut slashable = Vec::new();
    for item in UNBONDING_BUCKETS
        .prefix(operator)
        .range(storage, None, None, Order::Descending)
        .take(MAX_BUCKETS_SCANNED)
    {
        let (index, bucket) = item?;
        // Buckets are in time order, so both conditions hold for every older bucket too.
        if bucket.max_creation_height < infraction_height || bucket.first_completion <= now {
            break;
        }
        slashable.push((index, bucket));
    }
    let mut total = Uint128::zero();
    for (index, mut bucket) in slashable {
        let cut = slash_amount(bucket.tokens, fraction)?;
        bucket.tokens = bucket.tokens.checked_sub(cut)?;
        UNBONDING_BUCKETS.save(storage, (operator, index), &bucket)?;
        total = total.checked_add(cut)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_divide_the_period_and_are_at_least_a_second() {
        assert_eq!(bucket_length(1_600), 100);
        assert_eq!(bucket_length(1_601), 101);
        assert_eq!(bucket_length(5), 1);
        assert_eq!(bucket_index(Timestamp::from_seconds(250), 1_600), 2);
    }
}
