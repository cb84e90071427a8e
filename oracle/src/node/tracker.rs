//! Which jobs the node is working on, and which it gave up, so that discovery (which sees the same
//! pending work block after block) dispatches each job once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use sibyl_api::escrow::WorkAction;

#[derive(Default)]
struct State {
    /// Jobs with a task running.
    in_flight: HashSet<u64>,
    /// (job, action) pairs already done or given up: not started again while the job is pending
    /// (a `PendingWork` page read just before a commit landed still lists it as to commit).
    closed: HashSet<(u64, Action)>,
    /// Jobs committed and waiting for the other operators' commits.
    awaiting_reveal: HashSet<u64>,
}

/// The two actions that need work from the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Commit,
    Reveal,
}

impl Action {
    /// The action the node takes for `work`, if any.
    pub fn for_work(work: WorkAction) -> Option<Action> {
        match work {
            WorkAction::Commit => Some(Action::Commit),
            WorkAction::Reveal => Some(Action::Reveal),
            WorkAction::AwaitRevealPhase | WorkAction::Missed => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Commit => "commit",
            Action::Reveal => "reveal",
        }
    }
}

/// Shared between discovery and the job tasks.
#[derive(Clone, Default)]
pub struct JobTracker {
    state: Arc<Mutex<State>>,
    rescan: Arc<Notify>,
}

impl JobTracker {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a single set operation, so a poisoned lock still holds consistent sets.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims `job` for `action`; false when it already runs or `action` was closed.
    pub fn try_start(&self, job: u64, action: Action) -> bool {
        let mut state = self.lock();
        if state.closed.contains(&(job, action)) {
            return false;
        }
        state.awaiting_reveal.remove(&job);
        state.in_flight.insert(job)
    }

    /// The task for `job` ended (done, or failed for good): `action` is not started again while
    /// the job stays pending.
    pub fn finish(&self, job: u64, action: Action) {
        let mut state = self.lock();
        state.in_flight.remove(&job);
        state.closed.insert((job, action));
    }

    /// `job` is committed and waits for the reveal phase.
    pub fn await_reveal(&self, job: u64) {
        self.lock().awaiting_reveal.insert(job);
    }

    /// Whether a commit or reveal event for `job` may change what the node must do.
    pub fn is_awaiting_reveal(&self, job: u64) -> bool {
        self.lock().awaiting_reveal.contains(&job)
    }

    /// Forgets finished jobs: keeps only the closed and awaiting entries of `pending` jobs.
    pub fn retain_pending(&self, pending: &HashSet<u64>) {
        let mut state = self.lock();
        state.closed.retain(|(job, _)| pending.contains(job));
        state.awaiting_reveal.retain(|job| pending.contains(job));
    }

    /// Asks discovery to read `PendingWork` now (a commit just landed: if it was the last one,
    /// the reveal phase is open). Requests made before discovery looks are merged into one.
    pub fn request_rescan(&self) {
        self.rescan.notify_one();
    }

    /// Resolves when a rescan was requested.
    pub async fn rescan_requested(&self) {
        self.rescan.notified().await;
    }

    /// Number of jobs with a task running.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_starts_once_until_finished() {
        let tracker = JobTracker::default();
        assert!(tracker.try_start(1, Action::Commit));
        assert!(!tracker.try_start(1, Action::Commit));
        assert!(!tracker.try_start(1, Action::Reveal));
        assert_eq!(tracker.in_flight(), 1);
        tracker.finish(1, Action::Commit);
        assert_eq!(tracker.in_flight(), 0);
        assert!(tracker.try_start(1, Action::Reveal));
    }

    #[test]
    fn finished_actions_are_not_restarted_while_pending() {
        let tracker = JobTracker::default();
        assert!(tracker.try_start(2, Action::Commit));
        tracker.finish(2, Action::Commit);
        assert!(!tracker.try_start(2, Action::Commit));
        assert!(tracker.try_start(2, Action::Reveal));
        tracker.finish(2, Action::Reveal);
        tracker.retain_pending(&HashSet::new());
        assert!(tracker.try_start(2, Action::Commit));
    }

    #[test]
    fn awaiting_reveal_is_tracked_and_pruned() {
        let tracker = JobTracker::default();
        tracker.await_reveal(3);
        assert!(tracker.is_awaiting_reveal(3));
        tracker.retain_pending(&HashSet::from([3]));
        assert!(tracker.is_awaiting_reveal(3));
        assert!(tracker.try_start(3, Action::Reveal));
        assert!(!tracker.is_awaiting_reveal(3));
        tracker.await_reveal(4);
        tracker.retain_pending(&HashSet::new());
        assert!(!tracker.is_awaiting_reveal(4));
    }

    #[tokio::test]
    async fn rescan_requests_are_kept_until_awaited() {
        let tracker = JobTracker::default();
        tracker.request_rescan();
        tracker.request_rescan();
        tracker.rescan_requested().await;
    }

    #[test]
    fn only_commit_and_reveal_need_work() {
        assert_eq!(Action::for_work(WorkAction::Commit), Some(Action::Commit));
        assert_eq!(Action::for_work(WorkAction::Reveal), Some(Action::Reveal));
        assert_eq!(Action::for_work(WorkAction::AwaitRevealPhase), None);
        assert_eq!(Action::for_work(WorkAction::Missed), None);
        assert_eq!(Action::Commit.name(), "commit");
        assert_eq!(Action::Reveal.name(), "reveal");
    }
}
