//! Storage layout. Hot records (`OperatorPool`, `Delegation`, unbonding buckets) are kept apart
//! from cold ones (`OperatorProfile`) because wasmd charges every written byte (30 gas each), and
//! for the same reason they are stored in the compact `codec` encoding rather than JSON.

use cosmwasm_std::{Addr, Binary, Decimal, StdResult, Timestamp, Uint128, Uint256};
use cw_storage_plus::{Item, Map};

use sibyl_codec::{Reader, Record, RecordItem, RecordMap, Writer};

pub use sibyl_api::staking::CONTRACT_NAME;
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Debug, PartialEq)]
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
    /// Seconds newly bonded shares wait before they earn rewards (fixed at instantiation).
    pub reward_warmup: u64,
}

/// What an operator says about itself; read on queries, `Distribute` and edits only.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
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

#[derive(Clone, Debug, PartialEq)]
pub struct Delegation {
    pub shares: Uint128,
    /// `OperatorPool::reward_per_share` when `rewards` was last brought up to date.
    pub reward_per_share_paid: Uint256,
    /// Earned and not withdrawn, in `REWARD_SCALE` units (so fractions of a token are kept).
    pub rewards: Uint256,
    /// The part of `shares` added recently that earns no rewards yet (see `warmup`).
    pub warming: Option<Warming>,
}

/// Shares of a delegation that start to earn rewards at `warm_at` (block time, seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Warming {
    pub shares: Uint128,
    pub warm_at: u64,
}

/// `OperatorPool::reward_per_share` just before the first income of a warm-up epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct RewardSnapshot(pub Uint256);

/// Undelegated tokens of one operator whose unbonding started in one time bucket
/// (`unbonding::bucket_index`). Entries hold shares of it, so a slash touches one record per bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct UnbondingBucket {
    pub tokens: Uint128,
    pub shares: Uint128,
    /// Highest creation height of any entry that joined; slashes for infractions after it skip
    /// the bucket.
    pub max_creation_height: u64,
    /// Completion time of the first entry that joined (the earliest of the bucket).
    pub first_completion: Timestamp,
    /// Lowest creation height of any entry that joined (the first one's). A slash for an
    /// infraction at or before it reaches the whole bucket; one after it only part of it.
    pub min_creation_height: u64,
    /// Entries that ever joined: the next entry's ordinal.
    pub joined: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UnbondingEntry {
    pub operator: Addr,
    pub bucket: u64,
    pub shares: Uint128,
    pub creation_height: u64,
    pub completion_time: Timestamp,
    /// Position of the entry among those that joined its bucket (`UnbondingBucket::joined`).
    pub ordinal: u64,
}

/// A slash that reaches only the entries of a bucket created at or after `infraction_height`
/// (and present at the time of the slash: ordinal below `joined_before`). It is applied to
/// those entries when they are claimed (or queried), and the tokens it takes are sent to the
/// slashed-funds destination then.
#[derive(Clone, Debug, PartialEq)]
pub struct PartialSlash {
    pub infraction_height: u64,
    pub fraction: Decimal,
    pub joined_before: u64,
}

/// The partial slashes of one bucket, oldest first; at most `unbonding::MAX_PARTIAL_SLASHES`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PartialSlashes(pub Vec<PartialSlash>);

#[derive(Clone, Debug, PartialEq, Default)]
pub struct UnbondingCounter {
    pub pending: u32,
    pub next_id: u64,
}

pub const CONFIG: RecordItem<Config> = RecordItem::new("config");
pub const PROFILES: RecordMap<&Addr, OperatorProfile> = RecordMap::new("profiles");
pub const POOLS: RecordMap<&Addr, OperatorPool> = RecordMap::new("pools");
/// Keyed by (delegator, operator).
pub const DELEGATIONS: RecordMap<(&Addr, &Addr), Delegation> = RecordMap::new("delegations");
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
pub const UNBONDING_BUCKETS: RecordMap<(&Addr, u64), UnbondingBucket> =
    RecordMap::new("unbonding_buckets");
/// Keyed by (delegator, entry id).
pub const UNBONDING_ENTRIES: RecordMap<(&Addr, u64), UnbondingEntry> =
    RecordMap::new("unbonding_entries");
pub const UNBONDING_COUNTERS: RecordMap<&Addr, UnbondingCounter> =
    RecordMap::new("unbonding_counters");
/// Keyed by (operator, start of a warm-up epoch in seconds): written by the first `Distribute`
/// of each epoch, read when a delegation's warming shares start to earn.
pub const REWARD_SNAPSHOTS: RecordMap<(&Addr, u64), RewardSnapshot> =
    RecordMap::new("reward_snapshots");
/// Keyed like `UNBONDING_BUCKETS`; absent for a bucket no partial slash reached.
pub const PARTIAL_SLASHES: RecordMap<(&Addr, u64), PartialSlashes> =
    RecordMap::new("partial_slashes");

// Record layouts: fields in declaration order, integers as varints, times as nanoseconds, 256-bit
// numbers as their big-endian bytes without leading zeros. Keys are not repeated in the value.

fn write_u256(w: &mut Writer, value: Uint256) {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    w.bytes(&bytes[first..]);
}

fn read_u256(r: &mut Reader) -> StdResult<Uint256> {
    let bytes = r.bytes()?;
    if bytes.len() > 32 {
        return Err(r.corrupt());
    }
    let mut full = [0u8; 32];
    full[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(Uint256::from_be_bytes(full))
}

fn write_time(w: &mut Writer, time: Timestamp) {
    w.uint(time.nanos());
}

fn read_time(r: &mut Reader) -> StdResult<Timestamp> {
    r.uint().map(Timestamp::from_nanos)
}

fn read_u128(r: &mut Reader) -> StdResult<Uint128> {
    r.u128().map(Uint128::new)
}

impl Record for Config {
    const NAME: &'static str = "config";
    /// 2 added `reward_warmup`.
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        w.option(self.admin.as_ref(), |w, admin| w.str(admin.as_str()));
        w.str(&self.bond_denom);
        w.uint(self.min_self_bond);
        w.uint(self.unbonding_period);
        w.uint(self.max_active_operators);
        w.uint(self.jail_duration);
        w.str(self.slashed_funds_destination.as_str());
        w.uint(self.max_commission.atomics().u128());
        w.uint(self.max_commission_change.atomics().u128());
        w.uint(self.commission_change_period);
        w.uint(self.max_unbonding_entries);
        w.uint(self.reward_warmup);
    }

    /// A version-1 config had no warm-up (0); `migrate` sets one.
    fn read(r: &mut Reader, version: u8) -> StdResult<Config> {
        Ok(Config {
            admin: r.option(|r| r.addr())?,
            bond_denom: r.string()?,
            min_self_bond: read_u128(r)?,
            unbonding_period: r.uint()?,
            max_active_operators: r.uint()?,
            jail_duration: r.uint()?,
            slashed_funds_destination: r.addr()?,
            max_commission: Decimal::new(read_u128(r)?),
            max_commission_change: Decimal::new(read_u128(r)?),
            commission_change_period: r.uint()?,
            max_unbonding_entries: r.uint()?,
            reward_warmup: if version >= 2 { r.uint()? } else { 0 },
        })
    }
}

impl Record for OperatorProfile {
    const NAME: &'static str = "operator profile";

    fn write(&self, w: &mut Writer) {
        w.str(&self.moniker);
        w.uint(self.commission.atomics().u128());
        w.bytes(&self.attestation_pubkey);
        write_time(w, self.commission_changed_at);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<OperatorProfile> {
        Ok(OperatorProfile {
            moniker: r.string()?,
            commission: Decimal::new(read_u128(r)?),
            attestation_pubkey: Binary::from(r.bytes()?),
            commission_changed_at: read_time(r)?,
        })
    }
}

impl Record for OperatorPool {
    const NAME: &'static str = "operator pool";

    fn write(&self, w: &mut Writer) {
        w.uint(self.tokens);
        w.uint(self.shares);
        w.uint(self.self_shares);
        w.option(self.jailed_until, write_time);
        w.bool(self.left);
        write_u256(w, self.reward_per_share);
        write_u256(w, self.reward_carry);
        w.uint(self.unclaimed_commission);
        w.option(self.ranked_stake, |w, stake| w.uint(stake));
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<OperatorPool> {
        Ok(OperatorPool {
            tokens: read_u128(r)?,
            shares: read_u128(r)?,
            self_shares: read_u128(r)?,
            jailed_until: r.option(read_time)?,
            left: r.bool()?,
            reward_per_share: read_u256(r)?,
            reward_carry: read_u256(r)?,
            unclaimed_commission: read_u128(r)?,
            ranked_stake: r.option(read_u128)?,
        })
    }
}

impl Record for Delegation {
    const NAME: &'static str = "delegation";
    /// 2 added `warming`.
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        w.uint(self.shares);
        write_u256(w, self.reward_per_share_paid);
        write_u256(w, self.rewards);
        w.option(self.warming, |w, warming| {
            w.uint(warming.shares);
            w.uint(warming.warm_at);
        });
    }

    /// Delegations from before the warm-up existed earn on all their shares.
    fn read(r: &mut Reader, version: u8) -> StdResult<Delegation> {
        Ok(Delegation {
            shares: read_u128(r)?,
            reward_per_share_paid: read_u256(r)?,
            rewards: read_u256(r)?,
            warming: if version >= 2 {
                r.option(|r| {
                    Ok(Warming {
                        shares: read_u128(r)?,
                        warm_at: r.uint()?,
                    })
                })?
            } else {
                None
            },
        })
    }
}

impl Record for RewardSnapshot {
    const NAME: &'static str = "reward snapshot";

    fn write(&self, w: &mut Writer) {
        write_u256(w, self.0);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<RewardSnapshot> {
        read_u256(r).map(RewardSnapshot)
    }
}

impl Record for UnbondingBucket {
    const NAME: &'static str = "unbonding bucket";
    /// 2 added `min_creation_height` and `joined`.
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        w.uint(self.tokens);
        w.uint(self.shares);
        w.uint(self.max_creation_height);
        write_time(w, self.first_completion);
        w.uint(self.min_creation_height);
        w.uint(self.joined);
    }

    /// A version-1 bucket's lowest height is unknown: 0 sends every slash that reaches it through
    /// the exact per-entry path. Its entries all have ordinal 0, so it counts as one joined entry.
    fn read(r: &mut Reader, version: u8) -> StdResult<UnbondingBucket> {
        Ok(UnbondingBucket {
            tokens: read_u128(r)?,
            shares: read_u128(r)?,
            max_creation_height: r.uint()?,
            first_completion: read_time(r)?,
            min_creation_height: if version >= 2 { r.uint()? } else { 0 },
            joined: if version >= 2 { r.uint()? } else { 1 },
        })
    }
}

impl Record for UnbondingEntry {
    const NAME: &'static str = "unbonding entry";
    /// 2 added `ordinal`.
    const VERSION: u8 = 2;
    const OLDEST_VERSION: u8 = 1;

    fn write(&self, w: &mut Writer) {
        w.str(self.operator.as_str());
        w.uint(self.bucket);
        w.uint(self.shares);
        w.uint(self.creation_height);
        write_time(w, self.completion_time);
        w.uint(self.ordinal);
    }

    /// Version-1 entries all have ordinal 0.
    fn read(r: &mut Reader, version: u8) -> StdResult<UnbondingEntry> {
        Ok(UnbondingEntry {
            operator: r.addr()?,
            bucket: r.uint()?,
            shares: read_u128(r)?,
            creation_height: r.uint()?,
            completion_time: read_time(r)?,
            ordinal: if version >= 2 { r.uint()? } else { 0 },
        })
    }
}

impl Record for PartialSlashes {
    const NAME: &'static str = "partial slashes";

    fn write(&self, w: &mut Writer) {
        w.uint(self.0.len() as u64);
        for slash in &self.0 {
            w.uint(slash.infraction_height);
            w.uint(slash.fraction.atomics().u128());
            w.uint(slash.joined_before);
        }
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<PartialSlashes> {
        let len: usize = r.uint()?;
        if len > crate::unbonding::MAX_PARTIAL_SLASHES {
            return Err(r.corrupt());
        }
        let mut slashes = Vec::with_capacity(len);
        for _ in 0..len {
            slashes.push(PartialSlash {
                infraction_height: r.uint()?,
                fraction: Decimal::new(read_u128(r)?),
                joined_before: r.uint()?,
            });
        }
        Ok(PartialSlashes(slashes))
    }
}

impl Record for UnbondingCounter {
    const NAME: &'static str = "unbonding counter";

    fn write(&self, w: &mut Writer) {
        w.uint(self.pending);
        w.uint(self.next_id);
    }

    fn read(r: &mut Reader, _version: u8) -> StdResult<UnbondingCounter> {
        Ok(UnbondingCounter {
            pending: r.uint()?,
            next_id: r.uint()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use sibyl_codec::testing::assert_round_trip;

    use super::*;

    fn pool(big: bool) -> OperatorPool {
        let n = |v: u128| if big { Uint128::MAX } else { Uint128::new(v) };
        OperatorPool {
            tokens: n(1_000_000),
            shares: n(1_000_000),
            self_shares: n(500_000),
            jailed_until: big.then(|| Timestamp::from_nanos(u64::MAX)),
            left: big,
            reward_per_share: if big { Uint256::MAX } else { Uint256::zero() },
            reward_carry: Uint256::from(12_345u32),
            unclaimed_commission: n(7),
            ranked_stake: Some(n(1_000_000)),
        }
    }

    #[test]
    fn records_round_trip_at_small_and_extreme_values() {
        assert!(assert_round_trip(&pool(false)) < 30);
        assert_round_trip(&pool(true));
        for rewards in [Uint256::zero(), Uint256::MAX] {
            assert_round_trip(&Delegation {
                shares: Uint128::new(42),
                reward_per_share_paid: Uint256::from(10u128.pow(30)),
                rewards,
                warming: None,
            });
            assert_round_trip(&Delegation {
                shares: Uint128::MAX,
                reward_per_share_paid: Uint256::zero(),
                rewards,
                warming: Some(Warming {
                    shares: Uint128::MAX,
                    warm_at: u64::MAX,
                }),
            });
        }
        for admin in [None, Some(Addr::unchecked("cosmwasm1admin"))] {
            assert_round_trip(&Config {
                admin,
                bond_denom: "usibyl".to_string(),
                min_self_bond: Uint128::new(1_000_000),
                unbonding_period: 1_814_400,
                max_active_operators: 16,
                jail_duration: 600,
                slashed_funds_destination: Addr::unchecked("cosmwasm1community"),
                max_commission: Decimal::percent(20),
                max_commission_change: Decimal::permille(5),
                commission_change_period: 86_400,
                max_unbonding_entries: u32::MAX,
                reward_warmup: 3_600,
            });
        }
        assert_round_trip(&OperatorProfile {
            moniker: "operator é".to_string(),
            commission: Decimal::percent(5),
            attestation_pubkey: Binary::from(vec![2; 33]),
            commission_changed_at: Timestamp::from_seconds(1_700_000_000),
        });
        assert_round_trip(&UnbondingBucket {
            tokens: Uint128::MAX,
            shares: Uint128::one(),
            max_creation_height: u64::MAX,
            first_completion: Timestamp::from_seconds(9),
            min_creation_height: 7,
            joined: u64::MAX,
        });
        assert_round_trip(&UnbondingEntry {
            operator: Addr::unchecked("cosmwasm1operator"),
            bucket: 3,
            shares: Uint128::new(5),
            creation_height: 12,
            completion_time: Timestamp::from_seconds(100),
            ordinal: 4,
        });
        assert_round_trip(&PartialSlashes::default());
        assert_round_trip(&RewardSnapshot(Uint256::MAX));
        assert_round_trip(&PartialSlashes(vec![
            PartialSlash {
                infraction_height: 10,
                fraction: Decimal::percent(1),
                joined_before: 2,
            };
            crate::unbonding::MAX_PARTIAL_SLASHES
        ]));
        assert_round_trip(&UnbondingCounter {
            pending: u32::MAX,
            next_id: u64::MAX,
        });
    }

    #[test]
    fn version_1_unbonding_records_still_decode() {
        let mut w = Writer::default();
        w.u8(1);
        w.uint(100u8);
        w.uint(10u8);
        w.uint(42u8);
        write_time(&mut w, Timestamp::from_seconds(9));
        let bucket = UnbondingBucket::decode(&w.into_bytes()).unwrap();
        assert_eq!(bucket.max_creation_height, 42);
        assert_eq!((bucket.min_creation_height, bucket.joined), (0, 1));

        let mut w = Writer::default();
        w.u8(1);
        w.str("cosmwasm1operator");
        w.uint(3u8);
        w.uint(5u8);
        w.uint(12u8);
        write_time(&mut w, Timestamp::from_seconds(100));
        let entry = UnbondingEntry::decode(&w.into_bytes()).unwrap();
        assert_eq!((entry.creation_height, entry.ordinal), (12, 0));
        // An unknown future version is corrupt.
        let mut bytes = entry.encode();
        bytes[0] = 3;
        assert!(UnbondingEntry::decode(&bytes).is_err());
    }

    #[test]
    fn corrupt_records_name_their_type() {
        let mut bytes = pool(false).encode();
        bytes[0] = 2;
        let err = OperatorPool::decode(&bytes).unwrap_err();
        assert!(
            err.to_string()
                .contains("corrupt stored operator pool record"),
            "{err}"
        );
        // A 33-byte 256-bit number does not fit.
        let mut w = Writer::default();
        w.bytes(&[1; 33]);
        assert!(read_u256(&mut Reader::new(&w.into_bytes(), "test")).is_err());
        // A pending count above u32.
        let mut w = Writer::default();
        w.u8(1);
        w.uint(u64::MAX);
        w.uint(0u8);
        assert!(UnbondingCounter::decode(&w.into_bytes()).is_err());
    }
}
