//! Staking contract messages.
//!
//! Amounts are in the contract's bond denom. Times are block times ([`Timestamp`]) and durations
//! are seconds; heights are block heights. Accounting rules (shares, rewards, rounding, slashing)
//! are described in `docs/staking.md`.

pub mod events;

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Decimal, Timestamp, Uint128};

/// The staking contract's cw2 contract name.
pub const CONTRACT_NAME: &str = "crates.io:sibyl-staking";

/// Largest `limit` a paginated query accepts; larger values are lowered to it.
pub const MAX_QUERY_LIMIT: u32 = 100;
/// `limit` used when a paginated query gives none.
pub const DEFAULT_QUERY_LIMIT: u32 = 30;
/// Most addresses the slashers list may hold (it is read whole by the `Slashers` query).
pub const MAX_SLASHERS: u32 = 16;
/// Length of an attestation public key: compressed SEC1 secp256k1.
pub const ATTESTATION_PUBKEY_LEN: usize = 33;
/// Longest operator moniker, in bytes.
pub const MAX_MONIKER_LEN: usize = 64;

/// One year in seconds: the bound on every configured duration. Block times are `u64`
/// nanoseconds, so an unbounded duration added to the block time overflows (and would make every
/// undelegation, jailing slash or commission edit fail); a year is far beyond any sensible value.
pub const MAX_DURATION_SECONDS: u64 = 365 * 24 * 60 * 60;
/// Longest `unbonding_period` (seconds).
pub const MAX_UNBONDING_PERIOD: u64 = MAX_DURATION_SECONDS;
/// Longest `jail_duration` (seconds).
pub const MAX_JAIL_DURATION: u64 = MAX_DURATION_SECONDS;
/// Longest `commission_change_period` (seconds).
pub const MAX_COMMISSION_CHANGE_PERIOD: u64 = MAX_DURATION_SECONDS;
/// Longest `reward_warmup` (seconds).
pub const MAX_REWARD_WARMUP: u64 = MAX_DURATION_SECONDS;

/// Whether `fraction` may be passed to `ExecuteMsg::Slash`: strictly between 0 and 1. Zero would
/// be a no-op slash, and one or more would empty a pool (and break its share price). The escrow
/// validates its configured slash fractions with the same function.
pub fn is_valid_slash_fraction(fraction: Decimal) -> bool {
    !fraction.is_zero() && fraction < Decimal::one()
}

#[cw_serde]
pub struct InstantiateMsg {
    /// May update the configuration and the slashers list; defaults to the instantiating account.
    pub admin: Option<String>,
    /// The one native denom that is bonded and paid as rewards.
    pub bond_denom: String,
    /// Self-bond an operator needs to register and to stay eligible for jobs (must be positive).
    pub min_self_bond: Uint128,
    /// Seconds between an undelegation and the moment its tokens can be claimed (must be positive).
    pub unbonding_period: u64,
    /// Size of the active set: the operators with the most stake that are eligible for jobs.
    pub max_active_operators: u32,
    /// Seconds a slashed-and-jailed operator stays jailed before it may `Unjail`.
    pub jail_duration: u64,
    /// Receives every slashed token.
    pub slashed_funds_destination: String,
    /// Highest commission an operator may charge.
    pub max_commission: Decimal,
    /// Largest change of an operator's commission in one edit.
    pub max_commission_change: Decimal,
    /// Seconds an operator must wait between two commission changes.
    pub commission_change_period: u64,
    /// Most pending unbonding entries one delegator may have (over all operators).
    pub max_unbonding_entries: u32,
    /// Seconds newly bonded shares wait before they earn fee income (1..=`MAX_REWARD_WARMUP`;
    /// they start at the next quarter-warm-up boundary after it). Set it to at least the escrow's
    /// longest job, from assignment to settlement, so that stake arriving after a job was
    /// assigned earns nothing from it. Fixed for the contract's life.
    pub reward_warmup: u64,
}

/// Migrates a deployed staking contract to this version (same contract name, not older).
#[cw_serde]
pub struct MigrateMsg {
    /// Warm-up to use when migrating from a version without one (ignored otherwise).
    pub reward_warmup: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as an operator. Funds (bond denom, at least `min_self_bond`) become
    /// its self-bond. An operator that left may register again: its remaining delegators stay.
    RegisterOperator {
        moniker: String,
        commission: Decimal,
        /// 33-byte compressed secp256k1 public key that signs attestations.
        attestation_pubkey: Binary,
        /// Proof of possession: 64-byte compact secp256k1 signature (`r ‖ s`) by
        /// `attestation_pubkey` over `sibyl_api::attestation::key_possession_digest(chain id,
        /// staking contract address, sender address, attestation_pubkey)`, signed as a prehash.
        key_signature: Binary,
    },
    /// Changes the sender's moniker and/or commission (bounded by `max_commission_change`, at
    /// most once per `commission_change_period`).
    EditOperator {
        moniker: Option<String>,
        commission: Option<Decimal>,
    },
    /// Replaces the sender's attestation key; signatures by the old key stop being accepted.
    /// `key_signature` is the new key's proof of possession, as in `RegisterOperator`.
    RotateAttestationKey {
        attestation_pubkey: Binary,
        key_signature: Binary,
    },
    /// Undelegates the sender's whole self-bond and takes it out of the job rotation for good
    /// (until it registers again). Its delegators keep their delegations and may undelegate.
    LeaveOperator {},
    /// Delegates the funds (bond denom) to `operator`. An operator delegating to itself adds
    /// self-bond.
    Delegate { operator: String },
    /// Starts unbonding `amount` of the sender's delegation to `operator`; claimable with `Claim`
    /// after `unbonding_period`. Slashable meanwhile (see docs/staking.md).
    Undelegate { operator: String, amount: Uint128 },
    /// Pays the sender every matured unbonding entry.
    Claim {},
    /// Pays the sender's rewards from its delegation to `operator`, plus `operator`'s accrued
    /// commission when the sender is that operator.
    WithdrawRewards { operator: String },
    /// Fee income for `operator` (funds, bond denom; anyone may pay): its commission accrues to
    /// the operator, the rest to its delegators pro rata to their shares.
    Distribute { operator: String },
    /// Slashers only. Takes `fraction` of `operator`'s bonded pool and of its unbonding tokens
    /// that are slashable for an infraction at `infraction_height`; optionally jails it.
    Slash {
        operator: String,
        fraction: Decimal,
        infraction_height: u64,
        jail: bool,
    },
    /// Ends the sender's jailing once `jail_duration` has passed (needs `min_self_bond`).
    Unjail {},
    /// Admin only.
    UpdateSlashers {
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Admin only. `None` removes the admin for good.
    UpdateAdmin { admin: Option<String> },
    /// Admin only. Fields left `None` keep their value. Bond denom, minimum self-bond, unbonding
    /// period and active-set size are fixed at instantiation.
    UpdateConfig {
        jail_duration: Option<u64>,
        slashed_funds_destination: Option<String>,
        max_commission: Option<Decimal>,
        max_commission_change: Option<Decimal>,
        commission_change_period: Option<u64>,
        max_unbonding_entries: Option<u32>,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(OperatorResponse)]
    Operator { address: String },
    /// Operators in address order.
    #[returns(OperatorsResponse)]
    Operators {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// A delegation; zero amounts when there is none.
    #[returns(DelegationResponse)]
    Delegation { delegator: String, operator: String },
    /// A delegator's delegations in operator address order.
    #[returns(DelegationsResponse)]
    Delegations {
        delegator: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// A delegator's pending unbonding entries in id order.
    #[returns(UnbondingEntriesResponse)]
    UnbondingEntries {
        delegator: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// What `WithdrawRewards { operator }` would pay `delegator` now.
    #[returns(PendingRewardsResponse)]
    PendingRewards { delegator: String, operator: String },
    #[returns(SlashersResponse)]
    Slashers {},
    /// The operators eligible for jobs, at most `max_active_operators`, sorted by address.
    #[returns(ActiveSetResponse)]
    ActiveSet {},
}

#[cw_serde]
pub struct ConfigResponse {
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
    pub reward_warmup: u64,
}

#[cw_serde]
pub enum OperatorStatus {
    /// In the active set: eligible and assigned jobs.
    Active,
    /// Eligible but outside the active set (not enough stake to rank in the top
    /// `max_active_operators`).
    Candidate,
    /// Jailed by a slash; may `Unjail` after `jailed_until`.
    Jailed,
    /// Self-bond below `min_self_bond` (after a slash or an undelegation); add self-bond.
    BelowMinSelfBond,
    /// Left with `LeaveOperator`.
    Left,
}

#[cw_serde]
pub struct OperatorResponse {
    pub address: Addr,
    pub moniker: String,
    pub commission: Decimal,
    pub attestation_pubkey: Binary,
    /// Current value of the operator's own delegation.
    pub self_bond: Uint128,
    /// Bonded tokens of the whole pool (self-bond and delegations).
    pub total_stake: Uint128,
    pub jailed_until: Option<Timestamp>,
    pub status: OperatorStatus,
    /// Commission accrued and not yet withdrawn.
    pub unclaimed_commission: Uint128,
    /// Fee income the pool holds for no delegation yet (forfeited by warming shares, or left by
    /// rounding), in whole tokens: it is shared out with the pool's next income.
    pub undistributed_rewards: Uint128,
}

#[cw_serde]
pub struct OperatorsResponse {
    pub operators: Vec<OperatorResponse>,
}

#[cw_serde]
pub struct DelegationResponse {
    pub delegator: Addr,
    pub operator: Addr,
    /// The delegation's shares of the operator's pool.
    pub shares: Uint128,
    /// Current token value of those shares (rounded down).
    pub amount: Uint128,
    /// Rewards withdrawable now (rounded down; the fraction is kept for later).
    pub pending_rewards: Uint128,
    /// Shares added recently that earn no rewards before `warm_at` (zero when none).
    pub warming_shares: Uint128,
    /// When `warming_shares` start to earn; `None` when no share is warming.
    pub warm_at: Option<Timestamp>,
}

#[cw_serde]
pub struct DelegationsResponse {
    pub delegations: Vec<DelegationResponse>,
}

#[cw_serde]
pub struct UnbondingEntryResponse {
    pub id: u64,
    pub operator: Addr,
    /// Current value (after any slash since it was created), rounded down.
    pub amount: Uint128,
    pub creation_height: u64,
    pub completion_time: Timestamp,
    /// Whether `Claim` pays it now.
    pub matured: bool,
}

#[cw_serde]
pub struct UnbondingEntriesResponse {
    pub entries: Vec<UnbondingEntryResponse>,
}

#[cw_serde]
pub struct PendingRewardsResponse {
    /// Delegation rewards.
    pub rewards: Uint128,
    /// Accrued commission (non-zero only when the delegator is the operator).
    pub commission: Uint128,
    /// Income the delegation's warming shares have forfeited so far (see `warming_shares`): it
    /// goes back to the pool when the delegation next changes, and is shared out with the pool's
    /// next income.
    pub forfeited: Uint128,
}

#[cw_serde]
pub struct SlashersResponse {
    pub slashers: Vec<Addr>,
}

#[cw_serde]
pub struct ActiveOperator {
    pub address: Addr,
    pub stake: Uint128,
}

#[cw_serde]
pub struct ActiveSetResponse {
    /// Sorted by address, so that sampling from it is deterministic.
    pub operators: Vec<ActiveOperator>,
    /// Sum of `operators[..].stake`.
    pub total_stake: Uint128,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_fractions_are_strictly_between_zero_and_one() {
        assert!(!is_valid_slash_fraction(Decimal::zero()));
        assert!(is_valid_slash_fraction(Decimal::new(
            cosmwasm_std::Uint128::one()
        )));
        assert!(is_valid_slash_fraction(Decimal::percent(50)));
        assert!(!is_valid_slash_fraction(Decimal::one()));
        assert!(!is_valid_slash_fraction(Decimal::percent(150)));
    }
}
