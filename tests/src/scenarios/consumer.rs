//! The example consumer: a user asks it for an inference, it submits the job to the escrow, and the
//! escrow calls it back at settlement. Its messages are written as JSON so that this crate does not
//! link the contract.

use cosmwasm_std::{Binary, Checksum, HexBinary};
use serde_json::json;

use super::escrow::{self, Behaviour, EscrowDeployment, JobRun};
use super::{Measurements, ScenarioError};
use crate::chain::{Chain, Receipt};

pub struct ConsumerReport {
    pub messages: Measurements,
    /// The job the consumer submitted, played out by three agreeing operators; its last reveal
    /// includes the callback to the consumer.
    pub job: JobRun,
}

/// The job id from the escrow's `SubmitJob` call inside a consumer transaction.
fn forwarded_job_id(request: &Receipt) -> Result<u64, ScenarioError> {
    let submit = request
        .flatten()
        .into_iter()
        .find(|r| r.contract == "escrow" && r.call == "execute submit_job")
        .ok_or_else(|| {
            ScenarioError::Unexpected("the consumer did not call SubmitJob".to_string())
        })?;
    escrow::submitted_job_id(submit)
}

pub fn measure(
    chain: &Chain,
    staking_code: &Checksum,
    escrow_code: &Checksum,
    consumer_code: &Checksum,
) -> Result<ConsumerReport, ScenarioError> {
    let mut rows = Measurements::default();
    let (d, _, _): (EscrowDeployment, _, _) = escrow::deploy(chain, staking_code, escrow_code)?;
    let owner = chain.account("consumer-owner");
    let instantiate = json!({
        "escrow": d.escrow,
        "model_hash": HexBinary::from(d.model_hash),
        "redundancy": 3,
        "quorum": null,
    });
    let (consumer, receipt) =
        chain.instantiate(consumer_code, "consumer", &owner, &instantiate, &[])?;
    rows.push("Instantiate", receipt);

    let user = chain.account("dapp-user");
    let job_seed = 7;
    let request = json!({
        "request_inference": { "input": Binary::new(escrow::input_bytes(job_seed)) }
    });
    let price = escrow::price(chain, &d, 3)?;
    let receipt = chain.execute(&user, &consumer, &request, &[price])?;
    let job_id = forwarded_job_id(&receipt)?;
    rows.push(
        "RequestInference (submits the job, reply stores it)",
        receipt.clone(),
    );

    let job = escrow::play_job(chain, &d, receipt, job_id, job_seed, Behaviour::AllAgree)?;
    let callback = job
        .reveals
        .last()
        .into_iter()
        .chain(job.settle.iter())
        .flat_map(|r| r.flatten())
        .find(|r| r.contract == "consumer" && r.call == "execute sibyl_callback")
        .cloned()
        .ok_or_else(|| {
            ScenarioError::Unexpected("settlement did not call the consumer back".to_string())
        })?;
    rows.push("SibylCallback (sent by the escrow at settlement)", callback);

    rows.push(
        "query Config",
        chain.query_receipt(&consumer, &json!({ "config": {} }))?,
    );
    rows.push(
        "query Request",
        chain.query_receipt(&consumer, &json!({ "request": { "job_id": job_id } }))?,
    );
    let request_state: serde_json::Value =
        chain.query(&consumer, &json!({ "request": { "job_id": job_id } }))?;
    if request_state["status"] != "completed" {
        return Err(ScenarioError::Unexpected(format!(
            "the consumer's request did not complete: {request_state}"
        )));
    }
    Ok(ConsumerReport {
        messages: rows,
        job,
    })
}
