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

    #[error("request for job {job_id} is already settled")]
    AlreadySettled { job_id: u64 },

    #[error("job {job_id} is still open: wait for its settlement")]
    JobStillOpen { job_id: u64 },

    #[error("cannot migrate from contract {stored}: this code is {expected}")]
    WrongContract { stored: String, expected: String },

    #[error("cannot migrate from version {stored} to the older {current}")]
    Downgrade { stored: String, current: String },
}
