//! Unbonding entries and the per-operator buckets that make them slashable in bounded time.
//!
//! Undelegated tokens of an operator whose unbonding starts in the same time bucket (of
//! `unbonding_period / BUCKETS_PER_PERIOD` seconds) are pooled in one `UnbondingBucket`; each entry
//! holds shares of it. A slash for an infraction at height `H` must reach exactly the entries
//! created at or after `H` that have not matured. It walks the operator's buckets from the newest
//! back, so it touches at most `BUCKETS_PER_PERIOD + 2` records:
//! - a bucket whose every entry was created at or after `H` is cut at once (its tokens drop);
//! - the one bucket that holds entries from both sides of `H` gets a `PartialSlash` record
//!   instead, applied to each of its entries created at or after `H` when that entry is claimed
//!   (its cut then goes to the slashed-funds destination), so entries requested before the
//!   infraction keep their value; the walk stops there, as every older entry predates `H`.
//!
//! A bucket holds at most `MAX_PARTIAL_SLASHES` partial slashes (each is a few bytes that every
//! claim of the bucket reads); a further one cuts the bucket whole, as before (see docs/staking.md).

use cosmwasm_std::{Addr, Decimal, Env, Order, Storage, Timestamp, Uint128};

use crate::error::ContractError;
use crate::execute::admin::later;
use crate::shares::{shares_for_deposit, slash_amount, token_value};
use crate::state::{
    Config, PartialSlash, PartialSlashes, UnbondingBucket, UnbondingEntry, PARTIAL_SLASHES,
    UNBONDING_BUCKETS, UNBONDING_COUNTERS, UNBONDING_ENTRIES,
};

/// Number of buckets one unbonding period is divided into.
pub const BUCKETS_PER_PERIOD: u64 = 16;
/// Most buckets a slash reads: the live ones plus one, as a guard against a clock oddity.
const MAX_BUCKETS_SCANNED: usize = BUCKETS_PER_PERIOD as usize + 2;
/// Most partial slashes one bucket records.
pub const MAX_PARTIAL_SLASHES: usize = 16;

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
    let completion_time = later(now, config.unbonding_period, "the unbonding")?;
    let index = bucket_index(now, config.unbonding_period);
    let mut bucket = UNBONDING_BUCKETS
        .may_load(storage, (operator, index))?
        .unwrap_or(UnbondingBucket {
            tokens: Uint128::zero(),
            shares: Uint128::zero(),
            max_creation_height: env.block.height,
            first_completion: completion_time,
            min_creation_height: env.block.height,
            joined: 0,
        });
    let shares = shares_for_deposit(bucket.tokens, bucket.shares, amount)?;
    bucket.tokens = bucket.tokens.checked_add(amount)?;
    bucket.shares = bucket.shares.checked_add(shares)?;
    bucket.max_creation_height = bucket.max_creation_height.max(env.block.height);
    let ordinal = bucket.joined;
    bucket.joined = ordinal
        .checked_add(1)
        .ok_or_else(|| ContractError::Overflow("unbonding bucket entry count".to_string()))?;
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
            ordinal,
        },
    )?;
    counter.pending += 1;
    counter.next_id += 1;
    UNBONDING_COUNTERS.save(storage, delegator, &counter)?;
    Ok(id)
}

/// Current token value of an entry: its share of the bucket, less the partial slashes that
/// reach it.
pub fn entry_value(
    storage: &dyn Storage,
    entry: &UnbondingEntry,
) -> Result<Uint128, ContractError> {
    let key = (&entry.operator, entry.bucket);
    let bucket = UNBONDING_BUCKETS.load(storage, key)?;
    let nominal = token_value(bucket.tokens, bucket.shares, entry.shares)?;
    let partial = PARTIAL_SLASHES.may_load(storage, key)?.unwrap_or_default();
    after_partial_slashes(nominal, entry, &partial)
}

/// `value` less every partial slash of `partial` that reaches `entry`, each rounded down like a
/// bonded slash (a slash never takes more than its fraction).
pub fn after_partial_slashes(
    mut value: Uint128,
    entry: &UnbondingEntry,
    partial: &PartialSlashes,
) -> Result<Uint128, ContractError> {
    for slash in &partial.0 {
        if entry.creation_height >= slash.infraction_height && entry.ordinal < slash.joined_before {
            value = value.checked_sub(slash_amount(value, slash.fraction)?)?;
        }
    }
    Ok(value)
}

/// What `claim_matured` pays out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Claimed {
    /// To the delegator.
    pub amount: Uint128,
    /// To the slashed-funds destination: what partial slashes took from the claimed entries.
    pub slashed: Uint128,
}

/// Removes every matured entry of `delegator` and returns the tokens they are worth.
/// Reads at most the delegator's pending entries, which `max_unbonding_entries` bounds, with
/// their buckets and partial slashes.
pub fn claim_matured(
    storage: &mut dyn Storage,
    delegator: &Addr,
    now: Timestamp,
) -> Result<Claimed, ContractError> {
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
    let mut claimed = Claimed::default();
    for (id, entry) in &matured {
        let key = (&entry.operator, entry.bucket);
        let mut bucket = UNBONDING_BUCKETS.load(storage, key)?;
        // The last entry of a bucket takes all of its tokens, so no rounding dust is left behind.
        let value = if entry.shares == bucket.shares {
            bucket.tokens
        } else {
            token_value(bucket.tokens, bucket.shares, entry.shares)?
        };
        let partial = PARTIAL_SLASHES.may_load(storage, key)?.unwrap_or_default();
        let paid = after_partial_slashes(value, entry, &partial)?;
        bucket.tokens = bucket.tokens.checked_sub(value)?;
        bucket.shares = bucket.shares.checked_sub(entry.shares)?;
        if bucket.shares.is_zero() {
            UNBONDING_BUCKETS.remove(storage, key);
            PARTIAL_SLASHES.remove(storage, key);
        } else {
            UNBONDING_BUCKETS.save(storage, key, &bucket)?;
        }
        UNBONDING_ENTRIES.remove(storage, (delegator, *id));
        claimed.amount = claimed.amount.checked_add(paid)?;
        claimed.slashed = claimed.slashed.checked_add(value.checked_sub(paid)?)?;
    }
    let mut counter = UNBONDING_COUNTERS.load(storage, delegator)?;
    // `matured` holds at most `pending` entries, all of them counted.
    counter.pending -= matured.len() as u32;
    UNBONDING_COUNTERS.save(storage, delegator, &counter)?;
    Ok(claimed)
}

/// Slashes `fraction` of every unbonding entry of `operator` created at or after
/// `infraction_height` whose bucket has not started to mature. Returns the tokens taken now
/// (entries of a partly reached bucket pay their cut when they are claimed).
pub fn slash_unbonding(
    storage: &mut dyn Storage,
    operator: &Addr,
    infraction_height: u64,
    fraction: Decimal,
    now: Timestamp,
) -> Result<Uint128, ContractError> {
    let mut whole = Vec::new();
    let mut boundary = None;
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
        if bucket.min_creation_height >= infraction_height {
            whole.push((index, bucket));
        } else {
            // Entries on both sides of the infraction; every older bucket predates it.
            boundary = Some((index, bucket));
            break;
        }
    }
    if let Some((index, bucket)) = boundary {
        let key = (operator, index);
        let mut partial = PARTIAL_SLASHES.may_load(storage, key)?.unwrap_or_default();
        if partial.0.len() < MAX_PARTIAL_SLASHES {
            partial.0.push(PartialSlash {
                infraction_height,
                fraction,
                joined_before: bucket.joined,
            });
            PARTIAL_SLASHES.save(storage, key, &partial)?;
        } else {
            whole.push((index, bucket));
        }
    }
    let mut total = Uint128::zero();
    for (index, mut bucket) in whole {
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

    fn entry(creation_height: u64, ordinal: u64) -> UnbondingEntry {
        UnbondingEntry {
            operator: Addr::unchecked("op"),
            bucket: 0,
            shares: Uint128::one(),
            creation_height,
            completion_time: Timestamp::from_seconds(1),
            ordinal,
        }
    }

    #[test]
    fn partial_slashes_reach_later_entries_present_at_the_slash_only() {
        let partial = PartialSlashes(vec![
            PartialSlash {
                infraction_height: 10,
                fraction: Decimal::percent(10),
                joined_before: 3,
            },
            PartialSlash {
                infraction_height: 20,
                fraction: Decimal::percent(50),
                joined_before: 5,
            },
        ]);
        let value = |e| after_partial_slashes(Uint128::new(1_000), &e, &partial).unwrap();
        // Before both infractions.
        assert_eq!(value(entry(9, 0)), Uint128::new(1_000));
        // After the first: 10% off.
        assert_eq!(value(entry(10, 1)), Uint128::new(900));
        // After both: 10% then 50% of the rest.
        assert_eq!(value(entry(20, 2)), Uint128::new(450));
        // Joined after the first slash: only the second reaches it.
        assert_eq!(value(entry(20, 3)), Uint128::new(500));
        // Joined after both slashes.
        assert_eq!(value(entry(30, 5)), Uint128::new(1_000));
    }
}
