use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("only the escrow {escrow} may deliver results")]
    NotEscrow { escrow: String },

    #[error("no request is waiting for job {job_id}")]
    UnknownRequest { job_id: u64 },

    #[error("the escrow's SubmitJob response carries no job id")]
    MissingJobId,
}
