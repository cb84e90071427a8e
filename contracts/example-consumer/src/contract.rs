//! A minimal Sibyl consumer: it submits jobs for its users and keeps the results it is called
//! back with. The three steps every consumer needs are marked STEP 1-3.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    from_json, to_json_binary, Addr, BankMsg, Binary, Coin, Deps, DepsMut, Env, MessageInfo, Reply,
    Response, StdResult, SubMsg, WasmMsg,
};
use sibyl_api::consumer::{CallbackStatus, JobCallback};
use sibyl_api::escrow::{self, JobInput, JobResponse, JobStatus};

use crate::error::ContractError;
use crate::msg::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, RequestResponse,
    RequestStatus,
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
        ExecuteMsg::Reconcile { job_id } => reconcile(deps, job_id),
    }
}

/// STEP 1: submit the job, forwarding the user's payment. The escrow checks the amount and
/// refuses anything but the exact price, so this contract never holds stray funds.
fn request_inference(
    deps: DepsMut,
    _env: Env,
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
            // The escrow calls back the submitter: this contract.
            callback: true,
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
    let status = match callback.status {
        CallbackStatus::Completed => RequestStatus::Completed,
        CallbackStatus::Failed => RequestStatus::Failed,
    };
    let response = Response::new().add_attribute("action", "sibyl_callback");
    settle_request(
        deps,
        response,
        callback.job_id,
        status,
        callback.output,
        callback.refund,
    )
}

/// The way out when the callback did not land: the escrow's refund is already in this
/// contract's balance (a bank transfer the failed callback does not undo), so without this it
/// would be stranded. Pays each refund once: a settled request is refused.
fn reconcile(deps: DepsMut, job_id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let job: JobResponse = deps
        .querier
        .query_wasm_smart(&config.escrow, &escrow::QueryMsg::Job { job_id })?;
    let status = match job.job.status {
        JobStatus::Open => return Err(ContractError::JobStillOpen { job_id }),
        JobStatus::Completed => RequestStatus::Completed,
        JobStatus::Failed | JobStatus::Cancelled => RequestStatus::Failed,
    };
    // Jobs closed before escrow 0.2.0 report no refund.
    let refund = job
        .job
        .refund
        .unwrap_or_else(|| Coin::new(0u128, job.job.price.denom.clone()));
    let response = Response::new().add_attribute("action", "reconcile");
    settle_request(
        deps,
        response,
        job_id,
        status,
        job.result.map(|result| result.output),
        refund,
    )
}

/// Records the job's end on its request and forwards the refund to the requester, once.
fn settle_request(
    deps: DepsMut,
    response: Response,
    job_id: u64,
    status: RequestStatus,
    output: Option<Binary>,
    refund: Coin,
) -> Result<Response, ContractError> {
    let mut request = REQUESTS
        .may_load(deps.storage, job_id)?
        .ok_or(ContractError::UnknownRequest { job_id })?;
    if request.status != RequestStatus::Pending {
        return Err(ContractError::AlreadySettled { job_id });
    }
    request.status = status;
    request.output = output;
    REQUESTS.save(deps.storage, job_id, &request)?;
    let mut response = response.add_attribute("job_id", job_id.to_string());
    // The escrow sent the refund to this contract before the callback; it is the user's.
    if !refund.amount.is_zero() {
        response = response.add_message(BankMsg::Send {
            to_address: request.requester.to_string(),
            amount: vec![refund],
        });
    }
    Ok(response)
}

/// Only this contract's own code, never an older version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            stored: stored.contract,
            expected: CONTRACT_NAME.to_string(),
        });
    }
    if version(&stored.version) > version(CONTRACT_VERSION) {
        return Err(ContractError::Downgrade {
            stored: stored.version,
            current: CONTRACT_VERSION.to_string(),
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version))
}

/// `MAJOR.MINOR.PATCH` as numbers; an unreadable part counts as 0.
fn version(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
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
