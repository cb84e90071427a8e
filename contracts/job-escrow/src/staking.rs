//! The calls this escrow makes into the sibyl-staking contract.

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Coin, CosmosMsg, Decimal, QuerierWrapper, StdResult, Uint128,
    WasmMsg,
};
use serde::Deserialize;
use sibyl_api::staking::{ActiveSetResponse, ExecuteMsg as StakingMsg, QueryMsg as StakingQuery};

/// The one field of the staking `ConfigResponse` the escrow reads. Decoding only what is used
/// (other fields are skipped) keeps the contract's wasm small.
#[derive(Deserialize)]
struct BondDenom {
    bond_denom: String,
}

/// The one field of the staking `OperatorResponse` the escrow reads.
#[derive(Deserialize)]
struct AttestationKey {
    attestation_pubkey: Binary,
}

pub fn bond_denom(querier: &QuerierWrapper, staking: &Addr) -> StdResult<String> {
    let config: BondDenom = querier.query_wasm_smart(staking, &StakingQuery::Config {})?;
    Ok(config.bond_denom)
}

pub fn active_set(querier: &QuerierWrapper, staking: &Addr) -> StdResult<ActiveSetResponse> {
    querier.query_wasm_smart(staking, &StakingQuery::ActiveSet {})
}

/// The operator's attestation key as the staking contract holds it now (after any rotation).
pub fn attestation_pubkey(
    querier: &QuerierWrapper,
    staking: &Addr,
    operator: &Addr,
) -> StdResult<Binary> {
    let response: AttestationKey = querier.query_wasm_smart(
        staking,
        &StakingQuery::Operator {
            address: operator.to_string(),
        },
    )?;
    Ok(response.attestation_pubkey)
}

/// Pays fee income to an operator's pool (commission and delegator shares are split there).
pub fn distribute(
    staking: &Addr,
    operator: &Addr,
    amount: Uint128,
    denom: &str,
) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: staking.to_string(),
        msg: to_json_binary(&StakingMsg::Distribute {
            operator: operator.to_string(),
        })?,
        funds: vec![Coin::new(amount, denom)],
    }
    .into())
}

/// Slashes `fraction` of the operator's pool for an infraction at `infraction_height` and jails
/// it, so a faulty or offline operator stops receiving jobs until it unjails.
pub fn slash_and_jail(
    staking: &Addr,
    operator: &Addr,
    fraction: Decimal,
    infraction_height: u64,
) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: staking.to_string(),
        msg: to_json_binary(&StakingMsg::Slash {
            operator: operator.to_string(),
            fraction,
            infraction_height,
            jail: true,
        })?,
        funds: vec![],
    }
    .into())
}
