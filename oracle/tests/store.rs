//! The job database: the state machine, the salt-before-commit rule, the cursor, totals, and
//! behaviour across restarts and on damaged files.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sibyl_api::escrow::DeclineReason;
use sibyl_oracle::store::{
    Assignment, Decline, Execution, Failure, FailureKind, JobStage, JobStatus, JobStore,
    SettlementOutcome, StoreError, TxRef, SALT_LEN,
};

fn assignment(job_id: u64) -> Assignment {
    Assignment {
        job_id,
        model_hash: [1; 32],
        input_hash: [2; 32],
        discovered_height: 10,
        commit_deadline: 20,
    }
}

fn tx(height: u64) -> TxRef {
    TxRef {
        tx_hash: format!("TX{height}"),
        height,
    }
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("node").join("jobs.redb")
}

fn new_store(dir: &tempfile::TempDir) -> JobStore {
    JobStore::open(&db_path(dir), true).unwrap()
}

fn status(store: &JobStore, job_id: u64) -> JobStatus {
    store.job(job_id).unwrap().unwrap().status()
}

#[test]
fn a_job_walks_the_happy_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    assert!(store.record_assignment(&assignment(7)).unwrap());
    assert_eq!(status(&store, 7), JobStatus::Assigned);

    let execution = Execution::new(b"output".to_vec(), [9; SALT_LEN]);
    let expected_hash: [u8; 32] = Sha256::digest(b"output").into();
    assert_eq!(execution.output_hash, expected_hash);
    store.record_execution(7, execution.clone()).unwrap();
    assert_eq!(status(&store, 7), JobStatus::Executed);
    assert_eq!(store.execution(7).unwrap(), execution);

    store.mark_committed(7, tx(11)).unwrap();
    assert_eq!(status(&store, 7), JobStatus::Committed);
    store.mark_revealed(7, tx(12)).unwrap();
    assert_eq!(status(&store, 7), JobStatus::Revealed);

    assert!(store
        .mark_settled(7, SettlementOutcome::Agreed, 1_500)
        .unwrap());
    assert_eq!(
        status(&store, 7),
        JobStatus::Settled {
            outcome: SettlementOutcome::Agreed,
            earnings: 1_500
        }
    );
    let record = store.job(7).unwrap().unwrap();
    assert_eq!(record.commit, Some(tx(11)));
    assert_eq!(record.reveal, Some(tx(12)));
    assert_eq!(record.execution, Some(execution));
    assert!(store.active_jobs().unwrap().is_empty());
}

#[test]
fn assignments_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    assert!(store.record_assignment(&assignment(1)).unwrap());
    store
        .record_execution(1, Execution::new(vec![1], [0; SALT_LEN]))
        .unwrap();
    // Seeing the same assignment again (event replay) changes nothing.
    let mut replayed = assignment(1);
    replayed.commit_deadline = 99;
    assert!(!store.record_assignment(&replayed).unwrap());
    let record = store.job(1).unwrap().unwrap();
    assert_eq!(record.assignment.commit_deadline, 20);
    assert!(record.execution.is_some());
}

#[test]
fn commit_requires_a_recorded_execution() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(3)).unwrap();
    assert!(matches!(
        store.mark_committed(3, tx(11)).unwrap_err(),
        StoreError::MissingExecution { job_id: 3 }
    ));
    assert!(matches!(
        store.execution(3).unwrap_err(),
        StoreError::MissingExecution { job_id: 3 }
    ));
    assert_eq!(status(&store, 3), JobStatus::Assigned);
}

#[test]
fn an_execution_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(4)).unwrap();
    let first = Execution::with_fresh_salt(b"answer".to_vec()).unwrap();
    store.record_execution(4, first.clone()).unwrap();
    let second = Execution::with_fresh_salt(b"answer".to_vec()).unwrap();
    assert_ne!(first.salt, second.salt);
    assert!(matches!(
        store.record_execution(4, second).unwrap_err(),
        StoreError::ExecutionAlreadyRecorded { job_id: 4 }
    ));
    assert_eq!(store.execution(4).unwrap().salt, first.salt);
}

#[test]
fn out_of_order_transitions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(5)).unwrap();
    assert!(matches!(
        store.mark_revealed(5, tx(1)).unwrap_err(),
        StoreError::InvalidTransition {
            job_id: 5,
            from: JobStage::Assigned,
            to: JobStage::Revealed
        }
    ));
    store
        .record_execution(5, Execution::new(vec![5], [5; SALT_LEN]))
        .unwrap();
    store.mark_committed(5, tx(2)).unwrap();
    assert!(matches!(
        store.mark_committed(5, tx(3)).unwrap_err(),
        StoreError::InvalidTransition {
            from: JobStage::Committed,
            to: JobStage::Committed,
            ..
        }
    ));
    store.mark_settled(5, SettlementOutcome::Missed, 0).unwrap();
    assert!(matches!(
        store.mark_revealed(5, tx(4)).unwrap_err(),
        StoreError::InvalidTransition {
            from: JobStage::Settled,
            ..
        }
    ));
    assert!(matches!(
        store
            .mark_failed(5, failure(FailureKind::Transaction, "tx_rejected", false))
            .unwrap_err(),
        StoreError::InvalidTransition {
            from: JobStage::Settled,
            to: JobStage::Failed,
            ..
        }
    ));
    assert!(matches!(
        store.mark_committed(42, tx(1)).unwrap_err(),
        StoreError::UnknownJob { job_id: 42 }
    ));
}

fn failure(kind: FailureKind, reason: &str, transient: bool) -> Failure {
    Failure {
        kind,
        reason: reason.to_owned(),
        message: format!("{reason}, in words"),
        transient,
        decline: None,
    }
}

#[test]
fn a_failure_is_kept_until_the_job_progresses() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(6)).unwrap();
    store
        .mark_failed(6, failure(FailureKind::Fetch, "fetch_unavailable", true))
        .unwrap();
    let timeout = failure(FailureKind::Fetch, "fetch_unavailable", true);
    store.mark_failed(6, timeout.clone()).unwrap();
    assert_eq!(status(&store, 6), JobStatus::Failed(timeout));
    assert!(!store.job(6).unwrap().unwrap().failure.unwrap().is_final());

    store
        .record_execution(6, Execution::new(vec![6], [6; SALT_LEN]))
        .unwrap();
    let record = store.job(6).unwrap().unwrap();
    assert_eq!(record.status(), JobStatus::Executed);

    // A failure after the commit keeps the commit (a retry reveals, it does not re-commit).
    store.mark_committed(6, tx(19)).unwrap();
    let rejected = failure(FailureKind::Transaction, "tx_rejected", false);
    store.mark_failed(6, rejected.clone()).unwrap();
    let record = store.job(6).unwrap().unwrap();
    assert_eq!(record.stage(), JobStage::Failed);
    assert!(record.failure.unwrap().is_final());
    assert_eq!(record.commit, Some(tx(19)));
    store.mark_revealed(6, tx(21)).unwrap();
    assert_eq!(status(&store, 6), JobStatus::Revealed);

    // A settled job takes no more failures.
    store.mark_settled(6, SettlementOutcome::Agreed, 1).unwrap();
    assert!(matches!(
        store.mark_failed(6, rejected).unwrap_err(),
        StoreError::InvalidTransition { .. }
    ));
}

#[test]
fn a_declined_job_stays_declined_and_is_counted_when_it_settles() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(7)).unwrap();
    let unservable = Failure {
        decline: Some(DeclineReason::InputHashMismatch),
        ..failure(FailureKind::Fetch, "hash_mismatch", false)
    };
    store.mark_failed(7, unservable).unwrap();
    let decline = Decline {
        reason: DeclineReason::InputHashMismatch,
        tx: tx(12),
    };
    store.mark_declined(7, decline.clone()).unwrap();
    assert_eq!(
        status(&store, 7),
        JobStatus::Declined(DeclineReason::InputHashMismatch)
    );
    // The escrow takes a commit or a decline, never both, and one decline.
    assert!(matches!(
        store.mark_declined(7, decline.clone()).unwrap_err(),
        StoreError::InvalidTransition {
            to: JobStage::Declined,
            ..
        }
    ));
    store.record_assignment(&assignment(8)).unwrap();
    store
        .record_execution(8, Execution::new(vec![8], [8; SALT_LEN]))
        .unwrap();
    store.mark_committed(8, tx(11)).unwrap();
    assert!(matches!(
        store.mark_declined(8, decline).unwrap_err(),
        StoreError::InvalidTransition {
            from: JobStage::Committed,
            to: JobStage::Declined,
            ..
        }
    ));

    assert!(store
        .mark_settled(7, SettlementOutcome::Declined, 0)
        .unwrap());
    assert!(store
        .mark_settled(8, SettlementOutcome::PaidWithoutQuorum, 40)
        .unwrap());
    let totals = store.totals().unwrap();
    assert_eq!((totals.declined, totals.paid_without_quorum), (1, 1));
    assert_eq!(totals.earnings, 40);
}

#[test]
fn settlement_counts_earnings_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    for id in 1..=4 {
        store.record_assignment(&assignment(id)).unwrap();
    }
    assert!(store
        .mark_settled(1, SettlementOutcome::Agreed, 100)
        .unwrap());
    assert!(store
        .mark_settled(2, SettlementOutcome::Agreed, 250)
        .unwrap());
    assert!(store
        .mark_settled(3, SettlementOutcome::Dissent, 0)
        .unwrap());
    assert!(!store
        .mark_settled(1, SettlementOutcome::Agreed, 100)
        .unwrap());
    let totals = store.totals().unwrap();
    assert_eq!(totals.earnings, 350);
    assert_eq!(totals.agreed, 2);
    assert_eq!(totals.dissent, 1);
    assert_eq!(totals.refunded, 0);
    let active: Vec<u64> = store
        .active_jobs()
        .unwrap()
        .iter()
        .map(|r| r.job_id())
        .collect();
    assert_eq!(active, vec![4]);
}

#[test]
fn earnings_overflow_is_refused_and_leaves_the_job_unsettled() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    store.record_assignment(&assignment(1)).unwrap();
    store.record_assignment(&assignment(2)).unwrap();
    store
        .mark_settled(1, SettlementOutcome::Agreed, u128::MAX)
        .unwrap();
    assert!(matches!(
        store
            .mark_settled(2, SettlementOutcome::Agreed, 1)
            .unwrap_err(),
        StoreError::EarningsOverflow { .. }
    ));
    assert_eq!(status(&store, 2), JobStatus::Assigned);
    assert_eq!(store.totals().unwrap().agreed, 1);
}

#[test]
fn the_cursor_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir);
    assert_eq!(store.cursor().unwrap(), None);
    store.set_cursor(10).unwrap();
    assert_eq!(store.cursor().unwrap(), Some(10));
    store.set_cursor(11).unwrap();
    store.set_cursor(11).unwrap();
    assert!(matches!(
        store.set_cursor(9).unwrap_err(),
        StoreError::CursorRegression {
            current: 11,
            requested: 9
        }
    ));
    assert_eq!(store.cursor().unwrap(), Some(11));
}

#[test]
fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let execution = Execution::with_fresh_salt(b"the answer".to_vec()).unwrap();
    {
        let store = new_store(&dir);
        store.record_assignment(&assignment(1)).unwrap();
        store.record_assignment(&assignment(2)).unwrap();
        store.set_cursor(30).unwrap();
        store.record_execution(1, execution.clone()).unwrap();
        store.mark_committed(1, tx(31)).unwrap();
        store
            .mark_settled(2, SettlementOutcome::Refunded, 0)
            .unwrap();
        // Dropped here without any shutdown step, as in a crash.
    }
    let store = JobStore::open(&db_path(&dir), false).unwrap();
    assert_eq!(store.cursor().unwrap(), Some(30));
    let salt_back = store.execution(1).unwrap();
    assert_eq!(salt_back, execution);
    assert_eq!(salt_back.salt, execution.salt);
    assert_eq!(status(&store, 1), JobStatus::Committed);
    let active = store.active_jobs().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].job_id(), 1);
    assert_eq!(store.totals().unwrap().refunded, 1);
    store.mark_revealed(1, tx(33)).unwrap();
}

#[test]
fn a_missing_database_is_an_error_unless_creating() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let err = JobStore::open(&path, false).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { path: ref p } if *p == path));
    assert!(err.to_string().contains("jobs.redb"));
    assert!(!path.exists());
    JobStore::open(&path, true).unwrap();
    assert!(path.exists());
}

fn assert_corrupted(path: &Path) {
    let err = JobStore::open(path, false).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupted { path: ref p, .. } if p == path),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn a_garbage_file_is_reported_as_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.redb");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    assert_corrupted(&path);
    std::fs::write(&path, b"").unwrap();
    assert_corrupted(&path);
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = new_store(&dir);
    assert!(matches!(
        JobStore::open(&db_path(&dir), false).unwrap_err(),
        StoreError::AlreadyOpen { .. }
    ));
}

#[test]
fn execution_debug_output_hides_the_answer_and_salt() {
    let execution = Execution::new(b"secret-answer".to_vec(), [0xab; SALT_LEN]);
    let printed = format!("{execution:?}");
    assert!(!printed.contains("secret"));
    assert!(!printed.contains("abab"));
    assert!(!printed.contains("171"));
    assert!(printed.contains("output_len: 13"));
}
