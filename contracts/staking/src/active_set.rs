//! The active set: the `max_active_operators` eligible operators with the most stake.
//!
//! Eligible operators are filed under (stake, address) in one of two sorted maps: `ACTIVE` and
//! `CANDIDATES`. The weakest active operator is `ACTIVE`'s first key and the strongest candidate
//! is `CANDIDATES`' last key, so keeping the split right after one operator's stake changes takes
//! a constant number of reads and writes, however many operators there are.

use cosmwasm_std::{Addr, Order, Storage, Uint128};

use crate::error::ContractError;
use crate::shares::token_value;
use crate::state::{OperatorPool, ACTIVE, ACTIVE_COUNT, CANDIDATES};

/// The current value of the operator's own delegation.
pub fn self_bond(pool: &OperatorPool) -> Result<Uint128, ContractError> {
    token_value(pool.tokens, pool.shares, pool.self_shares)
}

/// Whether the operator may be assigned jobs: registered, not jailed, with stake and at least
/// `min_self_bond` of its own.
pub fn is_eligible(pool: &OperatorPool, min_self_bond: Uint128) -> Result<bool, ContractError> {
    Ok(!pool.left
        && pool.jailed_until.is_none()
        && !pool.tokens.is_zero()
        && self_bond(pool)? >= min_self_bond)
}

pub fn is_active(
    storage: &dyn Storage,
    operator: &Addr,
    pool: &OperatorPool,
) -> Result<bool, ContractError> {
    Ok(match pool.ranked_stake {
        Some(stake) => ACTIVE.has(storage, (stake.u128(), operator)),
        None => false,
    })
}

/// Re-files `operator` after its pool changed and restores the split between the active set and
/// the candidates. Call it whenever tokens, self-bond, jailing or leaving change (the caller
/// saves `pool`).
pub fn rerank(
    storage: &mut dyn Storage,
    max_active: u32,
    min_self_bond: Uint128,
    operator: &Addr,
    pool: &mut OperatorPool,
) -> Result<(), ContractError> {
    let new_stake = if is_eligible(pool, min_self_bond)? {
        Some(pool.tokens)
    } else {
        None
    };
    if new_stake == pool.ranked_stake {
        return Ok(());
    }
    let stored_count = ACTIVE_COUNT.load(storage)?;
    let mut active_count = stored_count;
    let mut was_active = false;
    if let Some(old) = pool.ranked_stake {
        let old_key = (old.u128(), operator);
        if ACTIVE.has(storage, old_key) {
            ACTIVE.remove(storage, old_key);
            active_count -= 1;
            was_active = true;
        } else {
            CANDIDATES.remove(storage, old_key);
        }
    }
    if let Some(stake) = new_stake {
        let key = (stake.u128(), operator);
        if was_active {
            ACTIVE.save(storage, key, &true)?;
            active_count += 1;
        } else {
            CANDIDATES.save(storage, key, &true)?;
        }
    }
    pool.ranked_stake = new_stake;
    let active_count = rebalance(storage, max_active, active_count)?;
    // Most re-rankings keep the count; an unchanged record is not written again (30 gas a byte).
    if active_count != stored_count {
        ACTIVE_COUNT.save(storage, &active_count)?;
    }
    Ok(())
}

/// One operator changed, so one promotion (a seat opened) or one swap (a candidate overtook the
/// weakest active operator) restores the order. Returns the new size of the active set.
fn rebalance(
    storage: &mut dyn Storage,
    max_active: u32,
    mut active_count: u32,
) -> Result<u32, ContractError> {
    let strongest_candidate = CANDIDATES
        .keys(storage, None, None, Order::Descending)
        .next()
        .transpose()?;
    if let Some((stake, candidate)) = strongest_candidate {
        if active_count < max_active {
            CANDIDATES.remove(storage, (stake, &candidate));
            ACTIVE.save(storage, (stake, &candidate), &true)?;
            active_count += 1;
        } else {
            let weakest_active = ACTIVE
                .keys(storage, None, None, Order::Ascending)
                .next()
                .transpose()?;
            if let Some((weak_stake, weak)) = weakest_active {
                if (stake, &candidate) > (weak_stake, &weak) {
                    CANDIDATES.remove(storage, (stake, &candidate));
                    ACTIVE.remove(storage, (weak_stake, &weak));
                    ACTIVE.save(storage, (stake, &candidate), &true)?;
                    CANDIDATES.save(storage, (weak_stake, &weak), &true)?;
                }
            }
        }
    }
    Ok(active_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Uint256;

    fn eligible_pool(tokens: u128) -> OperatorPool {
        OperatorPool {
            tokens: Uint128::new(tokens),
            shares: Uint128::new(tokens),
            self_shares: Uint128::new(tokens),
            jailed_until: None,
            left: false,
            reward_per_share: Uint256::zero(),
            reward_carry: Uint256::zero(),
            unclaimed_commission: Uint128::zero(),
            ranked_stake: None,
        }
    }

    fn active(storage: &dyn Storage) -> Vec<(u128, String)> {
        ACTIVE
            .keys(storage, None, None, Order::Ascending)
            .map(|k| k.map(|(s, a)| (s, a.to_string())))
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn keeps_the_strongest_operators_active() {
        let mut storage = MockStorage::new();
        ACTIVE_COUNT.save(&mut storage, &0).unwrap();
        let min = Uint128::new(1);
        let addrs: Vec<Addr> = (0..4).map(|i| Addr::unchecked(format!("op{i}"))).collect();
        let mut pools: Vec<OperatorPool> =
            [10, 20, 30, 40].into_iter().map(eligible_pool).collect();
        for (addr, pool) in addrs.iter().zip(pools.iter_mut()) {
            rerank(&mut storage, 2, min, addr, pool).unwrap();
        }
        assert_eq!(
            active(&storage),
            vec![(30, "op2".to_string()), (40, "op3".to_string())]
        );

        // op0 overtakes everyone.
        pools[0].tokens = Uint128::new(50);
        rerank(&mut storage, 2, min, &addrs[0], &mut pools[0]).unwrap();
        assert_eq!(
            active(&storage),
            vec![(40, "op3".to_string()), (50, "op0".to_string())]
        );

        // op3 is jailed: its seat goes to the strongest candidate, op2.
        pools[3].jailed_until = Some(cosmwasm_std::Timestamp::from_seconds(1));
        rerank(&mut storage, 2, min, &addrs[3], &mut pools[3]).unwrap();
        assert_eq!(
            active(&storage),
            vec![(30, "op2".to_string()), (50, "op0".to_string())]
        );
        assert_eq!(ACTIVE_COUNT.load(&storage).unwrap(), 2);
        assert!(!is_active(&storage, &addrs[3], &pools[3]).unwrap());
        assert!(is_active(&storage, &addrs[2], &pools[2]).unwrap());
        let candidates: Vec<_> = CANDIDATES
            .keys(&storage, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(candidates, vec![(20, addrs[1].clone())]);
    }

    #[test]
    fn ineligible_operators_are_not_ranked() {
        let mut storage = MockStorage::new();
        ACTIVE_COUNT.save(&mut storage, &0).unwrap();
        let addr = Addr::unchecked("op");
        let mut pool = eligible_pool(10);
        rerank(&mut storage, 5, Uint128::new(11), &addr, &mut pool).unwrap();
        assert_eq!(pool.ranked_stake, None);
        assert!(active(&storage).is_empty());
    }
}
