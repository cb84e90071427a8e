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
//! that the sender is the escrow contract it trusts.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{to_json_binary, Binary, Coin, CosmosMsg, HexBinary, StdResult, WasmMsg};

/// How a job ended, as seen by its consumer.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum CallbackStatus {
    /// A quorum agreed on `output`.
    Completed,
    /// No quorum by the reveal deadline; the whole price was refunded.
    Failed,
}

#[cw_serde]
pub struct JobCallback {
    pub job_id: u64,
    pub status: CallbackStatus,
    /// The agreed output (canonical encoding), when completed.
    pub output: Option<Binary>,
    pub output_hash: Option<HexBinary>,
    /// Sent to the consumer by a bank transfer just before this callback: the whole price on
    /// failure, the shares of operators who did not agree on completion.
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
