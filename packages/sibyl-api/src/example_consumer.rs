//! Messages of the example consumer contract (`contracts/example-consumer`), here so that clients
//! (the oracle's `deploy`, the demo, tests) need not link the contract. Copy the `SibylCallback`
//! variant into your own contract.

use crate::consumer::JobCallback;
use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Addr, Binary, HexBinary};

#[cw_serde]
pub struct InstantiateMsg {
    /// The sibyl-job-escrow contract this consumer trusts for callbacks.
    pub escrow: String,
    /// The registered model every request runs.
    pub model_hash: HexBinary,
    /// Operators asked per request; `None` uses the escrow's default.
    pub redundancy: Option<u32>,
    /// Matching answers needed; `None` uses a strict majority.
    pub quorum: Option<u32>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Runs the model on `input`. Send exactly the escrow's `Price {}` in its fee denom: the funds
    /// are forwarded to the escrow, and any refund is forwarded back to you.
    RequestInference { input: Binary },
    /// Sent by the escrow when a job ends (the one variant every Sibyl consumer needs).
    SibylCallback(JobCallback),
    /// Anyone: settles a request whose job ended without a successful callback (the callback
    /// ran out of gas or failed). Reads the job from the escrow, stores its status and output
    /// and forwards the job's refund, which the escrow sent to this contract, to the requester.
    Reconcile { job_id: u64 },
}

/// `migrate` message: nothing to set.
#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(RequestResponse)]
    Request { job_id: u64 },
}

#[cw_serde]
pub struct ConfigResponse {
    pub escrow: Addr,
    pub model_hash: HexBinary,
    pub redundancy: Option<u32>,
    pub quorum: Option<u32>,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum RequestStatus {
    Pending,
    Completed,
    Failed,
}

#[cw_serde]
pub struct RequestResponse {
    pub job_id: u64,
    pub requester: Addr,
    pub status: RequestStatus,
    /// The model's output (canonical tensor encoding) once completed.
    pub output: Option<Binary>,
}
