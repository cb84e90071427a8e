//! Native token balances, enough for the contracts' funds and bank sends.
//!
//! Accounts are treated as holding unlimited funds (benchmarks pay fees from them); contracts' balances
//! are tracked exactly, so a contract that sends more than it holds fails as it would on a chain.

use std::collections::BTreeMap;

use cosmwasm_std::{Coin, Uint256};

use super::ChainError;

#[derive(Clone, Debug, Default)]
pub struct Bank {
    balances: BTreeMap<String, BTreeMap<String, Uint256>>,
}

impl Bank {
    pub fn balance(&self, address: &str, denom: &str) -> Uint256 {
        self.balances
            .get(address)
            .and_then(|coins| coins.get(denom))
            .copied()
            .unwrap_or_default()
    }

    pub fn credit(&mut self, address: &str, coins: &[Coin]) {
        let account = self.balances.entry(address.to_string()).or_default();
        for coin in coins {
            let balance = account.entry(coin.denom.clone()).or_default();
            *balance += coin.amount;
        }
    }

    /// Takes `coins` from a tracked balance (a contract's).
    pub fn debit(&mut self, address: &str, coins: &[Coin]) -> Result<(), ChainError> {
        for coin in coins {
            let held = self.balance(address, &coin.denom);
            let left =
                held.checked_sub(coin.amount)
                    .map_err(|_| ChainError::InsufficientFunds {
                        address: address.to_string(),
                        held: Box::new(Coin::new(held, coin.denom.clone())),
                        wanted: Box::new(coin.clone()),
                    })?;
            self.balances
                .entry(address.to_string())
                .or_default()
                .insert(coin.denom.clone(), left);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_and_debits_track_each_denom() {
        let mut bank = Bank::default();
        bank.credit("c", &[Coin::new(10u128, "a"), Coin::new(5u128, "b")]);
        bank.debit("c", &[Coin::new(4u128, "a")]).unwrap();
        assert_eq!(bank.balance("c", "a"), Uint256::from(6u128));
        assert_eq!(bank.balance("c", "b"), Uint256::from(5u128));
        assert_eq!(bank.balance("nobody", "a"), Uint256::zero());
    }

    #[test]
    fn a_debit_beyond_the_balance_fails_and_changes_nothing() {
        let mut bank = Bank::default();
        bank.credit("c", &[Coin::new(3u128, "a")]);
        let err = bank.debit("c", &[Coin::new(4u128, "a")]).unwrap_err();
        assert!(matches!(err, ChainError::InsufficientFunds { .. }));
        assert_eq!(bank.balance("c", "a"), Uint256::from(3u128));
    }
}
