//! The job's next step as a pure decision: the persisted record and the escrow's latest view in,
//! one [`Step`] out. No I/O, so every case is a unit test.

use sibyl_api::escrow::{DeclineReason, PendingWork, WorkAction};

use crate::store::JobRecord;

/// What the job's task does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch and execute (unless an output and salt are saved), save them, then commit.
    Commit,
    /// Our commit is on chain but was not recorded (the node stopped after sending it): record it.
    RecordLandedCommit,
    /// The node gave up on serving the job: tell the escrow why, instead of committing.
    Decline(DeclineReason),
    /// Sign and reveal the saved output.
    Reveal,
    /// The window for the chain's next step closed before this node acted: record it.
    RecordMissedWindow,
    /// Nothing until the next chain fact: the step is done, the phase has not come, or the node
    /// gave up on the job.
    Wait,
}

/// The step for `record` (`None`: the job is new to this node) given the escrow's `work` entry.
pub fn decide(record: Option<&JobRecord>, work: &PendingWork) -> Step {
    let Some(record) = record else {
        return match work.action {
            WorkAction::Commit => Step::Commit,
            // Not committed by this node, yet the chain waits for a reveal: another database
            // held the salt. Nothing can be revealed.
            WorkAction::AwaitRevealPhase | WorkAction::Reveal | WorkAction::Missed => {
                Step::RecordMissedWindow
            }
        };
    };
    if record.is_settled() || record.decline.is_some() {
        return Step::Wait;
    }
    if let Some(failure) = record.failure.as_ref().filter(|f| f.is_final()) {
        // Also after a restart between recording the failure and declining.
        return match (failure.decline, work.action, &record.commit) {
            (Some(reason), WorkAction::Commit, None) => Step::Decline(reason),
            _ => Step::Wait,
        };
    }
    match work.action {
        // A page read before our commit landed still says commit.
        WorkAction::Commit if record.commit.is_some() => Step::Wait,
        WorkAction::Commit => Step::Commit,
        WorkAction::AwaitRevealPhase if record.commit.is_none() => Step::RecordLandedCommit,
        WorkAction::AwaitRevealPhase => Step::Wait,
        WorkAction::Reveal if record.reveal.is_some() => Step::Wait,
        WorkAction::Reveal => Step::Reveal,
        WorkAction::Missed => Step::RecordMissedWindow,
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{Binary, HexBinary};
    use sibyl_api::escrow::JobInput;

    use super::*;
    use crate::store::{
        Assignment, Decline, Execution, Failure, FailureKind, Settlement, SettlementOutcome, TxRef,
    };

    fn work(action: WorkAction) -> PendingWork {
        PendingWork {
            job_id: 1,
            consumer: cosmwasm_std::Addr::unchecked("consumer"),
            model_hash: HexBinary::from(vec![1; 32]),
            model_uri: "file:///m".into(),
            input: JobInput::Inline {
                data: Binary::from(vec![0; 4]),
            },
            input_hash: HexBinary::from(vec![2; 32]),
            action,
            deadline_height: 10,
            commit_deadline: 10,
            reveal_deadline: 20,
            commitment: None,
        }
    }

    fn record() -> JobRecord {
        JobRecord::new(Assignment {
            job_id: 1,
            model_hash: [1; 32],
            input_hash: [2; 32],
            discovered_height: 3,
            commit_deadline: 10,
        })
    }

    fn tx() -> TxRef {
        TxRef {
            tx_hash: "AB".into(),
            height: 4,
        }
    }

    fn executed() -> JobRecord {
        let mut record = record();
        record.execution = Some(Execution::new(vec![1, 2, 3], [7; 32]));
        record
    }

    fn committed() -> JobRecord {
        let mut record = executed();
        record.commit = Some(tx());
        record
    }

    fn failure(transient: bool) -> Failure {
        Failure {
            kind: FailureKind::Fetch,
            reason: "fetch".into(),
            message: "down".into(),
            transient,
            decline: None,
        }
    }

    #[test]
    fn a_new_assignment_is_executed_and_committed() {
        assert_eq!(decide(None, &work(WorkAction::Commit)), Step::Commit);
        assert_eq!(
            decide(Some(&record()), &work(WorkAction::Commit)),
            Step::Commit
        );
        // A saved execution is committed again as it is (the commit step reuses it).
        assert_eq!(
            decide(Some(&executed()), &work(WorkAction::Commit)),
            Step::Commit
        );
    }

    #[test]
    fn a_stale_page_never_sends_a_step_twice() {
        assert_eq!(
            decide(Some(&committed()), &work(WorkAction::Commit)),
            Step::Wait
        );
        let mut revealed = committed();
        revealed.reveal = Some(tx());
        assert_eq!(
            decide(Some(&revealed), &work(WorkAction::Reveal)),
            Step::Wait
        );
    }

    #[test]
    fn the_reveal_waits_for_its_phase() {
        assert_eq!(
            decide(Some(&committed()), &work(WorkAction::AwaitRevealPhase)),
            Step::Wait
        );
        assert_eq!(
            decide(Some(&committed()), &work(WorkAction::Reveal)),
            Step::Reveal
        );
    }

    #[test]
    fn a_commit_that_landed_unrecorded_is_recovered() {
        assert_eq!(
            decide(Some(&executed()), &work(WorkAction::AwaitRevealPhase)),
            Step::RecordLandedCommit
        );
        // The reveal step records a landed commit itself.
        assert_eq!(
            decide(Some(&executed()), &work(WorkAction::Reveal)),
            Step::Reveal
        );
    }

    #[test]
    fn a_closed_window_is_recorded_once_and_unknown_commits_cannot_be_revealed() {
        assert_eq!(
            decide(Some(&record()), &work(WorkAction::Missed)),
            Step::RecordMissedWindow
        );
        for action in [
            WorkAction::AwaitRevealPhase,
            WorkAction::Reveal,
            WorkAction::Missed,
        ] {
            assert_eq!(decide(None, &work(action)), Step::RecordMissedWindow);
        }
    }

    #[test]
    fn transient_failures_are_tried_again_and_final_ones_are_not() {
        let mut retry = record();
        retry.failure = Some(failure(true));
        assert_eq!(
            decide(Some(&retry), &work(WorkAction::Commit)),
            Step::Commit
        );
        let mut given_up = record();
        given_up.failure = Some(failure(false));
        for action in [WorkAction::Commit, WorkAction::Reveal, WorkAction::Missed] {
            assert_eq!(decide(Some(&given_up), &work(action)), Step::Wait);
        }
    }

    #[test]
    fn a_job_that_cannot_be_served_is_declined_once_while_commits_are_open() {
        let mut unservable = record();
        unservable.failure = Some(Failure {
            decline: Some(DeclineReason::InputHashMismatch),
            ..failure(false)
        });
        assert_eq!(
            decide(Some(&unservable), &work(WorkAction::Commit)),
            Step::Decline(DeclineReason::InputHashMismatch)
        );
        // Too late to decline: the window closed.
        assert_eq!(
            decide(Some(&unservable), &work(WorkAction::Missed)),
            Step::Wait
        );
        let mut declined = unservable.clone();
        declined.failure = None;
        declined.decline = Some(Decline {
            reason: DeclineReason::InputHashMismatch,
            tx: tx(),
        });
        for action in [WorkAction::Commit, WorkAction::Missed] {
            assert_eq!(decide(Some(&declined), &work(action)), Step::Wait);
        }
    }

    #[test]
    fn a_settled_job_needs_nothing() {
        let mut settled = committed();
        settled.settlement = Some(Settlement {
            outcome: SettlementOutcome::Agreed,
            earnings: 5,
        });
        for action in [WorkAction::Commit, WorkAction::Reveal, WorkAction::Missed] {
            assert_eq!(decide(Some(&settled), &work(action)), Step::Wait);
        }
    }
}
