//! Every message of every contract, executed on the real wasm in a realistic state.
//!
//! Each scenario builds its state with ordinary transactions (not measured), then measures the
//! message of interest; a row is one transaction with the calls its sub-messages caused.

pub mod attestation_key;
pub mod consumer;
pub mod escrow;
pub mod staking;

use cosmwasm_std::{Coin, Uint128};

use crate::artifacts::{self, ArtifactError, Contract};
use crate::chain::{Chain, ChainError, Receipt, StoredCode};

/// The bond and fee denom (Neutron's, to match the chain's address prefix).
pub const DENOM: &str = "untrn";

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("{0}")]
    Unexpected(String),
}

/// One measured transaction.
#[derive(Clone, Debug)]
pub struct Measured {
    /// What was done, e.g. `Delegate (first delegation)`.
    pub name: String,
    pub receipt: Receipt,
}

/// Measured transactions of one contract (or one flow), in the order they ran.
#[derive(Clone, Debug, Default)]
pub struct Measurements {
    pub rows: Vec<Measured>,
}

impl Measurements {
    pub fn push(&mut self, name: impl Into<String>, receipt: Receipt) -> &Receipt {
        self.rows.push(Measured {
            name: name.into(),
            receipt,
        });
        &self.rows[self.rows.len() - 1].receipt
    }

    pub fn get(&self, name: &str) -> Option<&Receipt> {
        self.rows
            .iter()
            .find(|m| m.name == name)
            .map(|m| &m.receipt)
    }
}

pub fn coins(amount: u128) -> Vec<Coin> {
    vec![Coin::new(amount, DENOM)]
}

pub fn uint(amount: u128) -> Uint128 {
    Uint128::new(amount)
}

/// Stores a contract's artifact on `chain` (running the VM's static checks).
pub fn store(chain: &Chain, contract: Contract) -> Result<StoredCode, ScenarioError> {
    let wasm = artifacts::load(contract)?;
    Ok(chain.store_code(&wasm)?)
}
