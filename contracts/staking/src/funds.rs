//! Checks on the funds attached to a message.

use cosmwasm_std::{MessageInfo, Uint128};

use crate::error::ContractError;

/// The amount of `denom` attached to a payable message: exactly one positive coin of `denom`.
pub fn must_pay(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    let coin = match info.funds.as_slice() {
        [] => {
            return Err(ContractError::NoFunds {
                denom: denom.to_string(),
            })
        }
        [coin] => coin,
        _ => {
            return Err(ContractError::ExtraDenoms {
                denom: denom.to_string(),
            })
        }
    };
    if coin.denom != denom {
        return Err(ContractError::WrongDenom {
            expected: denom.to_string(),
            got: coin.denom.clone(),
        });
    }
    // Coin amounts are 256-bit since CosmWasm 3; every balance here is 128-bit.
    let amount = Uint128::try_from(coin.amount).map_err(|_| ContractError::AmountTooLarge)?;
    if amount.is_zero() {
        return Err(ContractError::NoFunds {
            denom: denom.to_string(),
        });
    }
    Ok(amount)
}

/// Rejects funds on a message that does not take any: they would be stranded in the contract.
pub fn nonpayable(info: &MessageInfo) -> Result<(), ContractError> {
    if info.funds.is_empty() {
        Ok(())
    } else {
        Err(ContractError::UnexpectedFunds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::message_info;
    use cosmwasm_std::{coin, Addr, Coin, Uint256};

    fn info(funds: &[Coin]) -> MessageInfo {
        message_info(&Addr::unchecked("sender"), funds)
    }

    #[test]
    fn accepts_one_coin_of_the_denom() {
        assert_eq!(
            must_pay(&info(&[coin(7, "ustake")]), "ustake").unwrap(),
            Uint128::new(7)
        );
    }

    #[test]
    fn rejects_missing_zero_wrong_extra_and_oversized_funds() {
        assert!(matches!(
            must_pay(&info(&[]), "ustake"),
            Err(ContractError::NoFunds { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(0, "ustake")]), "ustake"),
            Err(ContractError::NoFunds { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(1, "uatom")]), "ustake"),
            Err(ContractError::WrongDenom { .. })
        ));
        assert!(matches!(
            must_pay(&info(&[coin(1, "ustake"), coin(1, "uatom")]), "ustake"),
            Err(ContractError::ExtraDenoms { .. })
        ));
        let huge = Coin::new(Uint256::from(u128::MAX) + Uint256::one(), "ustake");
        assert!(matches!(
            must_pay(&info(&[huge]), "ustake"),
            Err(ContractError::AmountTooLarge)
        ));
    }

    #[test]
    fn nonpayable_rejects_any_funds() {
        assert!(nonpayable(&info(&[])).is_ok());
        assert!(matches!(
            nonpayable(&info(&[coin(1, "ustake")])),
            Err(ContractError::UnexpectedFunds)
        ));
    }
}
