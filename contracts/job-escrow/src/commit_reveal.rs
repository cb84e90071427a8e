//! `Commit` and `Reveal`: the two-phase answer that keeps operators from copying each other;
//! `Decline`: the answer of an operator that cannot serve the job.

use cosmwasm_std::{Addr, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Response};
use sibyl_api::attestation::{attestation_digest, commitment, output_hash, SIGNATURE_LEN};
use sibyl_api::escrow::events::{Committed, Declined, Revealed, TypedEvent};
use sibyl_api::escrow::{Config, DeclineReason};

use crate::error::ContractError;
use crate::lifecycle::{self, load_open_job, load_progress};
use crate::models;
use crate::sampling;
use crate::settlement::settle_job;
use crate::staking;
use crate::state::{
    Assignment, Job, RevealedOutput, ASSIGNMENTS, CONFIG, ENTROPY, JOB_PROGRESS, OUTPUTS,
    PENDING_WORK,
};

pub const MIN_SALT_LEN: usize = 16;
pub const MAX_SALT_LEN: usize = 64;
const COMMITMENT_LEN: usize = 32;

pub fn commit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    commitment: Binary,
) -> Result<Response, ContractError> {
    let job = load_open_job(deps.storage, job_id)?;
    let operator = info.sender;
    if commitment.len() != COMMITMENT_LEN {
        return Err(ContractError::InvalidCommitment {
            len: commitment.len(),
        });
    }
    ensure_first_answer(deps.as_ref(), &env, &job, job_id, &operator)?;
    ASSIGNMENTS.save(
        deps.storage,
        (job_id, &operator),
        &Assignment::Committed {
            commitment,
            output_hash: None,
        },
    )?;
    let mut progress = load_progress(deps.storage, job_id)?;
    progress.commits += 1;
    JOB_PROGRESS.save(deps.storage, job_id, &progress)?;
    Ok(Response::new()
        .add_attribute("action", "commit")
        .add_event(Committed { job_id, operator }.to_event()))
}

/// An assigned operator that cannot serve the job says so instead of going silent. When every
/// operator has declined, nothing else can happen and the job settles at once.
pub fn decline(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    reason: DeclineReason,
) -> Result<Response, ContractError> {
    let job = load_open_job(deps.storage, job_id)?;
    let operator = info.sender;
    ensure_first_answer(deps.as_ref(), &env, &job, job_id, &operator)?;
    ASSIGNMENTS.save(
        deps.storage,
        (job_id, &operator),
        &Assignment::Declined(reason),
    )?;
    let mut progress = load_progress(deps.storage, job_id)?;
    progress.declines += 1;
    JOB_PROGRESS.save(deps.storage, job_id, &progress)?;
    PENDING_WORK.remove(deps.storage, (&operator, job_id));
    let response = Response::new()
        .add_attribute("action", "decline")
        .add_event(
            Declined {
                job_id,
                operator,
                reason,
            }
            .to_event(),
        );
    // With commits outstanding the reveal phase follows; with none the job is decided.
    if progress.commits == 0 && lifecycle::settleable(&job, &progress, env.block.height) {
        let config = CONFIG.load(deps.storage)?.0;
        let settlement = settle_job(deps, &env, &config, job_id, job, progress)?;
        return Ok(response
            .add_submessages(settlement.messages)
            .add_events(settlement.events));
    }
    Ok(response)
}

/// Commit and decline: an assigned operator, inside the commit window, answering once.
fn ensure_first_answer(
    deps: Deps,
    env: &Env,
    job: &Job,
    job_id: u64,
    operator: &Addr,
) -> Result<(), ContractError> {
    if job.awaits_assignment() {
        return Err(ContractError::AwaitingAssignment { job_id });
    }
    if !job.is_assigned(operator) {
        return Err(ContractError::NotAssigned {
            job_id,
            operator: operator.to_string(),
        });
    }
    if env.block.height > job.commit_deadline {
        return Err(ContractError::CommitDeadlinePassed {
            job_id,
            deadline: job.commit_deadline,
        });
    }
    match ASSIGNMENTS.may_load(deps.storage, (job_id, operator))? {
        None => Ok(()),
        Some(Assignment::Committed { .. }) => Err(ContractError::AlreadyCommitted {
            job_id,
            operator: operator.to_string(),
        }),
        Some(Assignment::Declined(_)) => Err(ContractError::AlreadyDeclined {
            job_id,
            operator: operator.to_string(),
        }),
    }
}

pub struct RevealRequest {
    pub job_id: u64,
    pub operator: String,
    pub output: Binary,
    pub salt: Binary,
    pub signature: Binary,
}

pub fn reveal(deps: DepsMut, env: Env, request: RevealRequest) -> Result<Response, ContractError> {
    let job_id = request.job_id;
    let config = CONFIG.load(deps.storage)?.0;
    let job = load_open_job(deps.storage, job_id)?;
    let operator = deps.api.addr_validate(&request.operator)?;
    if !job.is_assigned(&operator) {
        return Err(ContractError::NotAssigned {
            job_id,
            operator: operator.to_string(),
        });
    }
    let key = (job_id, &operator);
    let committed = match ASSIGNMENTS.may_load(deps.storage, key)? {
        Some(Assignment::Committed {
            commitment,
            output_hash: None,
        }) => commitment,
        Some(Assignment::Committed { .. }) => {
            return Err(ContractError::AlreadyRevealed {
                job_id,
                operator: operator.to_string(),
            })
        }
        None | Some(Assignment::Declined(_)) => {
            return Err(ContractError::RevealWithoutCommit {
                job_id,
                operator: operator.to_string(),
            })
        }
    };
    let mut progress = load_progress(deps.storage, job_id)?;
    let height = env.block.height;
    if !lifecycle::commit_phase_closed(&job, &progress, height) {
        return Err(ContractError::RevealPhaseNotOpen {
            job_id,
            commit_deadline: job.commit_deadline,
        });
    }
    if height > job.reveal_deadline {
        return Err(ContractError::RevealDeadlinePassed {
            job_id,
            deadline: job.reveal_deadline,
        });
    }
    if request.output.len() > config.max_output_bytes as usize {
        return Err(ContractError::OutputTooLarge {
            size: request.output.len(),
            max: config.max_output_bytes,
        });
    }
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&request.salt.len()) {
        return Err(ContractError::InvalidSalt {
            len: request.salt.len(),
            min: MIN_SALT_LEN,
            max: MAX_SALT_LEN,
        });
    }
    let out_hash = output_hash(&request.output);
    let expected = commitment(job_id, &out_hash, &request.salt, operator.as_str());
    if committed.as_slice() != expected.as_slice() {
        return Err(ContractError::CommitmentMismatch {
            job_id,
            operator: operator.to_string(),
        });
    }
    let digest = attestation_digest(
        &config.chain_id,
        env.contract.address.as_str(),
        job_id,
        &models::hash32(&job.model_hash, "stored model hash")?,
        &models::hash32(&job.input_hash, "stored input hash")?,
        &out_hash,
    );
    verify_attestation(
        deps.as_ref(),
        &config,
        job_id,
        &operator,
        &digest,
        &request.signature,
    )?;

    ASSIGNMENTS.save(
        deps.storage,
        key,
        &Assignment::Committed {
            commitment: committed,
            output_hash: Some(Binary::from(out_hash)),
        },
    )?;
    // One stored copy per distinct output: identical reveals after the first cost no output bytes.
    let output_key = (job_id, out_hash.as_slice());
    if !OUTPUTS.has(deps.storage, output_key) {
        OUTPUTS.save(deps.storage, output_key, &RevealedOutput(request.output))?;
    }
    progress.reveals += 1;
    JOB_PROGRESS.save(deps.storage, job_id, &progress)?;
    PENDING_WORK.remove(deps.storage, (&operator, job_id));
    // Salts were hidden behind the commitments: later assignments draw from them.
    let entropy = ENTROPY.may_load(deps.storage)?.unwrap_or_default();
    ENTROPY.save(
        deps.storage,
        &sampling::mix_reveal(&entropy, job_id, &request.salt),
    )?;

    let response = Response::new().add_attribute("action", "reveal").add_event(
        Revealed {
            job_id,
            operator: operator.clone(),
            output_hash: HexBinary::from(out_hash),
        }
        .to_event(),
    );
    // The last expected reveal settles at once; later ones cannot come.
    if lifecycle::settleable(&job, &progress, height) {
        let settlement = settle_job(deps, &env, &config, job_id, job, progress)?;
        return Ok(response
            .add_submessages(settlement.messages)
            .add_events(settlement.events));
    }
    Ok(response)
}

/// Checks the signature against the attestation key the staking contract holds for the operator
/// now, so a rotated-out key signs nothing.
fn verify_attestation(
    deps: Deps,
    config: &Config,
    job_id: u64,
    operator: &Addr,
    digest: &[u8; 32],
    signature: &Binary,
) -> Result<(), ContractError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(ContractError::MalformedSignature {
            len: signature.len(),
        });
    }
    let pubkey = staking::attestation_pubkey(&deps.querier, &config.staking_contract, operator)?;
    let bad_signature = || ContractError::BadSignature {
        job_id,
        operator: operator.to_string(),
    };
    // A malformed key or signature is as worthless as a wrong one.
    let valid = deps
        .api
        .secp256k1_verify(digest, signature, &pubkey)
        .map_err(|_| bad_signature())?;
    if !valid {
        return Err(bad_signature());
    }
    Ok(())
}
