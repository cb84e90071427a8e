//! Job pricing and how a job's payment is split.
//!
//! `total = price_per_unit × cost_units × redundancy`. The protocol keeps
//! `protocol_fee = ⌊total × protocol_fee_bps / 10 000⌋`; the rest is the operator pool, one equal
//! share per assigned operator: `per_operator = ⌊pool / redundancy⌋`, and the rounding
//! `remainder = pool mod redundancy` goes to the treasury with the protocol fee. Each agreeing
//! operator earns one share; the shares of operators who did not agree go back to the consumer,
//! so nobody profits from another operator's failure. On a failed job each revealer earns its
//! share and each decliner `decline_fee = ⌊per_operator × decline_fee_bps / 10 000⌋`; the rest of
//! a decliner's share (the rounding included) goes back to the consumer.

use cosmwasm_std::Uint128;
use sibyl_api::escrow::Config;

use crate::error::ContractError;

const BPS_DENOMINATOR: u128 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub total: Uint128,
    pub protocol_fee: Uint128,
    pub per_operator: Uint128,
    pub remainder: Uint128,
}

pub fn job_price(
    config: &Config,
    cost_units: u64,
    redundancy: u32,
) -> Result<Price, ContractError> {
    let total = config
        .price_per_unit
        .checked_mul(Uint128::from(cost_units))?
        .checked_mul(Uint128::from(redundancy))?;
    let protocol_fee = total.multiply_ratio(config.protocol_fee_bps, BPS_DENOMINATOR);
    split(total, protocol_fee, redundancy)
}

/// What a decliner of a failed or cancelled job is paid out of its share.
pub fn decline_fee(per_operator: Uint128, decline_fee_bps: u16) -> Uint128 {
    per_operator.multiply_ratio(decline_fee_bps, BPS_DENOMINATOR)
}

/// Recomputes the split of an escrowed job from what was stored at submission.
pub fn split(
    total: Uint128,
    protocol_fee: Uint128,
    redundancy: u32,
) -> Result<Price, ContractError> {
    let pool = total.checked_sub(protocol_fee)?;
    let operators = Uint128::from(redundancy);
    Ok(Price {
        total,
        protocol_fee,
        per_operator: pool.checked_div(operators)?,
        remainder: pool.checked_rem(operators)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Addr, Decimal};
    use sibyl_api::escrow::SeedSource;

    fn config(price_per_unit: u128, protocol_fee_bps: u16) -> Config {
        Config {
            admin: Addr::unchecked("admin"),
            staking_contract: Addr::unchecked("staking"),
            fee_denom: "usibyl".to_string(),
            price_per_unit: Uint128::new(price_per_unit),
            protocol_fee_bps,
            treasury: Addr::unchecked("treasury"),
            commit_window: 10,
            reveal_window: 10,
            default_redundancy: 3,
            max_redundancy: 7,
            max_inline_input_bytes: 1024,
            max_output_bytes: 1024,
            wrong_result_slash: Decimal::percent(5),
            missed_job_slash: Decimal::percent(1),
            chain_id: "test".to_string(),
            callback_gas_limit: 100_000,
            seed_source: SeedSource::BlockData,
            decline_fee_bps: 2_000,
            max_block_time_secs: 6,
            settlement_margin: 100,
        }
    }

    #[test]
    fn every_unit_is_accounted_for() {
        let price = job_price(&config(7, 250), 11, 3).unwrap();
        assert_eq!(price.total, Uint128::new(231));
        assert_eq!(price.protocol_fee, Uint128::new(5)); // 231 × 2.5 % = 5.775, rounded down
        assert_eq!(price.per_operator, Uint128::new(75)); // 226 / 3
        assert_eq!(price.remainder, Uint128::new(1));
        assert_eq!(
            price.protocol_fee + price.per_operator * Uint128::new(3) + price.remainder,
            price.total
        );
    }

    #[test]
    fn decline_fee_rounds_down() {
        assert_eq!(decline_fee(Uint128::new(75), 2_000), Uint128::new(15));
        assert_eq!(decline_fee(Uint128::new(76), 2_000), Uint128::new(15));
        assert_eq!(decline_fee(Uint128::new(76), 10_000), Uint128::new(76));
        assert_eq!(decline_fee(Uint128::new(76), 0), Uint128::zero());
    }

    #[test]
    fn overflow_is_an_error() {
        let err = job_price(&config(u128::MAX, 0), 2, 1).unwrap_err();
        assert!(matches!(err, ContractError::Overflow(_)));
    }

    #[test]
    fn zero_redundancy_is_rejected() {
        assert!(split(Uint128::new(10), Uint128::zero(), 0).is_err());
    }
}
