//! The jobs this node works on: a map from job id to the job's task, owned by discovery.
//!
//! Discovery delivers each chain fact to the job's task, starting the task when the job has none.
//! A task ends when it has recorded its job's settlement; its entry is then dropped.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::job::{self, JobContext, JobFact};

struct Tracked {
    facts: mpsc::UnboundedSender<JobFact>,
    /// Commit and reveal deadlines from the job's last `PendingWork` entry.
    deadlines: Option<(u64, u64)>,
}

/// Job id → the job's task.
pub struct JobTracker {
    context: Arc<JobContext>,
    cancel: CancellationToken,
    jobs: HashMap<u64, Tracked>,
    tasks: JoinSet<()>,
}

impl JobTracker {
    /// An empty tracker whose tasks run with `context` and stop with `cancel`.
    pub fn new(context: Arc<JobContext>, cancel: CancellationToken) -> Self {
        JobTracker {
            context,
            cancel,
            jobs: HashMap::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Starts a task for `job_id` if it has none (a restart rebuilds the tasks of unsettled jobs).
    pub fn track(&mut self, job_id: u64) {
        self.reap();
        if self.jobs.contains_key(&job_id) {
            return;
        }
        let (facts, receiver) = mpsc::unbounded_channel();
        let context = self.context.clone();
        let cancel = self.cancel.child_token();
        self.tasks
            .spawn(job::run(context, job_id, receiver, cancel));
        self.jobs.insert(
            job_id,
            Tracked {
                facts,
                deadlines: None,
            },
        );
    }

    /// Delivers `fact` to the task of `job_id`, starting the task first if needed.
    pub fn deliver(&mut self, job_id: u64, fact: JobFact) {
        self.track(job_id);
        let Some(tracked) = self.jobs.get_mut(&job_id) else {
            return;
        };
        if let JobFact::Pending { work, .. } = &fact {
            tracked.deadlines = Some((work.commit_deadline, work.reveal_deadline));
        }
        if let Err(mpsc::error::SendError(fact)) = tracked.facts.send(fact) {
            // The task ended (it recorded a settlement) between `reap` and now: a new task
            // decides from the record again.
            self.jobs.remove(&job_id);
            self.deliver(job_id, fact);
        }
    }

    /// Whether `job_id` has a live task.
    pub fn contains(&self, job_id: u64) -> bool {
        self.jobs
            .get(&job_id)
            .is_some_and(|tracked| !tracked.facts.is_closed())
    }

    /// Ids of the jobs with a live task.
    pub fn job_ids(&mut self) -> Vec<u64> {
        self.reap();
        self.jobs.keys().copied().collect()
    }

    /// Whether a tracked job's commit or reveal deadline ends inside `(after, up_to]`: then the
    /// escrow's view of it changed without an event (the next phase opened, or a window closed).
    pub fn deadline_passed(&self, after: u64, up_to: u64) -> bool {
        self.jobs
            .values()
            .filter_map(|tracked| tracked.deadlines)
            .any(|(commit, reveal)| {
                [commit, reveal]
                    .iter()
                    .any(|deadline| (after..up_to).contains(deadline))
            })
    }

    /// Stops every task and waits for them.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Drops the entries of tasks that ended, and collects their results.
    fn reap(&mut self) {
        self.jobs.retain(|_, tracked| !tracked.facts.is_closed());
        while let Some(joined) = self.tasks.try_join_next() {
            if let Err(error) = joined {
                tracing::error!(%error, "a job task panicked");
            }
        }
    }
}
