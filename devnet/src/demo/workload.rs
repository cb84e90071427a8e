//! The consumer side of the demo: submits the jobs, follows them to settlement, prints the table.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use cosmwasm_std::{Binary, Coin, HexBinary, Uint128};
use sibyl_api::escrow::events::{JobAssigned, JobSubmitted};
use sibyl_api::escrow::{ExecuteMsg, JobResponse, PriceResponse, QueryMsg};
use sibyl_api::example_consumer::ExecuteMsg as ConsumerMsg;
use sibyl_model::Tensor;
use tokio_util::sync::CancellationToken;

use super::dataset::Sample;
use super::observer::{JobRow, Observer};
use super::operators::Operator;
use super::DemoOptions;
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
    /// Gas the chain charged for the job requests, together (0 on the embedded chain).
    pub submit_gas: u64,
    pub interrupted: bool,
}

/// What the consumer submits, and where.
pub struct Workload<'a> {
    pub escrow: &'a str,
    /// The example consumer contract: it submits each job to the escrow.
    pub consumer_contract: &'a str,
    /// The escrow's price of one job (the consumer account holds enough for every job).
    pub price: Coin,
    /// The escrow's commit (and reveal) window: a job settles within twice that.
    pub window_blocks: u64,
    pub samples: &'a [Sample],
    pub operators: &'a [Operator],
}

/// The escrow's price of one job with `redundancy` operators of the model `model_hash`.
pub async fn job_price<C: ChainClient>(
    client: &C,
    escrow: &str,
    model_hash: [u8; 32],
    redundancy: u32,
) -> anyhow::Result<Coin> {
    let price: PriceResponse = query(
        client,
        escrow,
        &QueryMsg::Price {
            model_hash: HexBinary::from(model_hash.to_vec()),
            redundancy: Some(redundancy),
        },
    )
    .await
    .context("cannot query the job price")?;
    let amount = Uint128::try_from(price.total.amount).context("job price out of range")?;
    Ok(Coin::new(amount, price.total.denom))
}

/// What `jobs` jobs at `price` cost together (the price fits in 128 bits: [`job_price`] checks).
pub fn budget(price: &Coin, jobs: u32) -> u128 {
    Uint128::try_from(price.amount)
        .map_or(u128::MAX, |amount| amount.u128())
        .saturating_mul(u128::from(jobs))
}

/// Submits `options.jobs` samples as `consumer` (at most `max_open_jobs` open at once; the
/// submissions of one round go out together, so that they share a block) and waits until every
/// job settled, calling `Settle` for jobs whose reveal deadline passed.
pub async fn run<C: ChainClient>(
    consumer: &C,
    workload: Workload<'_>,
    options: &DemoOptions,
    cancel: CancellationToken,
) -> anyhow::Result<WorkloadOutcome> {
    let names = |address: &str| {
        workload
            .operators
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

    let samples = workload.samples;
    let mut jobs: BTreeMap<u64, SubmittedJob> = BTreeMap::new();
    let mut observer = Observer::new(workload.escrow.to_string());
    let mut next_sample = 0usize;
    let mut open = 0u32;
    let mut settled_count = 0u32;
    let mut cursor = consumer.latest_height().await?;
    let start_height = cursor;
    let started = Instant::now();
    let mut last_progress = cursor;
    let mut interrupted = false;
    let mut submit_gas = 0;

    while settled_count < options.jobs {
        let room = options.max_open_jobs.saturating_sub(open) as usize;
        let round: Vec<&Sample> = (next_sample..options.jobs as usize)
            .take(room)
            .map(|index| &samples[index % samples.len()])
            .collect();
        let submitted = submit_all(consumer, &workload, &round)
            .await
            .with_context(|| format!("cannot submit the jobs from sample {next_sample} on"))?;
        for ((job_id, gas), sample) in submitted.into_iter().zip(&round) {
            submit_gas += gas;
            jobs.insert(
                job_id,
                SubmittedJob {
                    label: sample.label,
                    predicted: None,
                    row: None,
                    reveal_deadline: None,
                },
            );
        }
        next_sample += round.len();
        open += round.len() as u32;
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
                query(consumer, workload.escrow, &QueryMsg::Job { job_id }).await?;
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
        settle_expired(consumer, workload.escrow, &jobs, latest).await;
        if latest.saturating_sub(last_progress) > 4 * workload.window_blocks {
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
        submit_gas,
        interrupted,
    })
}

/// Submits one job per sample, all at once; returns their ids and gas in the samples' order.
async fn submit_all<C: ChainClient>(
    consumer: &C,
    workload: &Workload<'_>,
    samples: &[&Sample],
) -> anyhow::Result<Vec<(u64, u64)>> {
    let mut submissions = tokio::task::JoinSet::new();
    for (index, sample) in samples.iter().enumerate() {
        let consumer = consumer.clone();
        let contract = workload.consumer_contract.to_string();
        let price = workload.price.clone();
        let image = sample.image.clone();
        submissions.spawn(async move {
            let job_id = submit(&consumer, &contract, &price, &image).await;
            (index, job_id)
        });
    }
    let mut job_ids = vec![(0, 0); samples.len()];
    while let Some(joined) = submissions.join_next().await {
        let (index, job_id) = joined.context("a submission task panicked")?;
        job_ids[index] = job_id?;
    }
    Ok(job_ids)
}

/// Asks the consumer contract for an inference; it submits the job to the escrow (and receives
/// the result by callback). Returns the job id and the transaction's gas.
async fn submit<C: ChainClient>(
    user: &C,
    consumer_contract: &str,
    price: &Coin,
    image: &[u8],
) -> anyhow::Result<(u64, u64)> {
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
        .map(|submitted| (submitted.job_id, tx.gas_used))
        .context("SubmitJob emitted no job id")
}

/// Anyone may settle a job after its reveal deadline; the consumer does it for its own jobs.
async fn settle_expired<C: ChainClient>(
    consumer: &C,
    escrow: &str,
    jobs: &BTreeMap<u64, SubmittedJob>,
    height: u64,
) {
    for (job_id, job) in jobs {
        let expired = job
            .reveal_deadline
            .is_some_and(|deadline| height > deadline);
        if job.row.is_none() && expired {
            let msg = ExecuteMsg::Settle { job_id: *job_id };
            if let Err(e) = execute(consumer, escrow, &msg, vec![]).await {
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
