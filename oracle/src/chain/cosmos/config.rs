//! Settings of the Cosmos chain client: the `[chain]` section of the node's config file.

use std::time::Duration;

use cosmwasm_std::{Decimal, Uint128};
use serde::{Deserialize, Serialize};

use crate::config::{millis, ConfigError};

/// How the node reaches a wasmd-based chain and pays for its transactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CosmosConfig {
    /// The chain id; the node refuses to start when the RPC node serves another chain.
    pub chain_id: String,
    /// CometBFT RPC endpoint (status, blocks and their events), e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    /// Cosmos SDK gRPC endpoint (accounts, simulation, broadcast, contract queries),
    /// e.g. `http://127.0.0.1:9090`; `https://` uses TLS with the web PKI roots.
    pub grpc: String,
    /// Bech32 prefix of the chain's account addresses. Default `wasm`.
    pub bech32_prefix: String,
    /// Price of one unit of gas, e.g. `0.025usibyl`; the fee is ceil(gas limit × price).
    pub gas_price: String,
    /// Gas limit = ceil(simulated gas × this). Default 1.3.
    pub gas_adjustment: f64,
    /// Account that pays the fees through an x/feegrant allowance, so the node's own account
    /// needs no balance. Default none.
    pub fee_granter: Option<String>,
    /// A transaction is only valid up to this many blocks after the height it was built at
    /// (its `timeout_height`); one not included by then can never be, and is reported as not
    /// sent. Default 20.
    pub tx_timeout_blocks: u64,
    /// How often the latest height and transaction results are polled. Default 200 ms.
    #[serde(with = "millis")]
    pub poll_interval: Duration,
    /// Time limit of one RPC or gRPC request. Default 10 s.
    #[serde(with = "millis")]
    pub request_timeout: Duration,
}

impl Default for CosmosConfig {
    fn default() -> Self {
        CosmosConfig {
            chain_id: String::new(),
            rpc: "http://127.0.0.1:26657".into(),
            grpc: "http://127.0.0.1:9090".into(),
            bech32_prefix: "wasm".into(),
            gas_price: String::new(),
            gas_adjustment: 1.3,
            fee_granter: None,
            tx_timeout_blocks: 20,
            poll_interval: Duration::from_millis(200),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl CosmosConfig {
    /// Checks every field that can be checked without the chain.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        if self.chain_id.is_empty() {
            return invalid("chain.chain_id is required".into());
        }
        for (name, url) in [("chain.rpc", &self.rpc), ("chain.grpc", &self.grpc)] {
            match url::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                _ => return invalid(format!("{name} must be an http(s) URL, got {url:?}")),
            }
        }
        crate::keys::validate_prefix(&self.bech32_prefix)
            .map_err(|e| ConfigError::Invalid(format!("chain.bech32_prefix: {e}")))?;
        GasPrice::parse(&self.gas_price)?;
        if !(self.gas_adjustment.is_finite() && self.gas_adjustment >= 1.0) {
            return invalid(format!(
                "chain.gas_adjustment must be at least 1.0, got {}",
                self.gas_adjustment
            ));
        }
        if self.tx_timeout_blocks == 0 {
            return invalid("chain.tx_timeout_blocks must be at least 1".into());
        }
        if self.poll_interval.is_zero() || self.request_timeout.is_zero() {
            return invalid(
                "chain.poll_interval and chain.request_timeout must be positive".into(),
            );
        }
        Ok(())
    }

    /// The parsed gas price (the config must have been validated).
    pub fn parsed_gas_price(&self) -> Result<GasPrice, ConfigError> {
        GasPrice::parse(&self.gas_price)
    }
}

/// A gas price: an exact decimal amount of `denom` per unit of gas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal,
    pub denom: String,
}

impl GasPrice {
    /// Parses `0.025usibyl` (amount immediately followed by the denom).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (amount, denom) = text.split_at(split);
        let amount: Decimal = amount.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "chain.gas_price must look like 0.025usibyl, got {text:?}"
            ))
        })?;
        let denom_ok = denom.len() >= 3
            && denom.starts_with(|c: char| c.is_ascii_alphabetic())
            && denom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
        if !denom_ok {
            return Err(ConfigError::Invalid(format!(
                "chain.gas_price has no valid denom after the amount: {text:?}"
            )));
        }
        Ok(GasPrice {
            amount,
            denom: denom.to_string(),
        })
    }

    /// The fee for `gas_limit`: ceil(gas_limit × price), so that the chain's minimum is met.
    pub fn fee_for(&self, gas_limit: u64) -> Uint128 {
        Uint128::from(gas_limit).mul_ceil(self.amount)
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CosmosConfig {
        CosmosConfig {
            chain_id: "sibyl-localnet-1".into(),
            gas_price: "0.025usibyl".into(),
            ..CosmosConfig::default()
        }
    }

    #[test]
    fn gas_price_parses_amount_and_denom() {
        let price = GasPrice::parse("0.025usibyl").unwrap();
        assert_eq!(price.amount, Decimal::permille(25));
        assert_eq!(price.denom, "usibyl");
        assert_eq!(price.to_string(), "0.025usibyl");
        let ibc = GasPrice::parse(
            "0.1ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
        )
        .unwrap();
        assert!(ibc.denom.starts_with("ibc/"));
    }

    #[test]
    fn gas_price_refuses_missing_parts() {
        for bad in ["", "0.025", "usibyl", "0.0.1usibyl", "1u", "1 usibyl"] {
            assert!(GasPrice::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fee_rounds_up() {
        let price = GasPrice::parse("0.025usibyl").unwrap();
        assert_eq!(price.fee_for(100_000), Uint128::new(2_500));
        assert_eq!(price.fee_for(100_001), Uint128::new(2_501));
        assert_eq!(price.fee_for(0), Uint128::zero());
    }

    #[test]
    fn validation_names_the_bad_field() {
        assert!(valid().validate().is_ok());
        type Breakage = fn(&mut CosmosConfig);
        let cases: [(Breakage, &str); 6] = [
            (|c| c.chain_id.clear(), "chain_id"),
            (|c| c.rpc = "127.0.0.1:26657".into(), "chain.rpc"),
            (|c| c.grpc = "ftp://x".into(), "chain.grpc"),
            (|c| c.gas_price = "cheap".into(), "gas_price"),
            (|c| c.gas_adjustment = 0.5, "gas_adjustment"),
            (|c| c.tx_timeout_blocks = 0, "tx_timeout_blocks"),
        ];
        for (break_it, field) in cases {
            let mut config = valid();
            break_it(&mut config);
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(field), "{error} does not name {field}");
        }
    }
}
