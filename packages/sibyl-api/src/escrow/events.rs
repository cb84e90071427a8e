//! Typed events of the job escrow (see [`crate::events`] for how they travel). wasmd prefixes
//! their types with `wasm-` on chain, so the oracle filters on e.g. `wasm-sibyl_assign`.

use cosmwasm_std::{Addr, Decimal, HexBinary, Uint128};

use super::{DeclineReason, JobStatus};
pub use crate::events::TypedEvent;
use crate::events::{invalid, required, AttributeValue, EventError};

crate::typed_event!(
    /// `SubmitJob`.
    JobSubmitted = "sibyl_submit" {
        job_id: u64,
        consumer: Addr,
        model_hash: HexBinary,
        redundancy: u32,
        quorum: u32,
        /// The escrowed price, in the fee denom.
        price: Uint128,
    }
);

crate::typed_event!(
    /// One per operator drawn for a job.
    JobAssigned = "sibyl_assign" {
        job_id: u64,
        operator: Addr,
        model_hash: HexBinary,
        input_hash: HexBinary,
        commit_deadline: u64,
        reveal_deadline: u64,
    }
);

crate::typed_event!(
    /// `Commit`.
    Committed = "sibyl_commit" {
        job_id: u64,
        operator: Addr,
    }
);

crate::typed_event!(
    /// `Decline`.
    Declined = "sibyl_decline" {
        job_id: u64,
        operator: Addr,
        reason: DeclineReason,
    }
);

crate::typed_event!(
    /// `Reveal`.
    Revealed = "sibyl_reveal" {
        job_id: u64,
        operator: Addr,
        output_hash: HexBinary,
    }
);

crate::typed_event!(
    /// A job reached a terminal state: `completed` (with the quorum's `output_hash`), `failed` or
    /// `cancelled`; `refund` is what went back to the consumer.
    JobSettled = "sibyl_settle" {
        job_id: u64,
        status: JobStatus,
        refund: Uint128,
        output_hash: Option<HexBinary>,
    }
);

crate::typed_event!(
    /// A slash the staking contract carried out (emitted from its reply, so a refused slash never
    /// shows up here). `reason` is `wrong_result` or `missed`.
    OperatorSlashed = "sibyl_slash" {
        job_id: u64,
        operator: Addr,
        reason: String,
        fraction: Decimal,
    }
);

crate::typed_event!(
    /// A slash the staking contract refused.
    SlashFailed = "sibyl_slash_failed" {
        job_id: u64,
        operator: Addr,
        reason: String,
    }
);

crate::typed_event!(
    /// A fee payment the staking contract refused; the amount went to the treasury.
    PaymentFailed = "sibyl_payment_failed" {
        job_id: u64,
        operator: Addr,
        amount: Uint128,
    }
);

crate::typed_event!(
    /// The consumer's callback failed; the `Job` query returns the error.
    CallbackFailed = "sibyl_callback_failed" {
        job_id: u64,
    }
);

crate::typed_event!(
    /// `RegisterModel`.
    ModelRegistered = "sibyl_model_registered" {
        model_hash: HexBinary,
        uri: String,
        cost_units: u64,
        owner: Addr,
    }
);

crate::typed_event!(
    /// `WithdrawTreasury`.
    TreasuryWithdrawn = "sibyl_treasury_withdraw" {
        treasury: Addr,
        amount: Uint128,
    }
);

impl DeclineReason {
    /// The reason's name in events and logs (the JSON spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::InputUnavailable => "input_unavailable",
            DeclineReason::InputHashMismatch => "input_hash_mismatch",
            DeclineReason::ModelUnavailable => "model_unavailable",
            DeclineReason::InvalidInput => "invalid_input",
        }
    }
}

impl AttributeValue for DeclineReason {
    fn encode(&self) -> Option<String> {
        Some(self.as_str().to_string())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        let value = required(key, value)?;
        [
            DeclineReason::InputUnavailable,
            DeclineReason::InputHashMismatch,
            DeclineReason::ModelUnavailable,
            DeclineReason::InvalidInput,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == value)
        .ok_or_else(|| invalid(key, value))
    }
}

impl JobStatus {
    /// The status's name in events (the JSON spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Open => "open",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl AttributeValue for JobStatus {
    fn encode(&self) -> Option<String> {
        Some(self.as_str().to_string())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        let value = required(key, value)?;
        [
            JobStatus::Open,
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
        .ok_or_else(|| invalid(key, value))
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::Event;

    use super::*;
    use crate::events::testing::round_trip;

    fn hash(byte: u8) -> HexBinary {
        HexBinary::from(vec![byte; 32])
    }

    #[test]
    fn every_event_round_trips() {
        let operator = Addr::unchecked("operator");
        round_trip(JobSubmitted {
            job_id: 7,
            consumer: Addr::unchecked("consumer"),
            model_hash: hash(1),
            redundancy: 3,
            quorum: 2,
            price: Uint128::new(3_000),
        });
        round_trip(JobAssigned {
            job_id: 7,
            operator: operator.clone(),
            model_hash: hash(1),
            input_hash: hash(2),
            commit_deadline: 20,
            reveal_deadline: 40,
        });
        round_trip(Committed {
            job_id: 7,
            operator: operator.clone(),
        });
        for reason in [
            DeclineReason::InputUnavailable,
            DeclineReason::InputHashMismatch,
            DeclineReason::ModelUnavailable,
            DeclineReason::InvalidInput,
        ] {
            round_trip(Declined {
                job_id: 7,
                operator: operator.clone(),
                reason,
            });
        }
        round_trip(Revealed {
            job_id: 7,
            operator: operator.clone(),
            output_hash: hash(3),
        });
        for (status, output_hash) in [
            (JobStatus::Completed, Some(hash(3))),
            (JobStatus::Failed, None),
            (JobStatus::Cancelled, None),
        ] {
            round_trip(JobSettled {
                job_id: 7,
                status,
                refund: Uint128::new(150),
                output_hash,
            });
        }
        round_trip(OperatorSlashed {
            job_id: 7,
            operator: operator.clone(),
            reason: "missed".into(),
            fraction: Decimal::percent(1),
        });
        round_trip(SlashFailed {
            job_id: 7,
            operator: operator.clone(),
            reason: "wrong_result".into(),
        });
        round_trip(PaymentFailed {
            job_id: 7,
            operator,
            amount: Uint128::new(950),
        });
        round_trip(CallbackFailed { job_id: 7 });
        round_trip(ModelRegistered {
            model_hash: hash(1),
            uri: "https://models.example/digits".into(),
            cost_units: 1,
            owner: Addr::unchecked("owner"),
        });
        round_trip(TreasuryWithdrawn {
            treasury: Addr::unchecked("treasury"),
            amount: Uint128::new(150),
        });
    }

    #[test]
    fn bad_attributes_are_errors() {
        let event = Event::new("wasm-sibyl_decline")
            .add_attribute("job_id", "7")
            .add_attribute("operator", "op")
            .add_attribute("reason", "bored");
        assert_eq!(
            Declined::try_from(&event).unwrap_err(),
            EventError::Invalid {
                key: "reason",
                value: "bored".into()
            }
        );
        let settle = Event::new("sibyl_settle").add_attribute("job_id", "7");
        assert_eq!(
            JobSettled::try_from(&settle).unwrap_err(),
            EventError::Missing { key: "status" }
        );
        assert!(matches!(
            Committed::try_from(&settle).unwrap_err(),
            EventError::WrongType { .. }
        ));
    }
}
