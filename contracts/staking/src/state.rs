//! Storage layout. Hot records (`OperatorPool`, `Delegation`, unbonding buckets) are kept apart
//! from cold ones (`OperatorProfile`) because wasmd charges every written byte.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Decimal, Timestamp, Uint128, Uint256};
use cw_storage_plus::{Item, Map};

pub const CONTRACT_NAME: &str = "crates.io:sibyl-staking";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cw_serde]
pub struct Config {
    pub admin: Option<Addr>,
    pub bond_denom: String,
    pub min_self_bond: Uint128,
    pub unbonding_period: u64,
    pub max_active_operators: u32,
    pub jail_duration: u64,
    pub slashed_funds_destination: Addr,
    pub max_commission: Decimal,
    pub max_commission_change: Decimal,
    pub commission_change_period: u64,
    pub max_unbonding_entries: u32,
}

/// What an operator says about itself; read on queries, `Distribute` and edits only.
#[cw_serde]
pub struct OperatorProfile {
    pub moniker: String,
    pub commission: Decimal,
    pub attestation_pubkey: Binary,
    /// When the commission last changed (registration counts as a change).
    pub commission_changed_at: Timestamp,
}

/// An operator's bonded pool and reward accumulator.
///
/// Share accounting: a delegation of `s` shares is worth `s * tokens / shares` (rounded down).
/// Reward accounting: `reward_per_share` grows by `REWARD_SCALE * income / shares`; the division's
/// remainder stays in `reward_carry` (in `REWARD_SCALE` units) for the next distribution.
#[cw_serde]
pub struct OperatorPool {
    pub tokens: Uint128,
    pub shares: Uint128,
    /// The operator's own shares (also recorded in its `Delegation`), kept here so that
    /// eligibility (`min_self_bond`) is known without another read.
    pub self_shares: Uint128,
    pub jailed_until: Option<Timestamp>,
    pub left: bool,
    pub reward_per_share: Uint256,
    pub reward_carry: Uint256,
    pub unclaimed_commission: Uint128,
    /// Stake under which the operator is filed in `ACTIVE` or `CANDIDATES`; `None` when it is
    /// not eligible for jobs.
    pub ranked_stake: Option<Uint128>,
}

#[cw_serde]
pub struct Delegation {
    pub shares: Uint128,
    /// `OperatorPool::reward_per_share` when `rewards` was last brought up to date.
    pub reward_per_share_paid: Uint256,
    /// Earned and not withdrawn, in `REWARD_SCALE` units (so fractions of a token are kept).
    pub rewards: Uint256,
}

/// Undelegated tokens of one operator whose unbonding started in one time bucket
/// (`unbonding::bucket_index`). Entries hold shares of it, so a slash touches one record per bucket.
#[cw_serde]
pub struct UnbondingBucket {
    pub tokens: Uint128,
    pub shares: Uint128,
    /// Highest creation height of any entry that joined; slashes for infractions after it skip
    /// the bucket.
    pub max_creation_height: u64,
    /// Completion time of the first entry that joined (the earliest of the bucket).
    pub first_completion: Timestamp,
}

#[cw_serde]
pub struct UnbondingEntry {
    pub operator: Addr,
    pub bucket: u64,
    pub shares: Uint128,
    pub creation_height: u64,
    pub completion_time: Timestamp,
}

#[cw_serde]
#[derive(Default)]
pub struct UnbondingCounter {
    pub pending: u32,
    pub next_id: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const PROFILES: Map<&Addr, OperatorProfile> = Map::new("profiles");
pub const POOLS: Map<&Addr, OperatorPool> = Map::new("pools");
/// Keyed by (delegator, operator).
pub const DELEGATIONS: Map<(&Addr, &Addr), Delegation> = Map::new("delegations");
/// Attestation key bytes to the operator using it: one key, one operator.
pub const ATTESTATION_KEYS: Map<&[u8], Addr> = Map::new("attestation_keys");
pub const SLASHERS: Map<&Addr, bool> = Map::new("slashers");

/// The active set, keyed by (stake, operator) so its weakest member is the first key.
pub const ACTIVE: Map<(u128, &Addr), bool> = Map::new("active");
/// Eligible operators outside the active set, keyed by (stake, operator) so the strongest is
/// the last key.
pub const CANDIDATES: Map<(u128, &Addr), bool> = Map::new("candidates");
pub const ACTIVE_COUNT: Item<u32> = Item::new("active_count");

/// Keyed by (operator, bucket index).
pub const UNBONDING_BUCKETS: Map<(&Addr, u64), UnbondingBucket> = Map::new("unbonding_buckets");
/// Keyed by (delegator, entry id).
pub const UNBONDING_ENTRIES: Map<(&Addr, u64), UnbondingEntry> = Map::new("unbonding_entries");
pub const UNBONDING_COUNTERS: Map<&Addr, UnbondingCounter> = Map::new("unbonding_counters");
