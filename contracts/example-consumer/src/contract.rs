//! A minimal Sibyl consumer: it submits jobs for its users and keeps the results it is called
//! back with. The three steps every consumer needs are marked STEP 1-3.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, BankMsg, Binary, Deps, DepsMut, Env, MessageInfo, Reply,
    Response, StdResult, SubMsg, WasmMsg,
};
use sibyl_api::consumer::{CallbackStatus, JobCallback};
use sibyl_api::escrow::{self, JobInput};

use crate::error::ContractError;
use crate::msg::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, QueryMsg, RequestResponse, RequestStatus,
};
use crate::state::{Request, CONFIG, REQUESTS};

const CONTRACT_NAME: &str = "crates.io:sibyl-example-consumer";
const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
const REPLY_SUBMITTED: u64 = 1;
/// The escrow's submit event as the chain reports it (wasmd prefixes contract events `wasm-`).
const SUBMIT_EVENT: &str = "wasm-sibyl_submit";

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let config = ConfigResponse {
        escrow: deps.api.addr_validate(&msg.escrow)?,
        model_hash: msg.model_hash,
        redundancy: msg.redundancy,
        quorum: msg.quorum,
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RequestInference { input } => request_inference(deps, env, info, input),
        ExecuteMsg::SibylCallback(callback) => receive_result(deps, info, callback),
    }
}

/// STEP 1: submit the job, forwarding the user's payment. The escrow checks the amount and
/// refuses anything but the exact price, so this contract never holds stray funds.
fn request_inference(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    input: Binary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let submit = WasmMsg::Execute {
        contract_addr: config.escrow.to_string(),
        msg: to_json_binary(&escrow::ExecuteMsg::SubmitJob {
            model_hash: config.model_hash,
            input: JobInput::Inline { data: input },
            redundancy: config.redundancy,
            quorum: config.quorum,
            callback: Some(env.contract.address.to_string()),
        })?,
        funds: info.funds,
    };
    // The job id is only known once the escrow has run: read it in the reply, with the requester
    // carried in the payload.
    Ok(Response::new()
        .add_attribute("action", "request_inference")
        .add_submessage(
            SubMsg::reply_on_success(submit, REPLY_SUBMITTED)
                .with_payload(to_json_binary(&info.sender)?),
        ))
}

/// STEP 2: remember which user each job belongs to.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    let requester: Addr = from_json(&msg.payload)?;
    let response = msg
        .result
        .into_result()
        .map_err(cosmwasm_std::StdError::msg)?;
    let job_id = response
        .events
        .iter()
        .filter(|event| event.ty == SUBMIT_EVENT)
        .flat_map(|event| &event.attributes)
        .find(|attribute| attribute.key == "job_id")
        .and_then(|attribute| attribute.value.parse::<u64>().ok())
        .ok_or(ContractError::MissingJobId)?;
    REQUESTS.save(
        deps.storage,
        job_id,
        &Request {
            requester,
            status: RequestStatus::Pending,
            output: None,
        },
    )?;
    Ok(Response::new().add_attribute("job_id", job_id.to_string()))
}

/// STEP 3: accept results from the trusted escrow only, store them, and pass refunds on.
fn receive_result(
    deps: DepsMut,
    info: MessageInfo,
    callback: JobCallback,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.escrow {
        return Err(ContractError::NotEscrow {
            escrow: config.escrow.to_string(),
        });
    }
    let mut request =
        REQUESTS
            .may_load(deps.storage, callback.job_id)?
            .ok_or(ContractError::UnknownRequest {
                job_id: callback.job_id,
            })?;
    request.status = match callback.status {
        CallbackStatus::Completed => RequestStatus::Completed,
        CallbackStatus::Failed => RequestStatus::Failed,
    };
    request.output = callback.output;
    REQUESTS.save(deps.storage, callback.job_id, &request)?;
    let mut response = Response::new()
        .add_attribute("action", "sibyl_callback")
        .add_attribute("job_id", callback.job_id.to_string());
    // The escrow sent the refund to this contract just before the callback; it is the user's.
    if !callback.refund.amount.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: request.requester.to_string(),
            amount: vec![callback.refund],
        });
    }
    Ok(response)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?),
        QueryMsg::Request { job_id } => {
            let request = REQUESTS.load(deps.storage, job_id)?;
            to_json_binary(&RequestResponse {
                job_id,
                requester: request.requester,
                status: request.status,
                output: request.output,
            })
        }
    }
}
