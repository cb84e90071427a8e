//! Replies to the sub-messages a settlement sends. No failure undoes the settlement: a refused
//! payment is credited to the treasury (so no unit is stranded), a refused slash and a failed
//! callback are recorded. A slash that succeeded is reported here too, so the `sibyl_slash`
//! event means the stake was actually taken.

use cosmwasm_std::{Binary, DepsMut, Reply, Response, StdError, SubMsgResult};
use serde::de::IgnoredAny;
use serde::Deserialize;
use sibyl_api::escrow::events::{
    CallbackFailed, OperatorSlashed, PaymentFailed, SlashFailed, TypedEvent,
};

use crate::error::ContractError;
use crate::settlement::{PaymentPayload, SlashPayload, REPLY_CALLBACK, REPLY_PAYMENT, REPLY_SLASH};
use crate::state::{CallbackError, TreasuryOwed, CALLBACK_ERRORS, TREASURY_OWED};

/// Stored error messages are cut to this many bytes to bound the write.
const MAX_ERROR_LEN: usize = 256;

/// The parts of a [`Reply`] the escrow reads, decoded from the same JSON. The wasm `reply` export
/// decodes this instead of `Reply`, whose successful result (events, attributes, message
/// responses) would add a JSON decoder per type to the wasm for data the escrow never reads.
#[derive(Deserialize, Clone, Debug, PartialEq)]
pub struct ReplyMsg {
    pub id: u64,
    #[serde(default)]
    pub payload: Binary,
    pub result: ReplyResult,
}

/// `SubMsgResult` with the success skipped.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ReplyResult {
    Ok(IgnoredAny),
    Error(String),
}

impl From<Reply> for ReplyMsg {
    fn from(reply: Reply) -> ReplyMsg {
        ReplyMsg {
            id: reply.id,
            payload: reply.payload,
            result: match reply.result {
                SubMsgResult::Ok(_) => ReplyResult::Ok(IgnoredAny),
                SubMsgResult::Err(error) => ReplyResult::Error(error),
            },
        }
    }
}

pub fn reply(deps: DepsMut, msg: ReplyMsg) -> Result<Response, ContractError> {
    // Slashes are sent with `reply_always`, every other sub-message with `reply_on_error`.
    let error = match msg.result {
        ReplyResult::Error(error) => error,
        ReplyResult::Ok(_) if msg.id == REPLY_SLASH => {
            let slash = SlashPayload::try_from(msg.payload).map_err(StdError::msg)?;
            return Ok(Response::new().add_event(
                OperatorSlashed {
                    job_id: slash.job_id,
                    operator: slash.operator,
                    reason: slash.reason.name().to_string(),
                    fraction: slash.fraction,
                }
                .to_event(),
            ));
        }
        ReplyResult::Ok(_) => return Ok(Response::new()),
    };
    let error = truncate(error);
    let event = match msg.id {
        REPLY_CALLBACK => {
            let job_id = <[u8; 8]>::try_from(msg.payload.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| StdError::msg("corrupt callback payload"))?;
            CALLBACK_ERRORS.save(deps.storage, job_id, &CallbackError(error.clone()))?;
            CallbackFailed { job_id }.to_event()
        }
        REPLY_PAYMENT => {
            let payment = PaymentPayload::try_from(msg.payload).map_err(StdError::msg)?;
            TREASURY_OWED.update(
                deps.storage,
                |TreasuryOwed(owed)| -> Result<_, ContractError> {
                    Ok(TreasuryOwed(owed.checked_add(payment.amount)?))
                },
            )?;
            PaymentFailed {
                job_id: payment.job_id,
                operator: payment.operator,
                amount: payment.amount,
            }
            .to_event()
        }
        REPLY_SLASH => {
            let slash = SlashPayload::try_from(msg.payload).map_err(StdError::msg)?;
            SlashFailed {
                job_id: slash.job_id,
                operator: slash.operator,
                reason: slash.reason.name().to_string(),
            }
            .to_event()
        }
        id => return Err(ContractError::UnknownReply { id }),
    };
    Ok(Response::new().add_event(event.add_attribute("error", error)))
}

fn truncate(mut error: String) -> String {
    if error.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_vec, Attribute, Event, MsgResponse, SubMsgResponse};

    fn decoded(reply: Reply) -> ReplyMsg {
        from_json(to_json_vec(&reply).unwrap()).unwrap()
    }

    #[test]
    fn reply_json_decodes_to_the_fields_read() {
        #[allow(deprecated)] // `data` is deprecated but still sent by CosmWasm 1.x chains.
        let ok = Reply {
            id: 2,
            payload: Binary::from(b"payload"),
            gas_used: 77,
            result: SubMsgResult::Ok(SubMsgResponse {
                events: vec![Event::new("transfer").add_attributes(vec![Attribute::new("a", "b")])],
                data: Some(Binary::from(b"data")),
                msg_responses: vec![MsgResponse {
                    type_url: "/x".to_string(),
                    value: Binary::from(b"v"),
                }],
            }),
        };
        assert_eq!(decoded(ok.clone()), ReplyMsg::from(ok));
        let failed = Reply {
            id: 3,
            payload: Binary::default(),
            gas_used: 0,
            result: SubMsgResult::Err("refused".to_string()),
        };
        let msg = decoded(failed.clone());
        assert_eq!(msg.result, ReplyResult::Error("refused".to_string()));
        assert_eq!(msg, ReplyMsg::from(failed));
        // Chains running CosmWasm 1.x send no payload.
        let msg: ReplyMsg = from_json(br#"{"id":1,"result":{"error":"e"}}"#).unwrap();
        assert_eq!(msg.payload, Binary::default());
    }
}
