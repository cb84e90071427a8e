//! Deploys and wires the contracts on the embedded chain, as a governance proposal would on a
//! real one: staking, escrow, the escrow as a slasher, and the example consumer.

use cosmwasm_std::{Coin, Decimal, Uint128};

use crate::chain::{contracts, EmbeddedChain};
use sibyl_oracle::chain::{execute, ChainError};
use sibyl_oracle::deploy::params::{self, DeployParams, Roles};

/// The bonded and fee denom of the demo chain.
pub const DENOM: &str = "usibyl";
/// Minimum self-bond of an operator.
pub const MIN_SELF_BOND: u128 = 1_000_000;
/// Price of one model cost unit for one operator.
pub const PRICE_PER_UNIT: u128 = 1_000;
/// Protocol fee in basis points.
pub const PROTOCOL_FEE_BPS: u16 = 500;
/// Fewest blocks to commit after submission (and to reveal after the commit deadline).
pub const MIN_WINDOW_BLOCKS: u64 = 50;
/// Seconds before new stake earns fees. A real deployment sets it to at least its longest job
/// (assignment to settlement) so that stake bonded after a job was assigned earns nothing from
/// it; the demo bonds its stake just before its first job and keeps it short so that rewards show.
pub const REWARD_WARMUP_SECONDS: u64 = 1;
/// Share of one operator's fee share paid to an operator that declined a job that then failed.
pub const DECLINE_FEE_BPS: u16 = 2_000;

/// Wall time the commit and reveal windows cover at least: generous, so that a burst of jobs
/// queued behind each other never makes an honest operator miss a deadline, whatever the block time.
pub const MIN_WINDOW_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// Commit (and reveal) window in blocks for `block_time`.
pub fn window_blocks(block_time: std::time::Duration) -> u64 {
    let millis = block_time.as_millis().max(1);
    let blocks = MIN_WINDOW_TIME.as_millis().div_ceil(millis);
    u64::try_from(blocks)
        .unwrap_or(u64::MAX)
        .max(MIN_WINDOW_BLOCKS)
}

/// Slash fractions: a wrong result costs 5 % of the pool, a missed job 1 %.
pub const WRONG_RESULT_SLASH_PERMILLE: u64 = 50;
pub const MISSED_JOB_SLASH_PERMILLE: u64 = 10;

/// Well-known accounts of the demo chain.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub admin: String,
    pub treasury: String,
    pub community_pool: String,
    pub consumer: String,
}

impl Accounts {
    pub fn new() -> Self {
        Accounts {
            admin: EmbeddedChain::address("admin"),
            treasury: EmbeddedChain::address("treasury"),
            community_pool: EmbeddedChain::address("community-pool"),
            consumer: EmbeddedChain::address("consumer"),
        }
    }
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts::new()
    }
}

/// Addresses of the deployed contracts.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub staking: String,
    pub escrow: String,
    /// Commit window and reveal window, in blocks.
    pub window_blocks: u64,
}

/// The demo's deployment parameters (on either chain). `max_redundancy` bounds k; the commit and
/// reveal windows are `window_blocks` each.
pub fn params(max_redundancy: u32, window_blocks: u64) -> DeployParams {
    DeployParams {
        denom: DENOM.to_string(),
        min_self_bond: Uint128::new(MIN_SELF_BOND),
        reward_warmup: REWARD_WARMUP_SECONDS,
        price_per_unit: Uint128::new(PRICE_PER_UNIT),
        protocol_fee_bps: PROTOCOL_FEE_BPS,
        window_blocks,
        max_redundancy,
        wrong_result_slash: Decimal::permille(WRONG_RESULT_SLASH_PERMILLE),
        missed_job_slash: Decimal::permille(MISSED_JOB_SLASH_PERMILLE),
        decline_fee_bps: DECLINE_FEE_BPS,
        ..DeployParams::default()
    }
}

/// Stores, instantiates and wires staking and escrow. `max_redundancy` bounds k; the commit and
/// reveal windows are `window_blocks` each.
pub async fn deploy(
    chain: &EmbeddedChain,
    accounts: &Accounts,
    max_redundancy: u32,
    window_blocks: u64,
) -> Result<Deployment, ChainError> {
    let staking_code = chain.store_code(contracts::staking()).await?;
    let escrow_code = chain.store_code(contracts::escrow()).await?;
    let params = params(max_redundancy, window_blocks);
    let roles = Roles {
        admin: accounts.admin.clone(),
        treasury: accounts.treasury.clone(),
        slashed_funds_destination: accounts.community_pool.clone(),
    };
    let staking = chain
        .instantiate(
            &accounts.admin,
            staking_code,
            &params.staking_instantiate(&roles),
            "sibyl-staking",
        )
        .await?;
    let escrow = chain
        .instantiate(
            &accounts.admin,
            escrow_code,
            &params.escrow_instantiate(&roles, &staking, chain.chain_id()),
            "sibyl-job-escrow",
        )
        .await?;
    execute(
        &chain.client(&accounts.admin),
        &staking,
        &params::add_slasher(&escrow),
        vec![],
    )
    .await?;
    Ok(Deployment {
        staking,
        escrow,
        window_blocks,
    })
}

/// Deploys the example consumer contract, which submits jobs for `model_hash` with k and m and
/// receives their results by callback; returns its address.
pub async fn deploy_consumer(
    chain: &EmbeddedChain,
    accounts: &Accounts,
    deployment: &Deployment,
    model_hash: [u8; 32],
    redundancy: u32,
    quorum: u32,
) -> Result<String, ChainError> {
    let code = chain.store_code(contracts::consumer()).await?;
    chain
        .instantiate(
            &accounts.admin,
            code,
            &params::consumer_instantiate(&deployment.escrow, model_hash, redundancy, quorum),
            "sibyl-example-consumer",
        )
        .await
}

/// Registers a model by hash with a `file://` URI.
pub async fn register_model(
    chain: &EmbeddedChain,
    accounts: &Accounts,
    deployment: &Deployment,
    model: &sibyl_model::Model,
    uri: String,
) -> Result<(), ChainError> {
    execute(
        &chain.client(&accounts.admin),
        &deployment.escrow,
        &params::register_model(model, &uri),
        vec![],
    )
    .await?;
    Ok(())
}

/// Coins of the demo denom.
pub fn coin(amount: u128) -> Coin {
    Coin::new(amount, DENOM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn windows_cover_the_minimum_wall_time_and_blocks() {
        assert_eq!(window_blocks(Duration::from_millis(200)), 150);
        assert_eq!(window_blocks(Duration::from_millis(25)), 1200);
        assert_eq!(window_blocks(Duration::from_secs(6)), MIN_WINDOW_BLOCKS);
        assert_eq!(window_blocks(Duration::ZERO), 30_000);
    }
}
