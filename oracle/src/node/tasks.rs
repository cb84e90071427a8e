//! A group of named tasks sharing one cancellation token (ampd's task group).
//!
//! The first task that fails cancels the token, so the whole node stops together instead of
//! limping on without, say, its block follower. A task that returns `Ok` simply finishes.

use std::future::Future;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Why a task of the group stopped the node.
#[derive(Debug, thiserror::Error)]
#[error("task `{task}` failed: {message}")]
pub struct TaskFailure {
    /// The task's name.
    pub task: &'static str,
    /// What went wrong, in words.
    pub message: String,
}

/// Named tasks that stop together.
pub struct TaskGroup {
    cancel: CancellationToken,
    tasks: JoinSet<Result<(), TaskFailure>>,
}

impl TaskGroup {
    /// A group whose tasks are cancelled by `cancel` (and cancel it when one fails).
    pub fn new(cancel: CancellationToken) -> Self {
        TaskGroup {
            cancel,
            tasks: JoinSet::new(),
        }
    }

    /// The token every task of the group watches.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Spawns `task` under `name`. Errors are reported with the name and stop the group.
    pub fn spawn<F, E>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            let result = task.await.map_err(|e| TaskFailure {
                task: name,
                message: e.to_string(),
            });
            match &result {
                Ok(()) => tracing::debug!(task = name, "task finished"),
                Err(failure) => {
                    tracing::error!(task = name, error = %failure.message, "task failed, stopping the node");
                    cancel.cancel();
                }
            }
            result
        });
    }

    /// Waits for every task; returns the first failure, if any. A panicking task counts as failed.
    pub async fn join(mut self) -> Result<(), TaskFailure> {
        let mut first_failure = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined.unwrap_or_else(|e| {
                self.cancel.cancel();
                Err(TaskFailure {
                    task: "unknown",
                    message: format!("task panicked or was aborted: {e}"),
                })
            });
            if let Err(failure) = result {
                first_failure.get_or_insert(failure);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }
}

/// Cancels `token` on SIGINT (Ctrl-C) or SIGTERM. Returns when either arrived or the token was
/// cancelled by someone else.
pub async fn cancel_on_shutdown_signal(token: CancellationToken) {
    tokio::select! {
        _ = token.cancelled() => {}
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutdown signal received, stopping");
            token.cancel();
        }
    }
}

async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = sigterm.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the node");
                wait_for_ctrl_c().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        wait_for_ctrl_c().await
    }
}

async fn wait_for_ctrl_c() -> &'static str {
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "cannot listen for Ctrl-C");
        std::future::pending::<()>().await;
    }
    "SIGINT"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_task_cancels_the_others_and_is_reported() {
        let token = CancellationToken::new();
        let mut group = TaskGroup::new(token.clone());
        let watcher = group.token();
        group.spawn("waits", async move {
            watcher.cancelled().await;
            Ok::<(), String>(())
        });
        group.spawn("fails", async { Err::<(), String>("boom".into()) });
        let failure = group.join().await.unwrap_err();
        assert_eq!(failure.task, "fails");
        assert_eq!(failure.message, "boom");
        assert!(token.is_cancelled());
    }

    #[tokio::test]
    async fn finished_tasks_do_not_cancel() {
        let token = CancellationToken::new();
        let mut group = TaskGroup::new(token.clone());
        group.spawn("done", async { Ok::<(), String>(()) });
        group.join().await.unwrap();
        assert!(!token.is_cancelled());
    }

    #[tokio::test]
    async fn a_panicking_task_is_a_failure() {
        let token = CancellationToken::new();
        let mut group = TaskGroup::new(token.clone());
        group.spawn("panics", async { explode() });
        assert!(group.join().await.is_err());
        assert!(token.is_cancelled());
    }

    fn explode() -> Result<(), String> {
        panic!("task panicked")
    }

    #[tokio::test]
    async fn shutdown_waiter_returns_when_cancelled() {
        let token = CancellationToken::new();
        token.cancel();
        cancel_on_shutdown_signal(token).await;
    }
}
