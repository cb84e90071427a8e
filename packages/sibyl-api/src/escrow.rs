//! Job-escrow contract messages.
//!
//! Hashes (model, input, output) travel as lowercase hex ([`HexBinary`]); raw bytes (inputs,
//! outputs, salts, commitments, signatures) as base64 ([`Binary`]). Heights are block heights.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, Coin, Decimal, HexBinary, Uint128};

/// The escrow's cw2 contract name: a node checks it before working for a contract.
pub const CONTRACT_NAME: &str = "crates.io:sibyl-job-escrow";

/// Largest `limit` a paginated query accepts (`Jobs`, `Models`, `PendingWork`); larger values
/// are lowered to it. A client pages until the escrow returns an empty page.
pub const MAX_QUERY_LIMIT: u32 = 30;
/// `limit` used when a paginated query gives none.
pub const DEFAULT_QUERY_LIMIT: u32 = 10;
/// Most jobs one `AssignJobs` draws (and the number it draws when given no `limit`).
pub const MAX_ASSIGN_BATCH: u32 = 10;
/// Part of the escrow's error for a reveal sent before the reveal phase opened: a node whose
/// reveal lands a block early retries it instead of giving the job up.
pub const REVEAL_PHASE_NOT_OPEN: &str = "open when every operator has committed";

pub mod events;

/// Where the assignment seed comes from. Only block data exists today; a randomness beacon can be
/// added as another variant without changing the rest of the contract.
#[cw_serde]
pub enum SeedSource {
    /// sha256 of the job id, the escrow's reveal-salt accumulator and the chain id, height, time
    /// and transaction index of the `AssignJobs` transaction, which runs in a later block than the
    /// submission. The submitter cannot know it when it pays; that block's proposer can influence
    /// it (docs/escrow.md, *Operator assignment*).
    BlockData,
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Defaults to the instantiating account.
    pub admin: Option<String>,
    /// The sibyl-staking contract; this escrow must be added to its slashers.
    pub staking_contract: String,
    /// Denom jobs are paid in; must be the staking contract's bond denom.
    pub fee_denom: String,
    /// Price of one model cost unit for one operator.
    pub price_per_unit: Uint128,
    /// Share of every job price kept by the protocol, in basis points (at most 10 000).
    pub protocol_fee_bps: u16,
    /// Receives protocol fees and rounding remainders (see `WithdrawTreasury`).
    pub treasury: String,
    /// Blocks after submission during which assigned operators may commit.
    pub commit_window: u64,
    /// Blocks after the commit deadline during which committed operators may reveal.
    pub reveal_window: u64,
    pub default_redundancy: u32,
    pub max_redundancy: u32,
    pub max_inline_input_bytes: u32,
    pub max_output_bytes: u32,
    /// Fraction of an operator's pool slashed (and the operator jailed) for revealing an output
    /// that disagrees with the quorum.
    pub wrong_result_slash: Decimal,
    /// Fraction of an operator's pool slashed (and the operator jailed) for not committing or not
    /// revealing an assigned job.
    pub missed_job_slash: Decimal,
    /// Chain id bound into attestation digests; must equal the chain's id.
    pub chain_id: String,
    /// Gas given to a consumer's callback (10 000 to 5 000 000); a callback that needs more fails
    /// (recorded on the job) without blocking settlement.
    pub callback_gas_limit: u64,
    pub seed_source: SeedSource,
    /// Share of one operator's fee share, in basis points (at most 10 000), paid to each operator
    /// that declined a job that then failed or was cancelled; the rest of its share goes back to
    /// the consumer.
    pub decline_fee_bps: u16,
    /// Longest block time the chain is expected to have, in seconds (1 to 600). With it, a job's
    /// windows are held below the staking unbonding period: `(commit_window + reveal_window +
    /// settlement_margin) × max_block_time_secs < unbonding_period`.
    pub max_block_time_secs: u64,
    /// Blocks after the reveal deadline allowed for someone to call `Settle` (1 to
    /// `MAX_WINDOW_BLOCKS`).
    pub settlement_margin: u64,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub staking_contract: Addr,
    pub fee_denom: String,
    pub price_per_unit: Uint128,
    pub protocol_fee_bps: u16,
    pub treasury: Addr,
    pub commit_window: u64,
    pub reveal_window: u64,
    pub default_redundancy: u32,
    pub max_redundancy: u32,
    pub max_inline_input_bytes: u32,
    pub max_output_bytes: u32,
    pub wrong_result_slash: Decimal,
    pub missed_job_slash: Decimal,
    pub chain_id: String,
    pub callback_gas_limit: u64,
    pub seed_source: SeedSource,
    pub decline_fee_bps: u16,
    pub max_block_time_secs: u64,
    pub settlement_margin: u64,
}

/// Admin-only changes; `None` keeps the current value. Open jobs keep their price and deadlines;
/// slash fractions in force at settlement apply.
#[cw_serde]
#[derive(Default)]
pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub price_per_unit: Option<Uint128>,
    pub protocol_fee_bps: Option<u16>,
    pub treasury: Option<String>,
    pub commit_window: Option<u64>,
    pub reveal_window: Option<u64>,
    pub default_redundancy: Option<u32>,
    pub max_redundancy: Option<u32>,
    pub max_inline_input_bytes: Option<u32>,
    pub max_output_bytes: Option<u32>,
    pub wrong_result_slash: Option<Decimal>,
    pub missed_job_slash: Option<Decimal>,
    pub chain_id: Option<String>,
    pub callback_gas_limit: Option<u64>,
    pub seed_source: Option<SeedSource>,
    pub decline_fee_bps: Option<u16>,
    pub max_block_time_secs: Option<u64>,
    pub settlement_margin: Option<u64>,
}

/// `migrate` message. Values left `None` keep the current ones; a deployment migrating from
/// 0.1.0 (whose config has none of these fields) gets the defaults of the escrow crate
/// (`DEFAULT_DECLINE_FEE_BPS`, `DEFAULT_MAX_BLOCK_TIME_SECS`, `DEFAULT_SETTLEMENT_MARGIN`)
/// unless it sets them here. The result must pass the same checks as `UpdateConfig`.
#[cw_serde]
#[derive(Default)]
pub struct MigrateMsg {
    pub decline_fee_bps: Option<u16>,
    pub max_block_time_secs: Option<u64>,
    pub settlement_margin: Option<u64>,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum DType {
    I8,
    U8,
    I32,
}

#[cw_serde]
pub struct TensorSpec {
    pub dtype: DType,
    pub shape: Vec<u32>,
}

/// A job's input: the raw input tensor (elements row-major, little-endian), inline (up to
/// `max_inline_input_bytes`) or as a content hash plus a URI where operators fetch bytes whose
/// sha256 must equal `hash`. Either way its length must be the model's input size (elements ×
/// dtype size), which `SubmitJob` checks for inline data and for the declared `size` of a remote
/// input; operators refuse to download more than `size` bytes.
#[cw_serde]
pub enum JobInput {
    Inline {
        data: Binary,
    },
    Remote {
        hash: HexBinary,
        uri: String,
        /// Length of the input in bytes. Jobs submitted before 0.2.0 report 0 (not declared).
        size: u64,
    },
}

/// Why an assigned operator declines a job it cannot serve.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum DeclineReason {
    /// The remote input could not be fetched.
    InputUnavailable,
    /// The fetched input's sha256 differs from the job's input hash.
    InputHashMismatch,
    /// The model file could not be fetched or does not match its hash.
    ModelUnavailable,
    /// The input does not fit the model (size, values).
    InvalidInput,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Admin only (cost units set what operators are paid, and operators cannot refuse jobs).
    RegisterModel {
        /// sha256 of the model file.
        model_hash: HexBinary,
        uri: String,
        input_spec: TensorSpec,
        output_spec: TensorSpec,
        /// Work units of one inference; the price of a job scales with it.
        cost_units: u64,
        /// May update the URI and deprecate the model; defaults to the sender.
        owner: Option<String>,
    },
    /// Model owner or admin.
    UpdateModelUri { model_hash: HexBinary, uri: String },
    /// Model owner or admin. A deprecated model takes no new jobs; open jobs finish normally.
    DeprecateModel { model_hash: HexBinary },
    /// Pays exactly `Price {}` in the fee denom. The response data is a JSON [`SubmitJobResponse`].
    SubmitJob {
        model_hash: HexBinary,
        input: JobInput,
        /// Operators asked (k); defaults to `default_redundancy`.
        redundancy: Option<u32>,
        /// Matching answers needed (m, 1 ≤ m ≤ k); defaults to a strict majority of k.
        quorum: Option<u32>,
        /// When true, the submitter (which must be a contract) receives
        /// [`crate::consumer::CallbackExecuteMsg`] when the job ends. A callback goes to no one
        /// else, so a consumer knows every callback it gets is for a job it submitted.
        #[serde(default)]
        callback: bool,
    },
    /// Anyone (operators' nodes do it): draws the operators of jobs submitted in earlier blocks,
    /// oldest first, at most `limit` of them (default and most [`MAX_ASSIGN_BATCH`]). The commit
    /// window opens at assignment. With nothing due it succeeds and assigns nothing, so nodes racing
    /// to assign the same job all succeed. A job for which too few operators have stake stays
    /// waiting (its consumer may cancel it).
    AssignJobs { limit: Option<u32> },
    /// Assigned operator only, once, while the commit window is open.
    /// `commitment` = [`crate::attestation::commitment`] (32 bytes).
    Commit { job_id: u64, commitment: Binary },
    /// Assigned operator only, instead of committing, while the commit window is open: the
    /// operator cannot serve the job. If the job then fails (or is cancelled) the decliner is not
    /// slashed and is paid `decline_fee_bps` of its share; if the other operators reach a quorum
    /// anyway, the decliner is slashed for liveness like a silent operator.
    Decline { job_id: u64, reason: DeclineReason },
    /// Anyone may post it: the attestation signature by the operator's current attestation key
    /// over [`crate::attestation::attestation_digest`] is what counts.
    Reveal {
        job_id: u64,
        operator: String,
        output: Binary,
        salt: Binary,
        /// 64-byte compact secp256k1 signature.
        signature: Binary,
    },
    /// Anyone. Settles a job whose reveals are all in or whose reveal deadline has passed.
    /// Calling it on a job that is already settled does nothing.
    Settle { job_id: u64 },
    /// Consumer only, before any commit and while the commit window is open (or before the job
    /// is assigned). Refunds the price less the protocol fee and remainder (a cancellation is not
    /// free) and the decline fees of operators who already declined.
    Cancel { job_id: u64 },
    /// Anyone: sends the accrued protocol fees to the treasury.
    WithdrawTreasury {},
    /// Admin only.
    UpdateConfig(ConfigUpdate),
}

/// Data of the `SubmitJob` response.
#[cw_serde]
pub struct SubmitJobResponse {
    pub job_id: u64,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum JobStatus {
    /// Waiting for assignment, commits, reveals or settlement (see [`JobPhase`]).
    Open,
    /// A quorum agreed; the output is stored and operators were paid.
    Completed,
    /// No quorum by the reveal deadline; revealers and decliners were paid, the rest refunded.
    Failed,
    /// Cancelled by the consumer before any commit; refunded less the protocol fee and decline
    /// fees.
    Cancelled,
}

/// Where an open job stands at the queried height.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum JobPhase {
    /// Submitted, operators not drawn yet: `AssignJobs` draws them in a later block.
    Assignment,
    /// Assigned operators may commit (until `commit_deadline`).
    Commit,
    /// Committed operators may reveal (until `reveal_deadline`).
    Reveal,
    /// Nothing more can happen but settlement: anyone may call `Settle`.
    AwaitingSettlement,
}

#[cw_serde]
pub enum JobsFilter {
    Consumer {
        address: String,
    },
    Status {
        status: JobStatus,
    },
    /// Jobs whose operators are not drawn yet, oldest first: what `AssignJobs` would draw.
    AwaitingAssignment {},
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(ModelResponse)]
    Model { model_hash: HexBinary },
    #[returns(ModelsResponse)]
    Models {
        start_after: Option<HexBinary>,
        limit: Option<u32>,
    },
    /// What `SubmitJob` charges for this model and redundancy.
    #[returns(PriceResponse)]
    Price {
        model_hash: HexBinary,
        redundancy: Option<u32>,
    },
    #[returns(JobResponse)]
    Job { job_id: u64 },
    /// Jobs in ascending id order.
    #[returns(JobsResponse)]
    Jobs {
        filter: JobsFilter,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Every job the operator is assigned to and has not finished (revealed) yet, in ascending id
    /// order, with what it must do now. The oracle's source of truth.
    #[returns(PendingWorkResponse)]
    PendingWork {
        operator: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Protocol fees accrued and not yet sent to the treasury.
    #[returns(TreasuryResponse)]
    Treasury {},
}

#[cw_serde]
pub struct ModelResponse {
    pub model_hash: HexBinary,
    pub uri: String,
    pub input_spec: TensorSpec,
    pub output_spec: TensorSpec,
    pub cost_units: u64,
    pub owner: Addr,
    pub deprecated: bool,
}

#[cw_serde]
pub struct ModelsResponse {
    pub models: Vec<ModelResponse>,
}

/// `total = price_per_unit × cost_units × redundancy`, of which `protocol_fee = ⌊total ×
/// protocol_fee_bps / 10 000⌋` and `per_operator = ⌊(total − protocol_fee) / redundancy⌋` is paid to
/// each agreeing operator; `remainder = (total − protocol_fee) mod redundancy` goes to the treasury.
/// A decliner of a job that fails is paid `decline_fee = ⌊per_operator × decline_fee_bps /
/// 10 000⌋` (at the fraction in force at settlement).
#[cw_serde]
pub struct PriceResponse {
    pub total: Coin,
    pub protocol_fee: Uint128,
    pub per_operator: Uint128,
    pub remainder: Uint128,
    pub decline_fee: Uint128,
}

/// What happened to one assigned operator.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum OperatorOutcome {
    /// Still open: nothing decided yet.
    Pending,
    /// Revealed the quorum's output and was paid.
    Paid,
    /// Revealed another output than the quorum's: slashed and jailed.
    SlashedWrongResult,
    /// Did not commit or did not reveal (or declined a job that reached a quorum anyway): slashed
    /// and jailed.
    SlashedMissed,
    /// Revealed, but no quorum formed: paid its share (its output was published), not slashed.
    PaidNoQuorum,
    /// Declined a job that failed or was cancelled: paid the decline fee, not slashed.
    DeclinePaid,
    /// The job was cancelled: neither paid nor slashed.
    Unpaid,
}

#[cw_serde]
pub struct AssignmentResponse {
    pub operator: Addr,
    pub commitment: Option<Binary>,
    pub output_hash: Option<HexBinary>,
    /// Set when the operator declined the job.
    pub declined: Option<DeclineReason>,
    pub outcome: OperatorOutcome,
}

#[cw_serde]
pub struct JobResult {
    pub output: Binary,
    pub output_hash: HexBinary,
}

/// The fields of a job that list queries return.
#[cw_serde]
pub struct JobSummary {
    pub job_id: u64,
    pub consumer: Addr,
    pub model_hash: HexBinary,
    pub input_hash: HexBinary,
    pub redundancy: u32,
    pub quorum: u32,
    /// Whether the consumer (a contract) is called back when the job ends.
    pub callback: bool,
    /// Escrowed payment.
    pub price: Coin,
    pub protocol_fee: Uint128,
    pub submitted_height: u64,
    /// When its operators were drawn; `None` while the job awaits assignment.
    pub assigned_height: Option<u64>,
    /// Both 0 until the job is assigned.
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
    pub status: JobStatus,
    /// Set while the job is open.
    pub phase: Option<JobPhase>,
    pub settled_height: Option<u64>,
    /// What went back to the consumer, once the job is closed (`None` for jobs closed before
    /// 0.2.0).
    pub refund: Option<Coin>,
}

#[cw_serde]
pub struct JobResponse {
    pub job: JobSummary,
    pub input: JobInput,
    pub assignments: Vec<AssignmentResponse>,
    pub commits: u32,
    pub reveals: u32,
    pub declines: u32,
    /// Set once the job is completed.
    pub result: Option<JobResult>,
    /// The consumer callback's error, if it failed.
    pub callback_error: Option<String>,
}

#[cw_serde]
pub struct JobsResponse {
    pub jobs: Vec<JobSummary>,
}

/// What an assigned operator must do next.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum WorkAction {
    /// Compute the output and commit by `deadline_height` (or `Decline` by then if the job
    /// cannot be served).
    Commit,
    /// Committed; the reveal phase opens when every operator has committed or declined, or after
    /// `commit_deadline`, whichever comes first.
    AwaitRevealPhase,
    /// Reveal by `deadline_height`.
    Reveal,
    /// The operator's window has passed; the job only awaits `Settle` (anyone may call it).
    Missed,
}

#[cw_serde]
pub struct PendingWork {
    pub job_id: u64,
    /// Who submitted the job: operators bound the work they take on per consumer.
    pub consumer: Addr,
    pub model_hash: HexBinary,
    pub model_uri: String,
    pub input: JobInput,
    pub input_hash: HexBinary,
    pub action: WorkAction,
    /// Last height at which `action` can be taken.
    pub deadline_height: u64,
    pub commit_deadline: u64,
    pub reveal_deadline: u64,
    /// The commitment the operator posted, if any.
    pub commitment: Option<Binary>,
}

#[cw_serde]
pub struct PendingWorkResponse {
    pub work: Vec<PendingWork>,
}

#[cw_serde]
pub struct TreasuryResponse {
    pub treasury: Addr,
    pub pending: Coin,
}
