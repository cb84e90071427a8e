//! The job escrow: deployment next to a populated staking contract, and every message measured,
//! including whole job lifecycles with real commitments and secp256k1 attestations.

use cosmwasm_std::Checksum;
use cosmwasm_std::{from_json, Addr, Binary, Coin, Decimal, HexBinary};
use sibyl_api::attestation;
use sibyl_api::escrow::{
    ConfigUpdate, DType, ExecuteMsg, InstantiateMsg, JobInput, JobResponse, JobStatus, JobsFilter,
    PriceResponse, QueryMsg, SeedSource, SubmitJobResponse, TensorSpec,
};

use super::staking::{self, StakingDeployment};
use super::{uint, Measurements, ScenarioError, DENOM};
use crate::chain::{Chain, Gas, Receipt, CHAIN_ID};

pub const COMMIT_WINDOW: u64 = 20;
pub const REVEAL_WINDOW: u64 = 20;
/// A digits classifier's input: an 8×8 image, one byte per pixel.
pub const INPUT_BYTES: usize = 64;
/// Its output: ten int32 logits in the canonical encoding.
pub const OUTPUT_BYTES: usize = 40;
/// Jobs run to completion before the measured one, so that lists and indexes are not empty.
pub const PRIOR_JOBS: usize = 5;

pub struct EscrowDeployment {
    pub staking: StakingDeployment,
    pub escrow: Addr,
    pub admin: Addr,
    pub model_hash: [u8; 32],
}

/// Where one job's calls went.
pub struct JobRun {
    pub job_id: u64,
    pub submit: Receipt,
    /// The `AssignJobs` of the next block, which draws the operators.
    pub assign: Receipt,
    pub commits: Vec<Receipt>,
    pub reveals: Vec<Receipt>,
    /// The explicit `Settle`, when the last reveal did not settle the job itself.
    pub settle: Option<Receipt>,
    /// The job's status after the last transaction.
    pub final_status: JobStatus,
}

impl JobRun {
    /// Every transaction of the job in order.
    pub fn transactions(&self) -> Vec<(String, &Receipt)> {
        let mut all = vec![
            ("SubmitJob".to_string(), &self.submit),
            ("AssignJobs".to_string(), &self.assign),
        ];
        all.extend(
            self.commits
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("Commit #{}", i + 1), r)),
        );
        all.extend(
            self.reveals
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("Reveal #{}", i + 1), r)),
        );
        all.extend(self.settle.iter().map(|r| ("Settle".to_string(), r)));
        all
    }

    /// Gas of the whole job, every contract and sub-message included.
    pub fn total_gas(&self) -> Gas {
        let mut total = Gas::default();
        for (_, receipt) in self.transactions() {
            total.add(&receipt.total_gas());
        }
        total
    }
}

/// How the assigned operators behave in a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Everyone commits and reveals the same output.
    AllAgree,
    /// The last assigned operator never commits; the others agree.
    LastMissing,
    /// Nobody commits: the job fails at its deadline.
    NobodyAnswers,
}

pub fn model_hash() -> [u8; 32] {
    attestation::input_hash(b"sibyl digits classifier v1 (stand-in model bytes)")
}

pub fn input_bytes(job_seed: u64) -> Vec<u8> {
    (0..INPUT_BYTES)
        .map(|i| (i as u64 * 7 + job_seed) as u8)
        .collect()
}

pub fn output_bytes() -> Vec<u8> {
    (0..OUTPUT_BYTES).map(|i| (i * 13) as u8).collect()
}

fn instantiate_msg(chain: &Chain, staking: &Addr, admin: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        admin: Some(admin.to_string()),
        staking_contract: staking.to_string(),
        fee_denom: DENOM.to_string(),
        price_per_unit: uint(1_000),
        protocol_fee_bps: 500,
        treasury: chain.account("treasury").to_string(),
        commit_window: COMMIT_WINDOW,
        reveal_window: REVEAL_WINDOW,
        default_redundancy: 3,
        max_redundancy: 7,
        max_inline_input_bytes: 4_096,
        max_output_bytes: 4_096,
        wrong_result_slash: Decimal::percent(5),
        missed_job_slash: Decimal::percent(1),
        chain_id: CHAIN_ID.to_string(),
        callback_gas_limit: 500_000,
        seed_source: SeedSource::BlockData,
        decline_fee_bps: 2_000,
        max_block_time_secs: 6,
        settlement_margin: 100,
    }
}

fn register_model_msg(hash: [u8; 32], admin: &Addr) -> ExecuteMsg {
    ExecuteMsg::RegisterModel {
        model_hash: HexBinary::from(hash),
        uri: "https://models.sibyl.example/digits-v1.sibyl".to_string(),
        input_spec: TensorSpec {
            dtype: DType::U8,
            shape: vec![1, 8, 8],
        },
        output_spec: TensorSpec {
            dtype: DType::I32,
            shape: vec![1, 10],
        },
        cost_units: 100,
        owner: Some(admin.to_string()),
    }
}

/// Deploys staking and escrow, makes the escrow a slasher and registers the model; the
/// instantiation and model registration receipts are returned for the report.
pub fn deploy(
    chain: &Chain,
    staking_code: &Checksum,
    escrow_code: &Checksum,
) -> Result<(EscrowDeployment, Receipt, Receipt), ScenarioError> {
    let staking = staking::deploy(chain, staking_code)?;
    let admin = chain.account("escrow-admin");
    let msg = instantiate_msg(chain, &staking.contract, &admin);
    let (escrow, instantiate) = chain.instantiate(escrow_code, "escrow", &admin, &msg, &[])?;
    let add_slasher = sibyl_api::staking::ExecuteMsg::UpdateSlashers {
        add: vec![escrow.to_string()],
        remove: vec![],
    };
    chain.execute(&staking.admin, &staking.contract, &add_slasher, &[])?;
    let hash = model_hash();
    let register = chain.execute(&admin, &escrow, &register_model_msg(hash, &admin), &[])?;
    let deployment = EscrowDeployment {
        staking,
        escrow,
        admin,
        model_hash: hash,
    };
    Ok((deployment, instantiate, register))
}

pub fn price(chain: &Chain, d: &EscrowDeployment, redundancy: u32) -> Result<Coin, ScenarioError> {
    let query = QueryMsg::Price {
        model_hash: HexBinary::from(d.model_hash),
        redundancy: Some(redundancy),
    };
    let price: PriceResponse = chain.query(&d.escrow, &query)?;
    Ok(price.total)
}

pub fn job(chain: &Chain, d: &EscrowDeployment, job_id: u64) -> Result<JobResponse, ScenarioError> {
    Ok(chain.query(&d.escrow, &QueryMsg::Job { job_id })?)
}

pub fn submit_msg(
    d: &EscrowDeployment,
    job_seed: u64,
    redundancy: u32,
    callback: bool,
) -> ExecuteMsg {
    ExecuteMsg::SubmitJob {
        model_hash: HexBinary::from(d.model_hash),
        input: JobInput::Inline {
            data: Binary::new(input_bytes(job_seed)),
        },
        redundancy: Some(redundancy),
        quorum: None,
        callback,
    }
}

/// The job id in a `SubmitJob` response's data.
pub fn submitted_job_id(receipt: &Receipt) -> Result<u64, ScenarioError> {
    let data = receipt
        .response
        .data
        .as_ref()
        .ok_or_else(|| ScenarioError::Unexpected("SubmitJob returned no data".to_string()))?;
    let response: SubmitJobResponse = from_json(data).map_err(|e| {
        ScenarioError::Unexpected(format!("SubmitJob data is not a SubmitJobResponse: {e}"))
    })?;
    Ok(response.job_id)
}

/// Submits a job from `consumer` and plays it out with the assigned operators behaving as
/// `behaviour` says.
pub fn run_job(
    chain: &Chain,
    d: &EscrowDeployment,
    consumer: &Addr,
    job_seed: u64,
    redundancy: u32,
    behaviour: Behaviour,
) -> Result<JobRun, ScenarioError> {
    let total = price(chain, d, redundancy)?;
    let submit_msg = submit_msg(d, job_seed, redundancy, false);
    let submit = chain.execute(consumer, &d.escrow, &submit_msg, &[total])?;
    let job_id = submitted_job_id(&submit)?;
    play_job(chain, d, submit, job_id, job_seed, behaviour)
}

/// Assigns (in the next block), commits, reveals and (if the last reveal did not) settles a
/// submitted job.
pub fn play_job(
    chain: &Chain,
    d: &EscrowDeployment,
    submit: Receipt,
    job_id: u64,
    job_seed: u64,
    behaviour: Behaviour,
) -> Result<JobRun, ScenarioError> {
    chain.advance_blocks(1);
    let keeper = chain.account("keeper");
    let assign = chain.execute(
        &keeper,
        &d.escrow,
        &ExecuteMsg::AssignJobs { limit: None },
        &[],
    )?;
    let assigned: Vec<Addr> = job(chain, d, job_id)?
        .assignments
        .into_iter()
        .map(|a| a.operator)
        .collect();
    let answering = match behaviour {
        Behaviour::AllAgree => assigned.len(),
        Behaviour::LastMissing => assigned.len().saturating_sub(1),
        Behaviour::NobodyAnswers => 0,
    };
    let output = output_bytes();
    let output_hash = attestation::output_hash(&output);
    let input_hash = attestation::input_hash(&input_bytes(job_seed));
    let salt = |operator: &Addr| Binary::new(attestation::input_hash(operator.as_bytes()).to_vec());

    let mut commits = Vec::new();
    for operator in &assigned[..answering] {
        let commitment =
            attestation::commitment(job_id, &output_hash, &salt(operator), operator.as_str());
        let msg = ExecuteMsg::Commit {
            job_id,
            commitment: Binary::from(commitment),
        };
        commits.push(chain.execute(operator, &d.escrow, &msg, &[])?);
    }
    if answering < assigned.len() {
        chain.advance_blocks(COMMIT_WINDOW + 1);
    }
    let digest = attestation::attestation_digest(
        CHAIN_ID,
        d.escrow.as_str(),
        job_id,
        &d.model_hash,
        &input_hash,
        &output_hash,
    );
    let mut reveals = Vec::new();
    for operator in &assigned[..answering] {
        let key = &d
            .staking
            .operators
            .iter()
            .find(|o| o.address == operator)
            .ok_or_else(|| {
                ScenarioError::Unexpected(format!("{operator} is not a known operator"))
            })?
            .key;
        let msg = ExecuteMsg::Reveal {
            job_id,
            operator: operator.to_string(),
            output: Binary::new(output.clone()),
            salt: salt(operator),
            signature: key.sign_digest(&digest),
        };
        reveals.push(chain.execute(operator, &d.escrow, &msg, &[])?);
    }
    let settle = if job(chain, d, job_id)?.job.status == JobStatus::Open {
        chain.advance_blocks(COMMIT_WINDOW + REVEAL_WINDOW + 1);
        let anyone = chain.account("settler");
        Some(chain.execute(&anyone, &d.escrow, &ExecuteMsg::Settle { job_id }, &[])?)
    } else {
        None
    };
    let final_status = job(chain, d, job_id)?.job.status;
    Ok(JobRun {
        job_id,
        submit,
        assign,
        commits,
        reveals,
        settle,
        final_status,
    })
}

/// Everything measured for the escrow.
pub struct EscrowReport {
    pub messages: Measurements,
    /// The k = 3 job where every operator agrees: the lifecycle the 400k target is about.
    pub lifecycle: JobRun,
    /// A k = 3 job where one operator misses (settled at the deadline, one slash).
    pub lifecycle_with_miss: JobRun,
}

pub fn measure(
    chain: &Chain,
    staking_code: &Checksum,
    escrow_code: &Checksum,
) -> Result<EscrowReport, ScenarioError> {
    let mut rows = Measurements::default();
    let (d, instantiate, register) = deploy(chain, staking_code, escrow_code)?;
    rows.push("Instantiate", instantiate);
    rows.push("RegisterModel", register);
    let consumer = chain.account("consumer");
    for seed in 0..PRIOR_JOBS as u64 {
        run_job(chain, &d, &consumer, 1_000 + seed, 3, Behaviour::AllAgree)?;
    }

    let lifecycle = run_job(chain, &d, &consumer, 1, 3, Behaviour::AllAgree)?;
    for (name, receipt) in lifecycle.transactions() {
        rows.push(format!("{name} (k=3, all agree)"), receipt.clone());
    }
    let settled = ExecuteMsg::Settle {
        job_id: lifecycle.job_id,
    };
    rows.push(
        "Settle (already settled: no-op)",
        chain.execute(&consumer, &d.escrow, &settled, &[])?,
    );

    let lifecycle_with_miss = run_job(chain, &d, &consumer, 2, 3, Behaviour::LastMissing)?;
    for (name, receipt) in lifecycle_with_miss.transactions().into_iter().skip(1) {
        rows.push(
            format!("{name} (k=3, one operator missed)"),
            receipt.clone(),
        );
    }
    let failed = run_job(chain, &d, &consumer, 3, 3, Behaviour::NobodyAnswers)?;
    if let Some(settle) = &failed.settle {
        rows.push("Settle (k=3, no answer: refund, 3 slashes)", settle.clone());
    }

    let total = price(chain, &d, 3)?;
    let cancelled = chain.execute(&consumer, &d.escrow, &submit_msg(&d, 4, 3, false), &[total])?;
    let cancel = ExecuteMsg::Cancel {
        job_id: submitted_job_id(&cancelled)?,
    };
    rows.push("Cancel", chain.execute(&consumer, &d.escrow, &cancel, &[])?);

    let anyone = chain.account("anyone");
    rows.push(
        "WithdrawTreasury",
        chain.execute(&anyone, &d.escrow, &ExecuteMsg::WithdrawTreasury {}, &[])?,
    );
    let model = HexBinary::from(d.model_hash);
    let update_uri = ExecuteMsg::UpdateModelUri {
        model_hash: model.clone(),
        uri: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi".to_string(),
    };
    rows.push(
        "UpdateModelUri",
        chain.execute(&d.admin, &d.escrow, &update_uri, &[])?,
    );
    let update_config = ExecuteMsg::UpdateConfig(ConfigUpdate {
        price_per_unit: Some(uint(1_200)),
        commit_window: Some(30),
        ..ConfigUpdate::default()
    });
    rows.push(
        "UpdateConfig",
        chain.execute(&d.admin, &d.escrow, &update_config, &[])?,
    );

    measure_queries(chain, &d, &consumer, lifecycle.job_id, &mut rows)?;

    let deprecate = ExecuteMsg::DeprecateModel { model_hash: model };
    rows.push(
        "DeprecateModel",
        chain.execute(&d.admin, &d.escrow, &deprecate, &[])?,
    );
    Ok(EscrowReport {
        messages: rows,
        lifecycle,
        lifecycle_with_miss,
    })
}

fn measure_queries(
    chain: &Chain,
    d: &EscrowDeployment,
    consumer: &Addr,
    job_id: u64,
    rows: &mut Measurements,
) -> Result<(), ScenarioError> {
    let model = HexBinary::from(d.model_hash);
    let operator = d.staking.operators[0].address.to_string();
    let queries = [
        ("query Config", QueryMsg::Config {}),
        (
            "query Model",
            QueryMsg::Model {
                model_hash: model.clone(),
            },
        ),
        (
            "query Models",
            QueryMsg::Models {
                start_after: None,
                limit: None,
            },
        ),
        (
            "query Price",
            QueryMsg::Price {
                model_hash: model,
                redundancy: Some(3),
            },
        ),
        ("query Job", QueryMsg::Job { job_id }),
        (
            "query Jobs (by consumer)",
            QueryMsg::Jobs {
                filter: JobsFilter::Consumer {
                    address: consumer.to_string(),
                },
                start_after: None,
                limit: None,
            },
        ),
        (
            "query Jobs (by status)",
            QueryMsg::Jobs {
                filter: JobsFilter::Status {
                    status: JobStatus::Completed,
                },
                start_after: None,
                limit: None,
            },
        ),
        (
            "query PendingWork",
            QueryMsg::PendingWork {
                operator,
                start_after: None,
                limit: None,
            },
        ),
        ("query Treasury", QueryMsg::Treasury {}),
    ];
    for (name, query) in queries {
        rows.push(name, chain.query_receipt(&d.escrow, &query)?);
    }
    Ok(())
}
