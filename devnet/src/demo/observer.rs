//! Watches the escrow's events like a block explorer would, and keeps one row per job.

use std::collections::BTreeMap;

use sibyl_api::escrow::events;

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
        for event in events {
            if event.contract() != Some(self.escrow.as_str()) {
                continue;
            }
            let Some(kind) = event.kind.strip_prefix("wasm-") else {
                continue;
            };
            let Some(job_id) = event.attribute("job_id").and_then(|id| id.parse().ok()) else {
                continue;
            };
            let row = self.rows.entry(job_id).or_insert_with(|| JobRow {
                job_id,
                submitted_height: event.height,
                ..JobRow::default()
            });
            let operator = event.attribute("operator").map(str::to_string);
            match kind {
                events::SUBMIT => row.submitted_height = event.height,
                events::ASSIGN => row.operators.extend(operator),
                events::COMMIT => row.commits += 1,
                events::REVEAL => row.reveals += 1,
                events::SLASH => {
                    let reason = event.attribute("reason").unwrap_or("unknown").to_string();
                    row.slashed.extend(operator.map(|op| (op, reason)));
                }
                events::SETTLE => {
                    row.status = event.attribute("status").map(str::to_string);
                    row.settled_height = Some(event.height);
                    settled.push(job_id);
                }
                _ => {}
            }
        }
        settled
    }

    pub fn row(&self, job_id: u64) -> Option<&JobRow> {
        self.rows.get(&job_id)
    }

    pub fn rows(&self) -> impl Iterator<Item = &JobRow> {
        self.rows.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(height: u64, kind: &str, contract: &str, attributes: &[(&str, &str)]) -> ChainEvent {
        let mut all = vec![("_contract_address".to_string(), contract.to_string())];
        all.extend(
            attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        ChainEvent {
            height,
            kind: format!("wasm-{kind}"),
            attributes: all,
        }
    }

    #[test]
    fn follows_a_job_from_submission_to_settlement() {
        let mut observer = Observer::new("escrow".into());
        let events = vec![
            event(10, events::SUBMIT, "escrow", &[("job_id", "1")]),
            event(
                10,
                events::ASSIGN,
                "escrow",
                &[("job_id", "1"), ("operator", "a")],
            ),
            event(
                10,
                events::ASSIGN,
                "escrow",
                &[("job_id", "1"), ("operator", "b")],
            ),
            event(
                10,
                events::ASSIGN,
                "other",
                &[("job_id", "1"), ("operator", "c")],
            ),
            event(
                11,
                events::COMMIT,
                "escrow",
                &[("job_id", "1"), ("operator", "a")],
            ),
            event(
                11,
                events::COMMIT,
                "escrow",
                &[("job_id", "1"), ("operator", "b")],
            ),
            event(
                12,
                events::REVEAL,
                "escrow",
                &[("job_id", "1"), ("operator", "a")],
            ),
        ];
        assert!(observer.apply(&events).is_empty());
        let settled = observer.apply(&[
            event(
                12,
                events::REVEAL,
                "escrow",
                &[("job_id", "1"), ("operator", "b")],
            ),
            event(
                12,
                events::SLASH,
                "escrow",
                &[
                    ("job_id", "1"),
                    ("operator", "b"),
                    ("reason", "wrong_result"),
                ],
            ),
            event(
                12,
                events::SETTLE,
                "escrow",
                &[("job_id", "1"), ("status", "completed")],
            ),
        ]);
        assert_eq!(settled, vec![1]);
        let row = observer.row(1).unwrap();
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
