//! The consumer side of the demo: submits the jobs, follows them to settlement, prints the table.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use cosmwasm_std::{Binary, Coin, HexBinary};
use sibyl_api::escrow::events::{JobAssigned, JobSubmitted};
use sibyl_api::escrow::{ExecuteMsg, JobResponse, PriceResponse, QueryMsg};
use sibyl_example_consumer::msg::ExecuteMsg as ConsumerMsg;
use sibyl_model::{Model, Tensor};
use tokio_util::sync::CancellationToken;

use super::dataset::Digits;
use super::deploy::{coin, Accounts, Deployment};
use super::observer::{JobRow, Observer};
use super::operators::Operator;
use super::DemoOptions;
use crate::chain::{EmbeddedChain, EmbeddedClient};
use sibyl_oracle::chain::{execute, query, ChainClient};

/// One submitted job as the consumer knows it.
#[derive(Clone, Debug)]
pub struct SubmittedJob {
    pub label: u8,
    /// The agreed digit, once completed.
    pub predicted: Option<u8>,
    pub row: Option<JobRow>,
    pub reveal_deadline: Option<u64>,
}

/// What the workload observed.
pub struct WorkloadOutcome {
    pub jobs: BTreeMap<u64, SubmittedJob>,
    /// From the first submission to the last settlement.
    pub elapsed: Duration,
    /// Blocks produced meanwhile.
    pub blocks: u64,
    pub block_time: Duration,
    pub interrupted: bool,
}

/// Submits `options.jobs` samples (at most `max_open_jobs` open at once) and waits until every
/// job settled, calling `Settle` for jobs whose reveal deadline passed.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    chain: &EmbeddedChain,
    accounts: &Accounts,
    deployment: &Deployment,
    consumer_contract: &str,
    model: &Model,
    digits: &Digits,
    operators: &[Operator],
    options: &DemoOptions,
    cancel: CancellationToken,
) -> anyhow::Result<WorkloadOutcome> {
    let consumer = chain.client(&accounts.consumer);
    let model_hash = HexBinary::from(model.hash().to_vec());
    let price: PriceResponse = query(
        &consumer,
        &deployment.escrow,
        &QueryMsg::Price {
            model_hash: model_hash.clone(),
            redundancy: Some(options.redundancy),
        },
    )
    .await
    .context("cannot query the job price")?;
    let total = cosmwasm_std::Uint128::try_from(price.total.amount)
        .context("job price out of range")?
        .u128();
    chain
        .mint(
            &accounts.consumer,
            coin(total.saturating_mul(u128::from(options.jobs))),
        )
        .await?;

    let names = |address: &str| {
        operators
            .iter()
            .find(|op| op.address == address)
            .map_or_else(
                || short(address),
                |op| op.moniker.replace("operator-", "op"),
            )
    };
    if options.print_table {
        println!();
        println!(
            "{:>5}  {:<17}  {:>7}  {:>7}  {:>6}  {:>5}  settlement",
            "job", "operators", "commits", "reveals", "output", "label"
        );
    }

    let samples = digits.samples();
    let mut jobs: BTreeMap<u64, SubmittedJob> = BTreeMap::new();
    let mut observer = Observer::new(deployment.escrow.clone());
    let mut next_sample = 0usize;
    let mut open = 0u32;
    let mut settled_count = 0u32;
    let mut cursor = chain.latest_height();
    let start_height = cursor;
    let started = Instant::now();
    let mut last_progress = cursor;
    let mut interrupted = false;

    while settled_count < options.jobs {
        while open < options.max_open_jobs && next_sample < options.jobs as usize {
            let sample = &samples[next_sample % samples.len()];
            let job_id = submit(&consumer, consumer_contract, &price.total, &sample.image)
                .await
                .with_context(|| format!("cannot submit job for sample {next_sample}"))?;
            jobs.insert(
                job_id,
                SubmittedJob {
                    label: sample.label,
                    predicted: None,
                    row: None,
                    reveal_deadline: None,
                },
            );
            next_sample += 1;
            open += 1;
        }
        let latest = tokio::select! {
            _ = cancel.cancelled() => { interrupted = true; break; }
            latest = consumer.wait_for_block_after(cursor) => latest?,
        };
        let events = consumer.events_between(cursor, latest).await?;
        for event in &events {
            if let Ok(assigned) = JobAssigned::try_from(&event.to_cosmwasm()) {
                if let Some(job) = jobs.get_mut(&assigned.job_id) {
                    job.reveal_deadline = Some(assigned.reveal_deadline);
                }
            }
        }
        for job_id in observer.apply(&events) {
            let Some(job) = jobs.get_mut(&job_id) else {
                continue;
            };
            if job.row.is_some() {
                continue;
            }
            let response: JobResponse =
                query(&consumer, &deployment.escrow, &QueryMsg::Job { job_id }).await?;
            job.predicted = response
                .result
                .as_ref()
                .and_then(|result| predicted_digit(result.output.as_slice()));
            job.row = observer.job(job_id).cloned();
            open = open.saturating_sub(1);
            settled_count += 1;
            last_progress = latest;
            if options.print_table {
                print_row(job_id, job, &names);
            }
        }
        cursor = latest;
        settle_expired(&consumer, deployment, &jobs, latest).await;
        if latest.saturating_sub(last_progress) > 4 * deployment.window_blocks {
            anyhow::bail!(
                "no job settled for {} blocks: the demo is stuck",
                latest - last_progress
            );
        }
    }
    Ok(WorkloadOutcome {
        jobs,
        elapsed: started.elapsed(),
        blocks: cursor.saturating_sub(start_height),
        block_time: options.block_time,
        interrupted,
    })
}

/// Asks the consumer contract for an inference; it submits the job to the escrow (and receives
/// the result by callback).
async fn submit(
    user: &EmbeddedClient,
    consumer_contract: &str,
    price: &Coin,
    image: &[u8],
) -> anyhow::Result<u64> {
    let tx = execute(
        user,
        consumer_contract,
        &ConsumerMsg::RequestInference {
            input: Binary::from(image.to_vec()),
        },
        vec![price.clone()],
    )
    .await?;
    tx.events
        .iter()
        .find_map(|e| JobSubmitted::try_from(&e.to_cosmwasm()).ok())
        .map(|submitted| submitted.job_id)
        .context("SubmitJob emitted no job id")
}

/// Anyone may settle a job after its reveal deadline; the consumer does it for its own jobs.
async fn settle_expired(
    consumer: &EmbeddedClient,
    deployment: &Deployment,
    jobs: &BTreeMap<u64, SubmittedJob>,
    height: u64,
) {
    for (job_id, job) in jobs {
        let expired = job
            .reveal_deadline
            .is_some_and(|deadline| height > deadline);
        if job.row.is_none() && expired {
            let msg = ExecuteMsg::Settle { job_id: *job_id };
            if let Err(e) = execute(consumer, &deployment.escrow, &msg, vec![]).await {
                tracing::warn!(job_id, error = %e, "cannot settle an expired job");
            }
        }
    }
}

/// The digit the model chose: the output itself when the model ends in an arg-max (one element),
/// else the index of the largest score.
pub fn predicted_digit(canonical_output: &[u8]) -> Option<u8> {
    let tensor = Tensor::from_canonical_bytes(canonical_output).ok()?;
    let values = tensor.values_i32();
    if let [digit] = values.as_slice() {
        return u8::try_from(*digit).ok();
    }
    let best = values
        .iter()
        .enumerate()
        .max_by_key(|(index, value)| (**value, std::cmp::Reverse(*index)))?;
    u8::try_from(best.0).ok()
}

fn print_row(job_id: u64, job: &SubmittedJob, names: &impl Fn(&str) -> String) {
    let Some(row) = &job.row else { return };
    let operators: Vec<String> = row.operators.iter().map(|op| names(op)).collect();
    let output = job
        .predicted
        .map_or_else(|| "-".to_string(), |digit| digit.to_string());
    let mark = match job.predicted {
        Some(digit) if digit == job.label => "ok",
        Some(_) => "WRONG",
        None => "",
    };
    let mut settlement = format!(
        "{} in {} blocks",
        row.status.as_deref().unwrap_or("?"),
        row.latency_blocks().unwrap_or_default()
    );
    for (operator, reason) in &row.slashed {
        settlement.push_str(&format!("; {} slashed ({reason})", names(operator)));
    }
    println!(
        "{:>5}  {:<17}  {:>7}  {:>7}  {:>6}  {:>5}  {}",
        job_id,
        operators.join(","),
        row.commits,
        row.reveals,
        output,
        format!("{} {mark}", job.label),
        settlement
    );
}

fn short(address: &str) -> String {
    let tail = address.len().saturating_sub(6);
    format!("…{}", &address[tail..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicted_digit_is_the_first_largest_element() {
        let tensor = Tensor::from_i32(vec![1, 4], &[3, 9, 9, -1]).unwrap();
        assert_eq!(predicted_digit(&tensor.canonical_bytes()), Some(1));
        let arg_max = Tensor::from_i32(vec![1], &[7]).unwrap();
        assert_eq!(predicted_digit(&arg_max.canonical_bytes()), Some(7));
        assert_eq!(predicted_digit(b"garbage"), None);
    }
}
