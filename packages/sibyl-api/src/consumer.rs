//! The message a consumer contract receives when its job ends.
//!
//! A consumer adds one variant to its own `ExecuteMsg`:
//!
//! ```text
//! #[cw_serde]
//! pub enum ExecuteMsg {
//!     // ... its own variants ...
//!     SibylCallback(sibyl_api::consumer::JobCallback),
//! }
//! ```
//!
//! which deserializes what the escrow sends (`{"sibyl_callback": {...}}`). The consumer must check
//! that the sender is the escrow contract it trusts. The escrow calls back only the contract that
//! submitted the job (`SubmitJob { callback: true, .. }`), so a callback from the trusted escrow
//! is always about one of the consumer's own jobs.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{to_json_binary, Binary, Coin, CosmosMsg, HexBinary, StdResult, WasmMsg};

/// How a job ended, as seen by its consumer.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum CallbackStatus {
    /// A quorum agreed on `output`.
    Completed,
    /// No quorum by the reveal deadline. `refund` is the price less what revealers and
    /// decliners were paid and the protocol fee (see docs/escrow.md).
    Failed,
}

#[cw_serde]
pub struct JobCallback {
    pub job_id: u64,
    pub status: CallbackStatus,
    /// The agreed output (canonical encoding), when completed.
    pub output: Option<Binary>,
    pub output_hash: Option<HexBinary>,
    /// Sent to the consumer by a bank transfer just before this callback (it stays with the
    /// consumer even if the callback fails: the job query's `refund` reports it too): on
    /// completion the shares of operators who did not agree, on failure what nobody earned.
    pub refund: Coin,
}

/// The execute message the escrow sends to a consumer's callback contract.
#[cw_serde]
pub enum CallbackExecuteMsg {
    SibylCallback(JobCallback),
}

impl JobCallback {
    /// The wasm message that delivers this callback to `contract`.
    pub fn into_cosmos_msg(self, contract: impl Into<String>) -> StdResult<CosmosMsg> {
        Ok(WasmMsg::Execute {
            contract_addr: contract.into(),
            msg: to_json_binary(&CallbackExecuteMsg::SibylCallback(self))?,
            funds: vec![],
        }
        .into())
    }
}
