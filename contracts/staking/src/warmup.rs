//! Reward warm-up: newly bonded shares earn fee income only after `reward_warmup` seconds, so
//! stake that arrives just before a job settles (a "just-in-time" delegation) gets none of its
//! fee: income reaches stake that was bonded when the job was assigned (protocol invariant 10),
//! provided `reward_warmup` is at least the escrow's longest job (assignment to settlement).
//!
//! What the accumulator credits warming shares is forfeited into the pool's reward carry and
//! shared out with the next income (see `shares::accrue_rewards`), so the pool's accounting
//! stays exact. When warming shares start to earn, their delegation needs the accumulator value
//! at that moment: time is cut into epochs of `reward_warmup / EPOCHS_PER_WARMUP` seconds, shares
//! start to earn at an epoch start, and the first income of each epoch records the accumulator
//! just before it (`REWARD_SNAPSHOTS`). Reading it is one bounded range read.

use cosmwasm_std::{Addr, Order, Storage, Uint256};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::state::{Config, Delegation, OperatorPool, RewardSnapshot, REWARD_SNAPSHOTS};

/// Epochs per warm-up: shares wait between `reward_warmup` and `1.25 × reward_warmup` seconds.
pub const EPOCHS_PER_WARMUP: u64 = 4;

pub fn epoch_length(reward_warmup: u64) -> u64 {
    reward_warmup.div_ceil(EPOCHS_PER_WARMUP).max(1)
}

/// Start of the epoch that holds `now` (seconds).
pub fn epoch_start(now: u64, reward_warmup: u64) -> u64 {
    now - now % epoch_length(reward_warmup)
}

/// When shares bonded at `now` start to earn: the first epoch start at least `reward_warmup`
/// seconds later.
pub fn warm_at(now: u64, reward_warmup: u64) -> Result<u64, ContractError> {
    let length = epoch_length(reward_warmup);
    now.checked_add(reward_warmup)
        .and_then(|earliest| earliest.div_ceil(length).checked_mul(length))
        .ok_or_else(|| ContractError::TimeOverflow {
            what: "the reward warm-up".to_string(),
        })
}

/// Called by `Distribute` before the income changes the accumulator.
pub fn record_snapshot(
    storage: &mut dyn Storage,
    config: &Config,
    operator: &Addr,
    pool: &OperatorPool,
    now: u64,
) -> Result<(), ContractError> {
    let key = (operator, epoch_start(now, config.reward_warmup));
    if !REWARD_SNAPSHOTS.has(storage, key) {
        REWARD_SNAPSHOTS.save(storage, key, &RewardSnapshot(pool.reward_per_share))?;
    }
    Ok(())
}

/// The accumulator when shares warming until `warm_at` (an epoch start) started to earn: the
/// snapshot of the first epoch at or after it that had income; `None` when none had.
pub fn reward_per_share_at(
    storage: &dyn Storage,
    operator: &Addr,
    warm_at: u64,
) -> Result<Option<Uint256>, ContractError> {
    let first = REWARD_SNAPSHOTS
        .prefix(operator)
        .range(
            storage,
            Some(Bound::inclusive(warm_at)),
            None,
            Order::Ascending,
        )
        .next()
        .transpose()?;
    Ok(first.map(|(_, snapshot)| snapshot.0))
}

/// `shares::accrue_rewards` with the snapshots of `operator`'s pool.
pub fn accrue(
    storage: &dyn Storage,
    operator: &Addr,
    pool: &mut OperatorPool,
    delegation: &mut Delegation,
    now: u64,
) -> Result<(), ContractError> {
    crate::shares::accrue_rewards(pool, delegation, now, |warm_at| {
        reward_per_share_at(storage, operator, warm_at)
    })
}

/// `shares::pending_rewards` with the snapshots of `operator`'s pool.
pub fn pending(
    storage: &dyn Storage,
    operator: &Addr,
    pool: &OperatorPool,
    delegation: &Delegation,
    now: u64,
) -> Result<crate::shares::PendingRewards, ContractError> {
    crate::shares::pending_rewards(pool, delegation, now, |warm_at| {
        reward_per_share_at(storage, operator, warm_at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_warm_at_the_first_epoch_start_after_the_warm_up() {
        assert_eq!(epoch_length(100), 25);
        assert_eq!(epoch_length(1), 1);
        assert_eq!(warm_at(0, 100).unwrap(), 100);
        assert_eq!(warm_at(1, 100).unwrap(), 125);
        assert_eq!(warm_at(25, 100).unwrap(), 125);
        assert_eq!(epoch_start(149, 100), 125);
        assert!(warm_at(u64::MAX, 100).is_err());
    }
}
