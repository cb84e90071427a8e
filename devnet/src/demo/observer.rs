//! Watches the escrow's events like a block explorer would, and keeps one row per job.

use std::collections::BTreeMap;

use sibyl_api::escrow::events::{
    Committed, JobAssigned, JobSettled, JobSubmitted, OperatorSlashed, Revealed,
};

use sibyl_oracle::chain::ChainEvent;

/// What the chain says about one job so far.
#[derive(Clone, Debug, Default)]
pub struct JobRow {
    pub job_id: u64,
    pub submitted_height: u64,
    pub operators: Vec<String>,
    pub commits: u32,
    pub reveals: u32,
    /// `completed`, `failed` or `cancelled`, once settled.
    pub status: Option<String>,
    pub settled_height: Option<u64>,
    /// Operators slashed at settlement, with the reason.
    pub slashed: Vec<(String, String)>,
}

impl JobRow {
    /// Blocks from submission to settlement.
    pub fn latency_blocks(&self) -> Option<u64> {
        self.settled_height
            .map(|settled| settled.saturating_sub(self.submitted_height))
    }
}

/// Rows by job id, fed with the escrow's events in block order.
#[derive(Debug, Default)]
pub struct Observer {
    escrow: String,
    rows: BTreeMap<u64, JobRow>,
}

impl Observer {
    pub fn new(escrow: String) -> Self {
        Observer {
            escrow,
            rows: BTreeMap::new(),
        }
    }

    /// Applies `events`; returns the ids of jobs that settled in them.
    pub fn apply(&mut self, events: &[ChainEvent]) -> Vec<u64> {
        let mut settled = Vec::new();
        for chain_event in events {
            if chain_event.contract() != Some(self.escrow.as_str()) {
                continue;
            }
            let height = chain_event.height;
            let event = chain_event.to_cosmwasm();
            if let Ok(submitted) = JobSubmitted::try_from(&event) {
                self.row(submitted.job_id, height).submitted_height = height;
            } else if let Ok(assigned) = JobAssigned::try_from(&event) {
                let row = self.row(assigned.job_id, height);
                row.operators.push(assigned.operator.into_string());
            } else if let Ok(committed) = Committed::try_from(&event) {
                self.row(committed.job_id, height).commits += 1;
            } else if let Ok(revealed) = Revealed::try_from(&event) {
                self.row(revealed.job_id, height).reveals += 1;
            } else if let Ok(slashed) = OperatorSlashed::try_from(&event) {
                let row = self.row(slashed.job_id, height);
                row.slashed
                    .push((slashed.operator.into_string(), slashed.reason));
            } else if let Ok(closed) = JobSettled::try_from(&event) {
                let row = self.row(closed.job_id, height);
                row.status = Some(closed.status.as_str().to_string());
                row.settled_height = Some(height);
                settled.push(closed.job_id);
            }
        }
        settled
    }

    /// The row of `job_id`, created as first seen at `height`.
    fn row(&mut self, job_id: u64, height: u64) -> &mut JobRow {
        self.rows.entry(job_id).or_insert_with(|| JobRow {
            job_id,
            submitted_height: height,
            ..JobRow::default()
        })
    }

    pub fn job(&self, job_id: u64) -> Option<&JobRow> {
        self.rows.get(&job_id)
    }

    pub fn rows(&self) -> impl Iterator<Item = &JobRow> {
        self.rows.values()
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{Addr, Decimal, HexBinary, Uint128};
    use sibyl_api::escrow::events::TypedEvent;
    use sibyl_api::escrow::JobStatus;

    use super::*;

    fn event(height: u64, typed: &impl TypedEvent, contract: &str) -> ChainEvent {
        let mut event = ChainEvent::from_cosmwasm(height, &typed.to_event());
        event.kind = format!("wasm-{}", event.kind);
        event
            .attributes
            .insert(0, ("_contract_address".into(), contract.into()));
        event
    }

    fn assigned(operator: &str) -> JobAssigned {
        JobAssigned {
            job_id: 1,
            operator: Addr::unchecked(operator),
            model_hash: HexBinary::from(vec![1; 32]),
            input_hash: HexBinary::from(vec![2; 32]),
            commit_deadline: 20,
            reveal_deadline: 30,
        }
    }

    fn committed(operator: &str) -> Committed {
        Committed {
            job_id: 1,
            operator: Addr::unchecked(operator),
        }
    }

    fn revealed(operator: &str) -> Revealed {
        Revealed {
            job_id: 1,
            operator: Addr::unchecked(operator),
            output_hash: HexBinary::from(vec![3; 32]),
        }
    }

    #[test]
    fn follows_a_job_from_submission_to_settlement() {
        let mut observer = Observer::new("escrow".into());
        let submitted = JobSubmitted {
            job_id: 1,
            consumer: Addr::unchecked("consumer"),
            model_hash: HexBinary::from(vec![1; 32]),
            redundancy: 2,
            quorum: 2,
            price: Uint128::new(2_000),
        };
        let events = vec![
            event(10, &submitted, "escrow"),
            event(10, &assigned("a"), "escrow"),
            event(10, &assigned("b"), "escrow"),
            event(10, &assigned("c"), "other"),
            event(11, &committed("a"), "escrow"),
            event(11, &committed("b"), "escrow"),
            event(12, &revealed("a"), "escrow"),
        ];
        assert!(observer.apply(&events).is_empty());
        let slashed = OperatorSlashed {
            job_id: 1,
            operator: Addr::unchecked("b"),
            reason: "wrong_result".into(),
            fraction: Decimal::percent(5),
        };
        let closed = JobSettled {
            job_id: 1,
            status: JobStatus::Completed,
            refund: Uint128::zero(),
            output_hash: Some(HexBinary::from(vec![3; 32])),
        };
        let settled = observer.apply(&[
            event(12, &revealed("b"), "escrow"),
            event(12, &slashed, "escrow"),
            event(12, &closed, "escrow"),
        ]);
        assert_eq!(settled, vec![1]);
        let row = observer.job(1).unwrap();
        assert_eq!(row.operators, vec!["a", "b"]);
        assert_eq!((row.commits, row.reveals), (2, 2));
        assert_eq!(row.status.as_deref(), Some("completed"));
        assert_eq!(row.latency_blocks(), Some(2));
        assert_eq!(
            row.slashed,
            vec![("b".to_string(), "wrong_result".to_string())]
        );
        assert_eq!(observer.rows().count(), 1);
    }
}
