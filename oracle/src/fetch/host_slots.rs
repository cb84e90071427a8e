//! A cap on the downloads one node runs at once from one host, so that jobs naming the same host
//! (a victim, or one slow mirror) cannot turn every node of the operator set into a crowd of
//! connections to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Hosts remembered before idle ones are forgotten.
const MAX_REMEMBERED_HOSTS: usize = 1024;

/// Download slots per host (`scheme://host:port`).
#[derive(Debug)]
pub struct HostSlots {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostSlots {
    /// `per_host` downloads at once from each host (at least one).
    pub fn new(per_host: usize) -> Self {
        HostSlots {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot of `url`'s host; the download holds the returned permit.
    pub async fn acquire(&self, url: &Url) -> OwnedSemaphorePermit {
        let semaphore = {
            // A panic while holding the lock leaves the map consistent: every update is one call.
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            if hosts.len() >= MAX_REMEMBERED_HOSTS {
                hosts.retain(|_, slots| slots.available_permits() < self.per_host);
            }
            hosts
                .entry(host_key(url))
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }
}

fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_host_is_capped_and_others_are_not_held_up() {
        let slots = HostSlots::new(2);
        let victim = Url::parse("http://victim.example/a").unwrap();
        let first = slots.acquire(&victim).await;
        let _second = slots
            .acquire(&Url::parse("http://VICTIM.example:80/b").unwrap())
            .await;
        let third = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&victim)).await;
        assert!(third.is_err(), "a third download of one host waits");
        let _other = tokio::time::timeout(
            Duration::from_millis(50),
            slots.acquire(&Url::parse("https://victim.example/a").unwrap()),
        )
        .await
        .expect("another scheme and port is another host");
        drop(first);
        let _freed = tokio::time::timeout(Duration::from_millis(50), slots.acquire(&victim))
            .await
            .expect("a freed slot is taken");
    }
}
