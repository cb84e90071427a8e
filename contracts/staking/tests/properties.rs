//! Property tests over random sequences of staking actions.
//!
//! After every action (successful or not):
//! - conservation: the contract's bank balance equals bonded + unbonding + unclaimed rewards
//!   (commission, per-delegation rewards and carries, all in exact fixed-point units); what a
//!   partial slash takes from an unbonding entry stays in its bucket until the entry is claimed,
//!   and is sent to the slashed-funds destination then;
//! - share bookkeeping: a pool's shares are the sum of its delegations' shares, a bucket's shares
//!   the sum of its entries' shares;
//! - the active set is exactly the `max_active_operators` strongest eligible operators.
//!
//! Per account: principal claimed never exceeds principal delegated, and rewards withdrawn never
//! exceed the account's pro-rata entitlement (rounded up per distribution) plus one token per
//! delegation that was closed (its sub-token dust returns to the pool and is shared again). The
//! entitlement counts only shares that earn at the distribution: shares still warming up get
//! nothing (#12), and what they forfeit is carried into a later distribution.
//! Per slash of fraction f: every delegation of the operator and every unmatured entry requested at
//! or after the infraction keeps between floor(v * (1 - f)) and floor(v * (1 - f)) + 2 of its
//! value v (its value after partial slashes); every other entry keeps all of it, including one
//! requested before the infraction in the same time bucket (#11).

mod suite;

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Decimal, Order, Storage, Uint128, Uint256};
use proptest::prelude::*;
use sibyl_api::staking::ExecuteMsg;
use sibyl_staking::active_set::is_eligible;
use sibyl_staking::shares::REWARD_SCALE;
use sibyl_staking::state::{
    OperatorPool, DELEGATIONS, PARTIAL_SLASHES, POOLS, UNBONDING_BUCKETS, UNBONDING_ENTRIES,
};
use sibyl_staking::unbonding::{entry_value, MAX_PARTIAL_SLASHES};
use suite::{Suite, MAX_ACTIVE, MIN_SELF_BOND};

const OPERATORS: usize = 4;
const ACCOUNTS: usize = 7;
const COMMISSION_PERCENT: [u64; OPERATORS] = [0, 7, 10, 20];

#[derive(Debug, Clone)]
enum Action {
    Delegate {
        who: usize,
        op: usize,
        amount: u128,
    },
    Undelegate {
        who: usize,
        op: usize,
        percent: u128,
    },
    Claim {
        who: usize,
    },
    Distribute {
        op: usize,
        amount: u128,
    },
    Withdraw {
        who: usize,
        op: usize,
    },
    Slash {
        op: usize,
        percent: u64,
        lookback: u64,
        jail: bool,
    },
    Unjail {
        op: usize,
    },
    Advance {
        seconds: u64,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let who = 0..ACCOUNTS;
    let op = 0..OPERATORS;
    prop_oneof![
        4 => (who.clone(), op.clone(), 1..5_000u128)
            .prop_map(|(who, op, amount)| Action::Delegate { who, op, amount }),
        3 => (who.clone(), op.clone(), 1..=100u128)
            .prop_map(|(who, op, percent)| Action::Undelegate { who, op, percent }),
        2 => who.clone().prop_map(|who| Action::Claim { who }),
        3 => (op.clone(), 1..3_000u128).prop_map(|(op, amount)| Action::Distribute { op, amount }),
        2 => (who, op.clone()).prop_map(|(who, op)| Action::Withdraw { who, op }),
        2 => (op.clone(), 1..99u64, prop_oneof![0..30u64, 0..400u64], any::<bool>()).prop_map(
            |(op, percent, lookback, jail)| Action::Slash { op, percent, lookback, jail }
        ),
        1 => op.prop_map(|op| Action::Unjail { op }),
        3 => (1..700u64).prop_map(|seconds| Action::Advance { seconds }),
    ]
}

#[derive(Default)]
struct Ledger {
    delegated: BTreeMap<usize, u128>,
    claimed: BTreeMap<usize, u128>,
    withdrawn: BTreeMap<usize, u128>,
    entitled: BTreeMap<usize, u128>,
    closed_delegations: u128,
}

struct World {
    suite: Suite,
    accounts: Vec<Addr>,
    ledger: Ledger,
}

fn with_storage<T>(suite: &Suite, read: impl FnOnce(&dyn Storage) -> T) -> T {
    let storage = suite.app.contract_storage(&suite.contract);
    read(storage.as_ref())
}

fn pools(storage: &dyn Storage) -> Vec<(Addr, OperatorPool)> {
    POOLS
        .range(storage, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .unwrap()
}

fn delegation_exists(suite: &Suite, who: &Addr, op: &Addr) -> bool {
    with_storage(suite, |s| DELEGATIONS.has(s, (who, op)))
}

impl World {
    fn new() -> Self {
        let mut suite = Suite::new();
        let accounts: Vec<Addr> = (0..ACCOUNTS)
            .map(|i| suite.addr(&format!("account{i}")))
            .collect();
        let mut ledger = Ledger::default();
        for (i, commission) in COMMISSION_PERCENT.iter().enumerate() {
            let self_bond = MIN_SELF_BOND + 500 * i as u128;
            let msg = suite.register_msg(
                &accounts[i],
                &format!("op{i}"),
                Decimal::percent(*commission),
                i,
            );
            suite.execute_paid(&accounts[i], msg, self_bond).unwrap();
            *ledger.delegated.entry(i).or_default() += self_bond;
        }
        World {
            suite,
            accounts,
            ledger,
        }
    }

    fn value_of(&self, who: &Addr, op: &Addr) -> u128 {
        self.suite.delegation(who, op).amount.u128()
    }

    fn apply(&mut self, action: &Action) {
        let suite = &mut self.suite;
        match *action {
            Action::Delegate { who, op, amount } => {
                let (who_addr, op_addr) = (self.accounts[who].clone(), self.accounts[op].clone());
                if suite.delegate(&who_addr, &op_addr, amount).is_ok() {
                    *self.ledger.delegated.entry(who).or_default() += amount;
                }
            }
            Action::Undelegate { who, op, percent } => {
                let (who_addr, op_addr) = (self.accounts[who].clone(), self.accounts[op].clone());
                let amount = self.value_of(&who_addr, &op_addr) * percent / 100;
                let existed = delegation_exists(&self.suite, &who_addr, &op_addr);
                let _ = self.suite.undelegate(&who_addr, &op_addr, amount);
                if existed && !delegation_exists(&self.suite, &who_addr, &op_addr) {
                    self.ledger.closed_delegations += 1;
                }
            }
            Action::Claim { who } => {
                let who_addr = self.accounts[who].clone();
                let before = suite.balance(&who_addr);
                if suite.claim(&who_addr).is_ok() {
                    *self.ledger.claimed.entry(who).or_default() +=
                        suite.balance(&who_addr) - before;
                }
            }
            Action::Distribute { op, amount } => self.distribute(op, amount),
            Action::Withdraw { who, op } => {
                let (who_addr, op_addr) = (self.accounts[who].clone(), self.accounts[op].clone());
                let existed = delegation_exists(&self.suite, &who_addr, &op_addr);
                let before = self.suite.balance(&who_addr);
                if self.suite.withdraw(&who_addr, &op_addr).is_ok() {
                    *self.ledger.withdrawn.entry(who).or_default() +=
                        self.suite.balance(&who_addr) - before;
                }
                if existed && !delegation_exists(&self.suite, &who_addr, &op_addr) {
                    self.ledger.closed_delegations += 1;
                }
            }
            Action::Slash {
                op,
                percent,
                lookback,
                jail,
            } => self.slash(op, percent, lookback, jail),
            Action::Unjail { op } => {
                let op_addr = self.accounts[op].clone();
                let _ = suite.execute(&op_addr, ExecuteMsg::Unjail {}, &[]);
            }
            Action::Advance { seconds } => suite.advance(seconds),
        }
    }

    fn distribute(&mut self, op: usize, amount: u128) {
        let op_addr = self.accounts[op].clone();
        let now = self.suite.app.block_info().time.seconds();
        // (account, shares, shares that earn from this income: not warming at `now`)
        let (holdings, carry): (Vec<(usize, u128, u128)>, Uint256) =
            with_storage(&self.suite, |s| {
                let holdings = self
                    .accounts
                    .iter()
                    .enumerate()
                    .map(|(i, who)| {
                        DELEGATIONS
                            .may_load(s, (who, &op_addr))
                            .unwrap()
                            .map_or((i, 0, 0), |d| {
                                let warming = d
                                    .warming
                                    .filter(|w| w.warm_at > now)
                                    .map_or(0, |w| w.shares.u128());
                                (i, d.shares.u128(), d.shares.u128() - warming)
                            })
                    })
                    .collect();
                (holdings, POOLS.load(s, &op_addr).unwrap().reward_carry)
            });
        let total_shares: u128 = holdings.iter().map(|(_, s, _)| s).sum();
        if self.suite.distribute(&op_addr, amount).is_err() {
            return;
        }
        let commission = Uint128::new(amount)
            .mul_floor(Decimal::percent(COMMISSION_PERCENT[op]))
            .u128();
        let rest = amount - commission;
        // The carry holds rounding remainders and the income forfeited by warming shares; it is
        // shared out with this income.
        let scale = Uint256::from(REWARD_SCALE);
        let carried = Uint128::try_from((carry + scale - Uint256::one()) / scale)
            .unwrap()
            .u128();
        if total_shares == 0 {
            *self.ledger.entitled.entry(op).or_default() += amount + carried;
            return;
        }
        *self.ledger.entitled.entry(op).or_default() += commission;
        for (who, _, earning) in holdings {
            *self.ledger.entitled.entry(who).or_default() +=
                ((rest + carried) * earning).div_ceil(total_shares);
        }
    }

    fn slash(&mut self, op: usize, percent: u64, lookback: u64, jail: bool) {
        let op_addr = self.accounts[op].clone();
        let infraction_height = self.suite.height().saturating_sub(lookback);
        let now = self.suite.app.block_info().time;
        let delegations_before: Vec<(Addr, u128)> = self
            .accounts
            .iter()
            .map(|who| (who.clone(), self.value_of(who, &op_addr)))
            .collect();
        // (delegator, entry id) -> (value, whether the slash must reach it)
        let entries_before: Vec<((Addr, u64), u128, bool)> = with_storage(&self.suite, |s| {
            UNBONDING_ENTRIES
                .range(s, None, None, Order::Ascending)
                .map(|item| {
                    let (key, entry) = item.unwrap();
                    let bucket = UNBONDING_BUCKETS
                        .load(s, (&entry.operator, entry.bucket))
                        .unwrap();
                    let value = entry_value(s, &entry).unwrap().u128();
                    let unbonding = entry.operator == op_addr && bucket.first_completion > now;
                    // Exactly the entries requested at or after the infraction...
                    let mut hit = unbonding && entry.creation_height >= infraction_height;
                    // ...except when the bucket holding the infraction already has the most
                    // partial slashes it records: then that bucket is cut whole.
                    let partial = PARTIAL_SLASHES
                        .may_load(s, (&entry.operator, entry.bucket))
                        .unwrap()
                        .unwrap_or_default();
                    if unbonding
                        && partial.0.len() >= MAX_PARTIAL_SLASHES
                        && bucket.min_creation_height < infraction_height
                        && infraction_height <= bucket.max_creation_height
                    {
                        hit = true;
                    }
                    (key, value, hit)
                })
                .collect()
        });
        if self
            .suite
            .slash(&op_addr, Decimal::percent(percent), infraction_height, jail)
            .is_err()
        {
            return;
        }
        let keep = |v: u128| v * (100 - percent as u128) / 100;
        for (who, before) in delegations_before {
            let after = self.value_of(&who, &op_addr);
            assert!(
                keep(before) <= after && after <= keep(before) + 2,
                "delegation worth {before} is worth {after} after a {percent}% slash"
            );
        }
        with_storage(&self.suite, |s| {
            for ((delegator, id), before, hit) in entries_before {
                let entry = UNBONDING_ENTRIES.load(s, (&delegator, id)).unwrap();
                let after = entry_value(s, &entry).unwrap().u128();
                if hit {
                    assert!(keep(before) <= after && after <= keep(before) + 2);
                } else {
                    assert_eq!(after, before, "an entry outside the slash changed");
                }
            }
        });
    }

    fn check_invariants(&self) {
        let balance = self.suite.balance(&self.suite.contract);
        with_storage(&self.suite, |s| {
            let pools = pools(s);
            let scale = Uint256::from(REWARD_SCALE);
            let mut bonded = 0u128;
            let mut owed_scaled = Uint256::zero();
            for (op, pool) in &pools {
                bonded += pool.tokens.u128();
                owed_scaled += Uint256::from(pool.unclaimed_commission) * scale + pool.reward_carry;
                let mut shares = 0u128;
                for who in &self.accounts {
                    if let Some(d) = DELEGATIONS.may_load(s, (who, op)).unwrap() {
                        shares += d.shares.u128();
                        if who == op {
                            assert_eq!(d.shares, pool.self_shares);
                        }
                        owed_scaled += d.rewards
                            + Uint256::from(d.shares)
                                * (pool.reward_per_share - d.reward_per_share_paid);
                    }
                }
                assert_eq!(shares, pool.shares.u128(), "pool shares out of sync");
                if pool.shares.is_zero() {
                    assert!(
                        pool.tokens.is_zero(),
                        "tokens left in a pool without shares"
                    );
                }
            }
            let mut unbonding = 0u128;
            let mut bucket_shares: BTreeMap<(Addr, u64), u128> = BTreeMap::new();
            for item in UNBONDING_BUCKETS.range(s, None, None, Order::Ascending) {
                let ((op, index), bucket) = item.unwrap();
                unbonding += bucket.tokens.u128();
                bucket_shares.insert((op, index), bucket.shares.u128());
            }
            let mut entry_shares: BTreeMap<(Addr, u64), u128> = BTreeMap::new();
            for item in UNBONDING_ENTRIES.range(s, None, None, Order::Ascending) {
                let (_, entry) = item.unwrap();
                *entry_shares
                    .entry((entry.operator, entry.bucket))
                    .or_default() += entry.shares.u128();
            }
            assert_eq!(bucket_shares, entry_shares, "bucket shares out of sync");

            assert!(
                (owed_scaled % scale).is_zero(),
                "rewards owed are not a whole number of tokens"
            );
            let rewards = Uint128::try_from(owed_scaled / scale).unwrap().u128();
            assert_eq!(
                balance,
                bonded + unbonding + rewards,
                "balance {balance} != bonded {bonded} + unbonding {unbonding} + rewards {rewards}"
            );

            // The active set is the strongest eligible operators.
            let mut eligible: Vec<(u128, Addr)> = pools
                .iter()
                .filter(|(_, p)| is_eligible(p, Uint128::new(MIN_SELF_BOND)).unwrap())
                .map(|(a, p)| (p.tokens.u128(), a.clone()))
                .collect();
            eligible.sort();
            eligible.reverse();
            let mut expected: Vec<Addr> = eligible
                .into_iter()
                .take(MAX_ACTIVE as usize)
                .map(|(_, a)| a)
                .collect();
            expected.sort();
            let active: Vec<Addr> = self
                .suite
                .active_set()
                .operators
                .into_iter()
                .map(|o| o.address)
                .collect();
            assert_eq!(
                active, expected,
                "active set is not the strongest operators"
            );
        });

        for who in 0..ACCOUNTS {
            let get = |m: &BTreeMap<usize, u128>| m.get(&who).copied().unwrap_or(0);
            assert!(get(&self.ledger.claimed) <= get(&self.ledger.delegated));
            assert!(
                get(&self.ledger.withdrawn)
                    <= get(&self.ledger.entitled) + self.ledger.closed_delegations,
                "account {who} withdrew more rewards than it earned"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn staking_invariants_hold(actions in prop::collection::vec(action(), 1..40)) {
        let mut world = World::new();
        world.check_invariants();
        for action in &actions {
            world.apply(action);
            world.check_invariants();
        }
    }
}
