//! Entry points: each message is handed to the module that owns it.
//!
//! The wasm exports are written out by hand (module `__wasm_export`) as what `#[entry_point]`
//! generates, except that messages are decoded with [`crate::wire`] (one merged field table
//! instead of a serde decoder per message and variant) and replies as [`reply::ReplyMsg`].
//! Multi-test and the oracle call the typed functions below.

use cosmwasm_std::{
    to_json_binary, Binary, Coin, Deps, DepsMut, Env, HexBinary, MessageInfo, Reply, Response,
};
use sibyl_api::escrow::{ExecuteMsg, InstantiateMsg, MigrateMsg, PriceResponse, QueryMsg};

use crate::assign;
use crate::commit_reveal::{self, RevealRequest};
use crate::config;
use crate::error::ContractError;
use crate::models::{self, NewModel};
use crate::pricing::{decline_fee, job_price};
use crate::query;
use crate::reply;
use crate::settlement;
use crate::state::CONFIG;
use crate::submit::{self, JobRequest};

pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    config::instantiate(deps, env, info, msg)
}

pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    // Only SubmitJob takes funds; anything sent with another message would be stranded.
    if !matches!(msg, ExecuteMsg::SubmitJob { .. }) && !info.funds.is_empty() {
        return Err(ContractError::UnexpectedFunds);
    }
    match msg {
        ExecuteMsg::RegisterModel {
            model_hash,
            uri,
            input_spec,
            output_spec,
            cost_units,
            owner,
        } => models::register(
            deps,
            info,
            NewModel {
                model_hash,
                uri,
                input_spec,
                output_spec,
                cost_units,
                owner,
            },
        ),
        ExecuteMsg::UpdateModelUri { model_hash, uri } => {
            models::update_uri(deps, info, model_hash, uri)
        }
        ExecuteMsg::DeprecateModel { model_hash } => models::deprecate(deps, info, model_hash),
        ExecuteMsg::SubmitJob {
            model_hash,
            input,
            redundancy,
            quorum,
            callback,
        } => submit::submit_job(
            deps,
            env,
            info,
            JobRequest {
                model_hash,
                input,
                redundancy,
                quorum,
                callback,
            },
        ),
        ExecuteMsg::AssignJobs { limit } => assign::assign_jobs(deps, env, limit),
        ExecuteMsg::Commit { job_id, commitment } => {
            commit_reveal::commit(deps, env, info, job_id, commitment)
        }
        ExecuteMsg::Decline { job_id, reason } => {
            commit_reveal::decline(deps, env, info, job_id, reason)
        }
        ExecuteMsg::Reveal {
            job_id,
            operator,
            output,
            salt,
            signature,
        } => commit_reveal::reveal(
            deps,
            env,
            RevealRequest {
                job_id,
                operator,
                output,
                salt,
                signature,
            },
        ),
        ExecuteMsg::Settle { job_id } => settlement::settle(deps, env, job_id),
        ExecuteMsg::Cancel { job_id } => settlement::cancel(deps, env, info, job_id),
        ExecuteMsg::WithdrawTreasury {} => config::withdraw_treasury(deps),
        ExecuteMsg::UpdateConfig(update) => config::update_config(deps, env, info, update),
    }
}

pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    config::migrate(deps, env, msg)
}

pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?.0)?,
        QueryMsg::Model { model_hash } => to_json_binary(&models::query_model(deps, model_hash)?)?,
        QueryMsg::Models { start_after, limit } => {
            to_json_binary(&models::query_models(deps, start_after, limit)?)?
        }
        QueryMsg::Price {
            model_hash,
            redundancy,
        } => to_json_binary(&price(deps, model_hash, redundancy)?)?,
        QueryMsg::Job { job_id } => to_json_binary(&query::job(deps, env, job_id)?)?,
        QueryMsg::Jobs {
            filter,
            start_after,
            limit,
        } => to_json_binary(&query::jobs(deps, env, filter, start_after, limit)?)?,
        QueryMsg::PendingWork {
            operator,
            start_after,
            limit,
        } => to_json_binary(&query::pending_work(
            deps,
            env,
            operator,
            start_after,
            limit,
        )?)?,
        QueryMsg::Treasury {} => to_json_binary(&config::query_treasury(deps)?)?,
    })
}

/// The reply handler for hosts that pass a full [`Reply`] (multi-test). The wasm export below
/// decodes the same JSON into the smaller [`reply::ReplyMsg`].
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    reply::reply(deps, msg.into())
}

/// What `#[entry_point]` would generate for every entry point, except for the message types:
/// the `crate::wire` decoders for instantiate, execute, migrate and query, [`reply::ReplyMsg`] for
/// reply (`do_sudo` is the same export as `do_reply` with a caller-chosen message type).
#[cfg(all(target_arch = "wasm32", not(feature = "library")))]
mod __wasm_export {
    use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};

    use crate::error::ContractError;
    use crate::reply::{self, ReplyMsg};
    use crate::wire::{Execute, Instantiate, Migrate, Query};

    fn handle_instantiate(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: Instantiate,
    ) -> Result<Response, ContractError> {
        super::instantiate(deps, env, info, msg.0)
    }

    fn handle_execute(
        deps: DepsMut,
        env: Env,
        info: MessageInfo,
        msg: Execute,
    ) -> Result<Response, ContractError> {
        super::execute(deps, env, info, msg.0)
    }

    fn handle_migrate(deps: DepsMut, env: Env, msg: Migrate) -> Result<Response, ContractError> {
        super::migrate(deps, env, msg.0)
    }

    fn handle_query(deps: Deps, env: Env, msg: Query) -> Result<Binary, ContractError> {
        super::query(deps, env, msg.0)
    }

    fn handle_reply(deps: DepsMut, _env: Env, msg: ReplyMsg) -> Result<Response, ContractError> {
        reply::reply(deps, msg)
    }

    #[no_mangle]
    extern "C" fn instantiate(env_ptr: u32, info_ptr: u32, msg_ptr: u32) -> u32 {
        cosmwasm_std::do_instantiate(&handle_instantiate, env_ptr, info_ptr, msg_ptr)
    }

    #[no_mangle]
    extern "C" fn execute(env_ptr: u32, info_ptr: u32, msg_ptr: u32) -> u32 {
        cosmwasm_std::do_execute(&handle_execute, env_ptr, info_ptr, msg_ptr)
    }

    #[no_mangle]
    extern "C" fn migrate(env_ptr: u32, msg_ptr: u32) -> u32 {
        cosmwasm_std::do_migrate(&handle_migrate, env_ptr, msg_ptr)
    }

    #[no_mangle]
    extern "C" fn query(env_ptr: u32, msg_ptr: u32) -> u32 {
        cosmwasm_std::do_query(&handle_query, env_ptr, msg_ptr)
    }

    #[no_mangle]
    extern "C" fn reply(env_ptr: u32, msg_ptr: u32) -> u32 {
        cosmwasm_std::do_sudo(&handle_reply, env_ptr, msg_ptr)
    }
}

fn price(
    deps: Deps,
    model_hash: HexBinary,
    redundancy: Option<u32>,
) -> Result<PriceResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    let (_, model) = models::load(deps, &model_hash)?;
    let redundancy = redundancy.unwrap_or(config.default_redundancy);
    if redundancy == 0 || redundancy > config.max_redundancy {
        return Err(ContractError::InvalidRedundancy {
            requested: redundancy,
            max: config.max_redundancy,
        });
    }
    let price = job_price(&config, model.cost_units, redundancy)?;
    Ok(PriceResponse {
        total: Coin::new(price.total, config.fee_denom),
        protocol_fee: price.protocol_fee,
        per_operator: price.per_operator,
        remainder: price.remainder,
        decline_fee: decline_fee(price.per_operator, config.decline_fee_bps),
    })
}
