//! `SubmitJob`: validate, take exact payment, open the job and queue it for assignment.

use cosmwasm_std::{
    to_json_binary, Binary, Coin, DepsMut, Env, HexBinary, MessageInfo, QueryRequest, Response,
    Uint128, WasmQuery,
};
use serde::de::IgnoredAny;
use sibyl_api::attestation::input_hash;
use sibyl_api::escrow::events::{JobSubmitted, TypedEvent};
use sibyl_api::escrow::{Config, DType, JobInput, JobStatus, SubmitJobResponse, TensorSpec};

use crate::error::ContractError;
use crate::models::{self, hash32, validate_uri};
use crate::pricing::job_price;
use crate::staking;
use crate::state::{
    status_key, Empty, Job, NextJobId, StoredInput, ASSIGNMENT_QUEUE, CONFIG, JOBS,
    JOBS_BY_CONSUMER, JOBS_BY_STATUS, JOB_INPUTS, NEXT_JOB_ID,
};

pub struct JobRequest {
    pub model_hash: HexBinary,
    pub input: JobInput,
    pub redundancy: Option<u32>,
    pub quorum: Option<u32>,
    pub callback: bool,
}

pub fn submit_job(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    request: JobRequest,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    let (model_hash, model) = models::load(deps.as_ref(), &request.model_hash)?;
    if model.deprecated {
        return Err(ContractError::ModelDeprecated {
            model_hash: request.model_hash.to_hex(),
        });
    }
    let input_size = input_size(&model.input_spec)?;
    let (input_hash, stored_input) = validate_input(&config, request.input, input_size)?;
    let redundancy = request.redundancy.unwrap_or(config.default_redundancy);
    if redundancy == 0 || redundancy > config.max_redundancy {
        return Err(ContractError::InvalidRedundancy {
            requested: redundancy,
            max: config.max_redundancy,
        });
    }
    // A strict majority, so two disjoint groups can never both reach it and one colluder in a
    // small job cannot outvote the honest operators.
    let majority = redundancy / 2 + 1;
    let quorum = request.quorum.unwrap_or(majority);
    if quorum == 0 || quorum > redundancy {
        return Err(ContractError::InvalidQuorum { quorum, redundancy });
    }
    if quorum < majority {
        return Err(ContractError::QuorumNotMajority {
            quorum,
            redundancy,
            min: majority,
        });
    }
    // Only the submitter is ever called back, and only a contract can be.
    let callback = if request.callback {
        // The answer's fields are not needed, only whether there is one: decoding it as
        // `IgnoredAny` keeps `ContractInfoResponse`'s JSON decoder out of the wasm.
        let contract_info = WasmQuery::ContractInfo {
            contract_addr: info.sender.to_string(),
        };
        if deps
            .querier
            .query::<IgnoredAny>(&QueryRequest::Wasm(contract_info))
            .is_err()
        {
            return Err(ContractError::CallbackNeedsContract {
                sender: info.sender.to_string(),
            });
        }
        Some(info.sender.clone())
    } else {
        None
    };
    let price = job_price(&config, model.cost_units, redundancy)?;
    check_payment(&info.funds, &config.fee_denom, price.total)?;

    // Refused now rather than left waiting: the draw itself happens in a later block.
    let available = staking::active_set(&deps.querier, &config.staking_contract)?
        .iter()
        .filter(|operator| !operator.stake.is_zero())
        .count() as u32;
    if available < redundancy {
        return Err(ContractError::NotEnoughOperators {
            requested: redundancy,
            available,
        });
    }

    let NextJobId(job_id) = NEXT_JOB_ID.load(deps.storage)?;
    let job = Job {
        consumer: info.sender.clone(),
        model_hash: Binary::from(model_hash),
        input_hash: Binary::from(input_hash),
        redundancy,
        quorum,
        callback,
        price: price.total,
        protocol_fee: price.protocol_fee,
        submitted_height: env.block.height,
        assigned_height: None,
        commit_deadline: 0,
        reveal_deadline: 0,
        operators: Vec::new(),
        status: JobStatus::Open,
        result_hash: None,
        settled_height: None,
        refund: None,
    };
    NEXT_JOB_ID.save(deps.storage, &NextJobId(job_id + 1))?;
    JOBS.save(deps.storage, job_id, &job)?;
    JOB_INPUTS.save(deps.storage, job_id, &stored_input)?;
    JOBS_BY_CONSUMER.save(deps.storage, (&job.consumer, job_id), &Empty {})?;
    JOBS_BY_STATUS.save(
        deps.storage,
        (status_key(JobStatus::Open), job_id),
        &Empty {},
    )?;
    ASSIGNMENT_QUEUE.save(deps.storage, job_id, &Empty {})?;

    Ok(Response::new()
        .add_attribute("action", "submit_job")
        .add_attribute("job_id", job_id.to_string())
        .set_data(to_json_binary(&SubmitJobResponse { job_id })?)
        .add_event(
            JobSubmitted {
                job_id,
                consumer: job.consumer,
                model_hash: HexBinary::from(job.model_hash.as_slice()),
                redundancy,
                quorum,
                price: price.total,
            }
            .to_event(),
        ))
}

/// Bytes of the model's raw input tensor: elements × dtype size. An input of any other length is
/// one no operator can run, so it is refused here rather than left to fail the job.
pub fn input_size(spec: &TensorSpec) -> Result<u64, ContractError> {
    let dtype_size: u64 = match spec.dtype {
        DType::I8 | DType::U8 => 1,
        DType::I32 => 4,
    };
    spec.shape
        .iter()
        .try_fold(dtype_size, |size, dim| size.checked_mul(u64::from(*dim)))
        .ok_or_else(|| ContractError::InvalidTensorSpec {
            reason: "input size overflows".to_string(),
        })
}

fn validate_input(
    config: &Config,
    input: JobInput,
    expected: u64,
) -> Result<([u8; 32], StoredInput), ContractError> {
    match input {
        JobInput::Inline { data } => {
            if data.is_empty() {
                return Err(ContractError::EmptyInput);
            }
            if data.len() > config.max_inline_input_bytes as usize {
                return Err(ContractError::InputTooLarge {
                    size: data.len(),
                    max: config.max_inline_input_bytes,
                });
            }
            if data.len() as u64 != expected {
                return Err(ContractError::InputSizeMismatch {
                    size: data.len() as u64,
                    expected,
                });
            }
            Ok((input_hash(&data), StoredInput::Inline(data)))
        }
        JobInput::Remote { hash, uri, size } => {
            let hash = hash32(&hash, "input hash")?;
            validate_uri(&uri)?;
            // Operators fetch at most `size` bytes, so a declared size that lies is an input hash
            // mismatch they decline.
            if size != expected {
                return Err(ContractError::InputSizeMismatch { size, expected });
            }
            Ok((hash, StoredInput::Remote { uri, size }))
        }
    }
}

/// Exactly `price` of `denom` and nothing else: overpayment is refused rather than refunded, so
/// the escrow never holds funds it does not account for.
fn check_payment(funds: &[Coin], denom: &str, price: Uint128) -> Result<(), ContractError> {
    if let Some(other) = funds.iter().find(|coin| coin.denom != denom) {
        return Err(ContractError::WrongDenom {
            expected_denom: denom.to_string(),
            received: other.to_string(),
        });
    }
    let received =
        funds
            .iter()
            .try_fold(Uint128::zero(), |sum, coin| -> Result<_, ContractError> {
                let amount =
                    Uint128::try_from(coin.amount).map_err(|_| ContractError::Overpayment {
                        expected: price,
                        received: Uint128::MAX,
                        denom: denom.to_string(),
                    })?;
                Ok(sum.checked_add(amount)?)
            })?;
    if received.is_zero() {
        return Err(ContractError::NoPayment {
            expected: price,
            denom: denom.to_string(),
        });
    }
    if received < price {
        return Err(ContractError::InsufficientPayment {
            expected: price,
            received,
            denom: denom.to_string(),
        });
    }
    if received > price {
        return Err(ContractError::Overpayment {
            expected: price,
            received,
            denom: denom.to_string(),
        });
    }
    Ok(())
}
