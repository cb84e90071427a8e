//! The calls this escrow makes into the sibyl-staking contract.

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Coin, CosmosMsg, Decimal, QuerierWrapper, StdError, StdResult,
    Uint128, WasmMsg,
};
use serde::Deserialize;
use sibyl_api::staking::{ActiveOperator, ExecuteMsg as StakingMsg, QueryMsg as StakingQuery};

/// The fields the escrow reads from the three staking responses it queries: `bond_denom` and
/// `unbonding_period` of `ConfigResponse`, `attestation_pubkey` of `OperatorResponse` and
/// `operators` of `ActiveSetResponse`. One decoder for all three (each response fills its own field; the others
/// are skipped) keeps the contract's wasm small: every decoded struct type costs kilobytes.
#[derive(Deserialize)]
struct StakingFields {
    bond_denom: Option<String>,
    unbonding_period: Option<u64>,
    attestation_pubkey: Option<Binary>,
    operators: Option<Vec<ActiveOperator>>,
}

fn query(querier: &QuerierWrapper, staking: &Addr, msg: &StakingQuery) -> StdResult<StakingFields> {
    querier.query_wasm_smart(staking, msg)
}

fn missing(field: &str) -> StdError {
    StdError::msg(format!("the staking contract's response has no {field}"))
}

/// The staking contract's bond denom and unbonding period (seconds).
pub fn bond_denom_and_unbonding(
    querier: &QuerierWrapper,
    staking: &Addr,
) -> StdResult<(String, u64)> {
    let fields = query(querier, staking, &StakingQuery::Config {})?;
    Ok((
        fields.bond_denom.ok_or_else(|| missing("bond_denom"))?,
        fields
            .unbonding_period
            .ok_or_else(|| missing("unbonding_period"))?,
    ))
}

/// Operators eligible for new jobs, sorted by address.
pub fn active_set(querier: &QuerierWrapper, staking: &Addr) -> StdResult<Vec<ActiveOperator>> {
    query(querier, staking, &StakingQuery::ActiveSet {})?
        .operators
        .ok_or_else(|| missing("operators"))
}

/// The operator's attestation key as the staking contract holds it now (after any rotation).
pub fn attestation_pubkey(
    querier: &QuerierWrapper,
    staking: &Addr,
    operator: &Addr,
) -> StdResult<Binary> {
    query(
        querier,
        staking,
        &StakingQuery::Operator {
            address: operator.to_string(),
        },
    )?
    .attestation_pubkey
    .ok_or_else(|| missing("attestation_pubkey"))
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
