//! Failures of the sub-messages a settlement sends. None of them undoes the settlement: a refused
//! payment is credited to the treasury (so no unit is stranded), a refused slash and a failed
//! callback are recorded.

use cosmwasm_std::{DepsMut, Event, Reply, Response, StdError, SubMsgResult};
use sibyl_api::escrow::events;

use crate::error::ContractError;
use crate::settlement::{PaymentPayload, SlashPayload, REPLY_CALLBACK, REPLY_PAYMENT, REPLY_SLASH};
use crate::state::{CALLBACK_ERRORS, TREASURY_OWED};

/// Stored error messages are cut to this many bytes to bound the write.
const MAX_ERROR_LEN: usize = 256;

pub fn reply(deps: DepsMut, msg: Reply) -> Result<Response, ContractError> {
    // Every sub-message is sent with `reply_on_error`, so only failures arrive here.
    let SubMsgResult::Err(error) = msg.result else {
        return Ok(Response::new());
    };
    let error = truncate(error);
    let event = match msg.id {
        REPLY_CALLBACK => {
            let job_id = <[u8; 8]>::try_from(msg.payload.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| StdError::msg("corrupt callback payload"))?;
            CALLBACK_ERRORS.save(deps.storage, job_id, &error)?;
            Event::new(events::CALLBACK_FAILED).add_attribute("job_id", job_id.to_string())
        }
        REPLY_PAYMENT => {
            let payment = PaymentPayload::try_from(msg.payload).map_err(StdError::msg)?;
            TREASURY_OWED.update(deps.storage, |owed| -> Result<_, ContractError> {
                Ok(owed.checked_add(payment.amount)?)
            })?;
            Event::new(events::PAYMENT_FAILED)
                .add_attribute("job_id", payment.job_id.to_string())
                .add_attribute("operator", payment.operator)
                .add_attribute("amount", payment.amount)
        }
        REPLY_SLASH => {
            let slash = SlashPayload::try_from(msg.payload).map_err(StdError::msg)?;
            Event::new(events::SLASH_FAILED)
                .add_attribute("job_id", slash.job_id.to_string())
                .add_attribute("operator", slash.operator)
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
