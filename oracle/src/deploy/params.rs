//! The parameters of a Sibyl deployment and the instantiate messages they make. One source for
//! `sibyl-oracle deploy` on a real chain and for the demo's embedded chain.

use cosmwasm_std::{Decimal, HexBinary, Uint128};
use serde::{Deserialize, Serialize};
use sibyl_api::escrow::{self, SeedSource};
use sibyl_api::{example_consumer, staking};

/// What a deployment can choose. The defaults suit a test network with sub-second blocks; see
/// docs/escrow.md and docs/staking.md for what each one means for the protocol's economics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployParams {
    /// Bonded and fee denom.
    pub denom: String,
    pub min_self_bond: Uint128,
    /// Seconds.
    pub unbonding_period: u64,
    pub max_active_operators: u32,
    /// Seconds.
    pub jail_duration: u64,
    pub max_commission: Decimal,
    pub max_commission_change: Decimal,
    /// Seconds.
    pub commission_change_period: u64,
    pub max_unbonding_entries: u32,
    /// Seconds before new stake earns fees; at least the longest job (assignment to settlement)
    /// on a network with value, so that stake bonded after an assignment earns nothing from it.
    pub reward_warmup: u64,
    /// Price of one model cost unit for one operator.
    pub price_per_unit: Uint128,
    pub protocol_fee_bps: u16,
    /// Commit window and reveal window, in blocks (each).
    pub window_blocks: u64,
    pub default_redundancy: u32,
    pub max_redundancy: u32,
    pub max_inline_input_bytes: u32,
    pub max_output_bytes: u32,
    pub wrong_result_slash: Decimal,
    pub missed_job_slash: Decimal,
    pub callback_gas_limit: u64,
    pub decline_fee_bps: u16,
    /// Longest block time the chain is expected to have, in seconds.
    pub max_block_time_secs: u64,
}

impl Default for DeployParams {
    fn default() -> Self {
        DeployParams {
            denom: "usibyl".into(),
            min_self_bond: Uint128::new(1_000_000),
            unbonding_period: 21 * 24 * 3600,
            max_active_operators: 100,
            jail_duration: 24 * 3600,
            max_commission: Decimal::percent(50),
            max_commission_change: Decimal::percent(5),
            commission_change_period: 24 * 3600,
            max_unbonding_entries: 7,
            reward_warmup: 1,
            price_per_unit: Uint128::new(1_000),
            protocol_fee_bps: 500,
            window_blocks: 100,
            default_redundancy: 3,
            max_redundancy: 5,
            max_inline_input_bytes: 16 * 1024,
            max_output_bytes: 16 * 1024,
            wrong_result_slash: Decimal::permille(50),
            missed_job_slash: Decimal::permille(10),
            callback_gas_limit: 500_000,
            decline_fee_bps: 2_000,
            max_block_time_secs: 1,
        }
    }
}

/// Accounts a deployment names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    /// Admin of both contracts (and the wasm admin, who may migrate them).
    pub admin: String,
    /// Receives protocol fees.
    pub treasury: String,
    /// Receives slashed stake.
    pub slashed_funds_destination: String,
}

impl DeployParams {
    pub fn staking_instantiate(&self, roles: &Roles) -> staking::InstantiateMsg {
        staking::InstantiateMsg {
            admin: Some(roles.admin.clone()),
            bond_denom: self.denom.clone(),
            min_self_bond: self.min_self_bond,
            unbonding_period: self.unbonding_period,
            max_active_operators: self.max_active_operators,
            jail_duration: self.jail_duration,
            slashed_funds_destination: roles.slashed_funds_destination.clone(),
            max_commission: self.max_commission,
            max_commission_change: self.max_commission_change,
            commission_change_period: self.commission_change_period,
            max_unbonding_entries: self.max_unbonding_entries,
            reward_warmup: self.reward_warmup,
        }
    }

    pub fn escrow_instantiate(
        &self,
        roles: &Roles,
        staking_contract: &str,
        chain_id: &str,
    ) -> escrow::InstantiateMsg {
        escrow::InstantiateMsg {
            admin: Some(roles.admin.clone()),
            staking_contract: staking_contract.to_string(),
            fee_denom: self.denom.clone(),
            price_per_unit: self.price_per_unit,
            protocol_fee_bps: self.protocol_fee_bps,
            treasury: roles.treasury.clone(),
            commit_window: self.window_blocks,
            reveal_window: self.window_blocks,
            default_redundancy: self.default_redundancy,
            max_redundancy: self.max_redundancy,
            max_inline_input_bytes: self.max_inline_input_bytes,
            max_output_bytes: self.max_output_bytes,
            wrong_result_slash: self.wrong_result_slash,
            missed_job_slash: self.missed_job_slash,
            chain_id: chain_id.to_string(),
            callback_gas_limit: self.callback_gas_limit,
            seed_source: SeedSource::BlockData,
            decline_fee_bps: self.decline_fee_bps,
            max_block_time_secs: self.max_block_time_secs,
            settlement_margin: self.window_blocks,
        }
    }
}

/// The escrow becomes a slasher of the staking contract.
pub fn add_slasher(escrow: &str) -> staking::ExecuteMsg {
    staking::ExecuteMsg::UpdateSlashers {
        add: vec![escrow.to_string()],
        remove: vec![],
    }
}

/// Registers `model` under `uri` (one cost unit per inference).
pub fn register_model(model: &sibyl_model::Model, uri: &str) -> escrow::ExecuteMsg {
    escrow::ExecuteMsg::RegisterModel {
        model_hash: HexBinary::from(model.hash().to_vec()),
        uri: uri.to_string(),
        input_spec: api_spec(model.input_spec()),
        output_spec: api_spec(model.output_spec()),
        cost_units: 1,
        owner: None,
    }
}

/// The example consumer, submitting jobs for `model_hash` with k = `redundancy` and m = `quorum`.
pub fn consumer_instantiate(
    escrow: &str,
    model_hash: [u8; 32],
    redundancy: u32,
    quorum: u32,
) -> example_consumer::InstantiateMsg {
    example_consumer::InstantiateMsg {
        escrow: escrow.to_string(),
        model_hash: HexBinary::from(model_hash.to_vec()),
        redundancy: Some(redundancy),
        quorum: Some(quorum),
    }
}

fn api_spec(spec: &sibyl_model::TensorSpec) -> escrow::TensorSpec {
    escrow::TensorSpec {
        dtype: match spec.dtype {
            sibyl_model::DType::I8 => escrow::DType::I8,
            sibyl_model::DType::U8 => escrow::DType::U8,
            sibyl_model::DType::I32 => escrow::DType::I32,
        },
        shape: spec.shape.clone(),
    }
}
