//! A budget of recent downloads per host: at most so many started in any window of time. The
//! concurrency cap bounds how many connections a node holds to one host; this bounds how often it
//! opens them, so a stream of jobs naming one host (each paid for, but cheap to a hostile
//! consumer) cannot make every node hammer it. Over budget, a download waits its turn.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Hosts remembered before those without a recent download are forgotten.
const MAX_REMEMBERED_HOSTS: usize = 1024;

#[derive(Debug)]
pub struct RecentFetches {
    per_window: usize,
    window: Duration,
    hosts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RecentFetches {
    /// At most `per_window` downloads (at least one) from one host start within any `window`.
    pub fn new(per_window: usize, window: Duration) -> Self {
        Self {
            per_window: per_window.max(1),
            window,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a download from `host` fits the budget, and counts it.
    pub async fn admit(&self, host: &str) {
        while let Some(wait) = self.try_admit(host, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts a download started at `now` if it fits; else how long until one does.
    fn try_admit(&self, host: &str, now: Instant) -> Option<Duration> {
        // A panic while holding the lock leaves the map consistent: every update is one call.
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window;
        let recent = |starts: &mut VecDeque<Instant>| {
            while starts
                .front()
                .is_some_and(|start| now.duration_since(*start) >= window)
            {
                starts.pop_front();
            }
        };
        if hosts.len() >= MAX_REMEMBERED_HOSTS {
            hosts.retain(|_, starts| {
                recent(starts);
                !starts.is_empty()
            });
        }
        let starts = hosts.entry(host.to_owned()).or_default();
        recent(starts);
        if starts.len() < self.per_window {
            starts.push_back(now);
            return None;
        }
        let oldest = *starts.front().expect("a full window has a start");
        Some(window.saturating_sub(now.duration_since(oldest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_gets_its_budget_per_window_and_others_are_not_held_up() {
        let budget = RecentFetches::new(2, Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(budget.try_admit("victim", start), None);
        assert_eq!(
            budget.try_admit("victim", start + Duration::from_secs(10)),
            None
        );
        assert_eq!(
            budget.try_admit("victim", start + Duration::from_secs(20)),
            Some(Duration::from_secs(40)),
            "the third waits until the first leaves the window"
        );
        assert_eq!(
            budget.try_admit("other", start + Duration::from_secs(20)),
            None
        );
        assert_eq!(
            budget.try_admit("victim", start + Duration::from_secs(60)),
            None
        );
        assert_eq!(
            budget.try_admit("victim", start + Duration::from_secs(61)),
            Some(Duration::from_secs(9))
        );
    }

    #[tokio::test]
    async fn admit_waits_out_the_window() {
        let budget = RecentFetches::new(1, Duration::from_millis(100));
        budget.admit("host").await;
        let waited = Instant::now();
        budget.admit("host").await;
        assert!(
            waited.elapsed() >= Duration::from_millis(90),
            "{:?}",
            waited.elapsed()
        );
    }
}
