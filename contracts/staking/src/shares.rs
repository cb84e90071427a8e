//! Share and reward arithmetic, free of storage so that every rounding rule is tested here.
//!
//! Rounding always favours the pool over the one account acting, and every remainder stays
//! attributable, so the contract's balance matches what it owes to the unit:
//! - a deposit mints shares rounded down (the fraction of a share stays with the pool);
//! - a withdrawal burns shares rounded up, except that withdrawing a holding's whole value burns
//!   the whole holding, and the last holder of a pool receives all of its tokens;
//! - rewards are kept in `REWARD_SCALE` units: the division by the pool's shares leaves a carry
//!   that joins the next distribution, and each delegation keeps its fraction of a token.

use cosmwasm_std::{Decimal, Uint128, Uint256};

use crate::error::ContractError;
#[cfg(test)]
use crate::state::Warming;
use crate::state::{Delegation, OperatorPool};

/// Shares minted per token in an empty pool. More than one share per token keeps the rounding of
/// later deposits and withdrawals well below one token.
pub const SHARES_PER_TOKEN: u128 = 1_000_000;
/// Fixed-point scale of reward accounting.
pub const REWARD_SCALE: u128 = 1_000_000_000_000_000_000;

/// Shares minted for `amount` tokens joining a pool of `tokens` and `shares`.
pub fn shares_for_deposit(
    tokens: Uint128,
    shares: Uint128,
    amount: Uint128,
) -> Result<Uint128, ContractError> {
    let minted = if shares.is_zero() {
        amount.checked_mul(Uint128::new(SHARES_PER_TOKEN))?
    } else {
        amount.checked_multiply_ratio(shares, tokens)?
    };
    if minted.is_zero() {
        return Err(ContractError::AmountTooSmall { amount });
    }
    Ok(minted)
}

/// Token value of `held` shares of a pool, rounded down.
pub fn token_value(
    tokens: Uint128,
    shares: Uint128,
    held: Uint128,
) -> Result<Uint128, ContractError> {
    if shares.is_zero() {
        return Ok(Uint128::zero());
    }
    Ok(held.checked_multiply_ratio(tokens, shares)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawal {
    pub shares: Uint128,
    pub tokens: Uint128,
}

/// Shares burned and tokens released when `amount` tokens leave a holding of `held` shares.
///
/// If the rounded-up burn would consume the whole holding, the holder leaves with its whole
/// value (at least `amount`), so no holding is left with shares worth nothing.
pub fn withdrawal(
    tokens: Uint128,
    shares: Uint128,
    held: Uint128,
    amount: Uint128,
) -> Result<Withdrawal, ContractError> {
    let available = token_value(tokens, shares, held)?;
    if amount > available {
        return Err(ContractError::InsufficientDelegation { available });
    }
    let everything = Withdrawal {
        shares: held,
        tokens: available,
    };
    if amount == available {
        return Ok(everything);
    }
    let burned = mul_div_ceil(amount, shares, tokens)?;
    if burned >= held {
        return Ok(everything);
    }
    Ok(Withdrawal {
        shares: burned,
        tokens: amount,
    })
}

/// `ceil(a * b / c)` without intermediate overflow.
fn mul_div_ceil(a: Uint128, b: Uint128, c: Uint128) -> Result<Uint128, ContractError> {
    let c = Uint256::from(c);
    let product = a.full_mul(b);
    let quotient = product.checked_div(c)?;
    let rounded = if product.checked_rem(c)?.is_zero() {
        quotient
    } else {
        quotient.checked_add(Uint256::one())?
    };
    Ok(Uint128::try_from(rounded)?)
}

/// Tokens taken by a slash of `fraction`, rounded down: a slash never takes more than `fraction`.
pub fn slash_amount(tokens: Uint128, fraction: Decimal) -> Result<Uint128, ContractError> {
    Ok(tokens.checked_mul_floor(fraction)?)
}

/// Brings `delegation.rewards` up to date with the pool's accumulator at block time `now`
/// (seconds). Must run before the delegation's shares change.
///
/// Shares still warming up (`delegation.warming`) earn nothing until `warm_at`: what the
/// accumulator credited them before that is forfeited into the pool's `reward_carry`, so it is
/// shared out with the pool's next income (never lost). Once `warm_at` has passed, they earn from
/// the accumulator value at `warm_at`, which `reward_per_share_at(warm_at)` returns (`None`: no
/// income since then, so it is the current value).
pub fn accrue_rewards(
    pool: &mut OperatorPool,
    delegation: &mut Delegation,
    now: u64,
    reward_per_share_at: impl FnOnce(u64) -> Result<Option<Uint256>, ContractError>,
) -> Result<(), ContractError> {
    let current = pool.reward_per_share;
    let paid = delegation.reward_per_share_paid;
    let growth = current.checked_sub(paid)?;
    let (earning, forfeited) = match delegation.warming {
        None => (
            Uint256::from(delegation.shares).checked_mul(growth)?,
            Uint256::zero(),
        ),
        Some(warming) => {
            let warm = Uint256::from(delegation.shares.checked_sub(warming.shares)?);
            let warming_shares = Uint256::from(warming.shares);
            let warm_earned = warm.checked_mul(growth)?;
            if now >= warming.warm_at {
                let at_warm = reward_per_share_at(warming.warm_at)?.unwrap_or(current);
                delegation.warming = None;
                (
                    warm_earned
                        .checked_add(warming_shares.checked_mul(current.checked_sub(at_warm)?)?)?,
                    warming_shares.checked_mul(at_warm.checked_sub(paid)?)?,
                )
            } else {
                (warm_earned, warming_shares.checked_mul(growth)?)
            }
        }
    };
    delegation.rewards = delegation.rewards.checked_add(earning)?;
    delegation.reward_per_share_paid = current;
    pool.reward_carry = pool.reward_carry.checked_add(forfeited)?;
    Ok(())
}

/// Splits fee income: `commission` of it accrues to the operator (rounded down, so the
/// delegators get the fraction), the rest to the pool's shares. Returns the commission.
///
/// With no shares in the pool (every delegation withdrawn), the operator receives everything,
/// together with any whole tokens carried from earlier rounding.
pub fn distribute_income(
    pool: &mut OperatorPool,
    income: Uint128,
    commission_rate: Decimal,
) -> Result<Uint128, ContractError> {
    let commission = income.checked_mul_floor(commission_rate)?;
    let for_delegators = income.checked_sub(commission)?;
    let scaled = Uint256::from(for_delegators)
        .checked_mul(Uint256::from(REWARD_SCALE))?
        .checked_add(pool.reward_carry)?;
    let mut operator_share = commission;
    if pool.shares.is_zero() {
        let scale = Uint256::from(REWARD_SCALE);
        let whole = Uint128::try_from(scaled.checked_div(scale)?)?;
        operator_share = operator_share.checked_add(whole)?;
        pool.reward_carry = scaled.checked_rem(scale)?;
    } else {
        let shares = Uint256::from(pool.shares);
        pool.reward_per_share = pool
            .reward_per_share
            .checked_add(scaled.checked_div(shares)?)?;
        pool.reward_carry = scaled.checked_rem(shares)?;
    }
    pool.unclaimed_commission = pool.unclaimed_commission.checked_add(operator_share)?;
    Ok(operator_share)
}

/// Takes the whole tokens out of an up-to-date delegation's rewards; the fraction stays.
pub fn take_whole_rewards(delegation: &mut Delegation) -> Result<Uint128, ContractError> {
    let scale = Uint256::from(REWARD_SCALE);
    let whole = delegation.rewards.checked_div(scale)?;
    delegation.rewards = delegation.rewards.checked_rem(scale)?;
    Ok(Uint128::try_from(whole)?)
}

/// A delegation's rewards at `now`, in whole tokens, as accruing them would leave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRewards {
    /// Withdrawable by the delegator.
    pub rewards: Uint128,
    /// Forfeited by its warming shares: goes to the pool's carry, shared with the next income.
    pub forfeited: Uint128,
}

/// The delegation's [`PendingRewards`] at `now`, without changing it or the pool.
pub fn pending_rewards(
    pool: &OperatorPool,
    delegation: &Delegation,
    now: u64,
    reward_per_share_at: impl FnOnce(u64) -> Result<Option<Uint256>, ContractError>,
) -> Result<PendingRewards, ContractError> {
    let (mut pool_after, mut copy) = (pool.clone(), delegation.clone());
    accrue_rewards(&mut pool_after, &mut copy, now, reward_per_share_at)?;
    let forfeited = pool_after
        .reward_carry
        .checked_sub(pool.reward_carry)?
        .checked_div(Uint256::from(REWARD_SCALE))?;
    Ok(PendingRewards {
        rewards: take_whole_rewards(&mut copy)?,
        forfeited: Uint128::try_from(forfeited)?,
    })
}

/// Whole tokens of fee income the pool holds for no delegation yet (forfeited by warming
/// shares or left by rounding): they are shared out with the pool's next income.
pub fn undistributed_rewards(pool: &OperatorPool) -> Result<Uint128, ContractError> {
    let whole = pool.reward_carry.checked_div(Uint256::from(REWARD_SCALE))?;
    Ok(Uint128::try_from(whole)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(tokens: u128, shares: u128) -> OperatorPool {
        OperatorPool {
            tokens: Uint128::new(tokens),
            shares: Uint128::new(shares),
            self_shares: Uint128::zero(),
            jailed_until: None,
            left: false,
            reward_per_share: Uint256::zero(),
            reward_carry: Uint256::zero(),
            unclaimed_commission: Uint128::zero(),
            ranked_stake: None,
        }
    }

    fn delegation(shares: u128, paid: Uint256) -> Delegation {
        Delegation {
            shares: Uint128::new(shares),
            reward_per_share_paid: paid,
            rewards: Uint256::zero(),
            warming: None,
        }
    }

    fn no_snapshot(_: u64) -> Result<Option<Uint256>, ContractError> {
        Ok(None)
    }

    fn u(v: u128) -> Uint128 {
        Uint128::new(v)
    }

    #[test]
    fn first_deposit_mints_shares_per_token() {
        assert_eq!(
            shares_for_deposit(u(0), u(0), u(5)).unwrap(),
            u(5 * SHARES_PER_TOKEN)
        );
    }

    #[test]
    fn later_deposits_round_shares_down() {
        // 10 tokens for 3 shares: 4 tokens buy 1.2 shares, rounded down to 1.
        assert_eq!(shares_for_deposit(u(10), u(3), u(4)).unwrap(), u(1));
        assert!(matches!(
            shares_for_deposit(u(10), u(3), u(3)),
            Err(ContractError::AmountTooSmall { .. })
        ));
    }

    #[test]
    fn token_value_rounds_down_and_empty_pool_is_worth_nothing() {
        assert_eq!(token_value(u(10), u(3), u(1)).unwrap(), u(3));
        assert_eq!(token_value(u(0), u(0), u(0)).unwrap(), u(0));
    }

    #[test]
    fn partial_withdrawal_burns_shares_rounded_up() {
        // 10 tokens, 4 shares: 3 tokens are 1.2 shares, rounded up to 2.
        let w = withdrawal(u(10), u(4), u(3), u(3)).unwrap();
        assert_eq!(
            w,
            Withdrawal {
                shares: u(2),
                tokens: u(3)
            }
        );
    }

    #[test]
    fn withdrawing_the_whole_value_burns_the_whole_holding() {
        // 3 shares of 10/4 are worth 7.5, rounded down to 7.
        let w = withdrawal(u(10), u(4), u(3), u(7)).unwrap();
        assert_eq!(
            w,
            Withdrawal {
                shares: u(3),
                tokens: u(7)
            }
        );
        // The last holder gets every token of the pool.
        let w = withdrawal(u(10), u(4), u(4), u(10)).unwrap();
        assert_eq!(
            w,
            Withdrawal {
                shares: u(4),
                tokens: u(10)
            }
        );
    }

    #[test]
    fn a_burn_that_would_consume_the_holding_pays_its_whole_value() {
        // 2 shares of 10/3 are worth 6; 5 tokens are 1.5 shares, rounded up to 2 = everything.
        let w = withdrawal(u(10), u(3), u(2), u(5)).unwrap();
        assert_eq!(
            w,
            Withdrawal {
                shares: u(2),
                tokens: u(6)
            }
        );
    }

    #[test]
    fn withdrawing_more_than_the_value_fails() {
        assert!(matches!(
            withdrawal(u(10), u(4), u(1), u(3)),
            Err(ContractError::InsufficientDelegation { available }) if available == u(2)
        ));
    }

    #[test]
    fn slash_rounds_down() {
        assert_eq!(slash_amount(u(99), Decimal::percent(10)).unwrap(), u(9));
    }

    #[test]
    fn income_splits_commission_and_carries_the_remainder() {
        let mut p = pool(100, 3);
        // 10% of 11 is 1.1: commission 1, delegators 10 over 3 shares.
        let commission = distribute_income(&mut p, u(11), Decimal::percent(10)).unwrap();
        assert_eq!(commission, u(1));
        let scaled = Uint256::from(10 * REWARD_SCALE);
        assert_eq!(p.reward_per_share, scaled / Uint256::from(3u128));
        assert_eq!(p.reward_carry, scaled % Uint256::from(3u128));
        assert_eq!(p.unclaimed_commission, u(1));

        let mut a = delegation(1, Uint256::zero());
        let mut b = delegation(2, Uint256::zero());
        accrue_rewards(&mut p, &mut a, 0, no_snapshot).unwrap();
        accrue_rewards(&mut p, &mut b, 0, no_snapshot).unwrap();
        // Everything is accounted for in scaled units.
        assert_eq!(a.rewards + b.rewards + p.reward_carry, scaled);
        assert_eq!(take_whole_rewards(&mut a).unwrap(), u(3));
        assert_eq!(take_whole_rewards(&mut b).unwrap(), u(6));
        // The fractions stay with each delegation.
        assert!(!a.rewards.is_zero() && !b.rewards.is_zero());
    }

    #[test]
    fn income_to_an_empty_pool_goes_to_the_operator() {
        let mut p = pool(0, 0);
        p.reward_carry = Uint256::from(REWARD_SCALE + 5);
        let paid = distribute_income(&mut p, u(10), Decimal::percent(10)).unwrap();
        assert_eq!(paid, u(11));
        assert_eq!(p.unclaimed_commission, u(11));
        assert_eq!(p.reward_carry, Uint256::from(5u128));
    }

    #[test]
    fn pending_rewards_do_not_change_the_delegation() {
        let mut p = pool(10, 10);
        distribute_income(&mut p, u(20), Decimal::zero()).unwrap();
        let d = delegation(5, Uint256::zero());
        let pending = pending_rewards(&p, &d, 0, no_snapshot).unwrap();
        assert_eq!((pending.rewards, pending.forfeited), (u(10), u(0)));
        assert!(d.rewards.is_zero());
    }

    #[test]
    fn warming_shares_forfeit_income_before_warm_at_and_earn_after() {
        let scale = Uint256::from(REWARD_SCALE);
        // 10 shares, 4 of them warming until t = 100.
        let mut p = pool(10, 10);
        let mut d = delegation(10, Uint256::zero());
        d.warming = Some(Warming {
            shares: u(4),
            warm_at: 100,
        });
        // Income of 10 tokens: 1 per share.
        distribute_income(&mut p, u(10), Decimal::zero()).unwrap();
        let pending = pending_rewards(&p, &d, 50, no_snapshot).unwrap();
        assert_eq!((pending.rewards, pending.forfeited), (u(6), u(4)));
        let mut early = d.clone();
        let mut p_early = p.clone();
        accrue_rewards(&mut p_early, &mut early, 50, no_snapshot).unwrap();
        assert_eq!(early.rewards, Uint256::from(6u128) * scale);
        assert_eq!(p_early.reward_carry, Uint256::from(4u128) * scale);
        assert_eq!(undistributed_rewards(&p_early).unwrap(), u(4));
        assert!(early.warming.is_some());

        // At t = 100 the accumulator stood at 1 token per share; another 10 tokens came later.
        let at_warm = p.reward_per_share;
        distribute_income(&mut p, u(10), Decimal::zero()).unwrap();
        accrue_rewards(&mut p, &mut d, 150, |t| {
            assert_eq!(t, 100);
            Ok(Some(at_warm))
        })
        .unwrap();
        // 6 warm shares earned both incomes, the 4 others the second only.
        assert_eq!(d.rewards, Uint256::from(16u128) * scale);
        assert_eq!(p.reward_carry, Uint256::from(4u128) * scale);
        assert_eq!(d.warming, None);
    }
}
