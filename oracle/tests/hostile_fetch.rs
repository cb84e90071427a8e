//! The fetcher against the URIs a hostile consumer would choose: addresses inside the operator's
//! network, names that resolve there, redirects there or to another scheme, endless redirects and
//! endless bodies. Each is refused with its reason, and nothing is read from where it points.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use sibyl_oracle::fetch::{AddressPolicy, ContentStore, FetchConfig, FetchError, Fetcher};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const MODEL: &[u8] = b"a small model file";

fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

async fn fetcher(addresses: AddressPolicy) -> (tempfile::TempDir, Fetcher) {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(dir.path().join("content"))
        .await
        .unwrap();
    let config = FetchConfig {
        max_bytes: 64 * 1024,
        timeout: Duration::from_secs(10),
        addresses,
        ..FetchConfig::default()
    };
    (dir, Fetcher::new(store, config).unwrap())
}

/// The loopback address allowed, as an operator allows its own mirror.
fn mirror_allowed() -> AddressPolicy {
    AddressPolicy {
        allowed_ranges: vec!["127.0.0.1/32".parse().unwrap()],
        ..AddressPolicy::default()
    }
}

/// Serves `/model` (counting requests), `/to` (a redirect to `location`) and `/loop` (a redirect
/// to itself).
async fn spawn_server(location: String) -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let router = Router::new()
        .route(
            "/model",
            get(move || async move {
                counted.fetch_add(1, Ordering::SeqCst);
                MODEL
            }),
        )
        .route(
            "/to",
            get(move || async move { Redirect::temporary(&location) }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (addr, hits)
}

fn reason(error: FetchError) -> String {
    match error {
        FetchError::Forbidden { reason, .. } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn addresses_inside_the_network_are_refused_by_default() {
    let (_dir, fetcher) = fetcher(AddressPolicy::default()).await;
    let (addr, hits) = spawn_server(String::new()).await;
    let port = addr.port();
    for (uri, expected) in [
        (
            format!("http://{addr}/model"),
            "127.0.0.1 is in the loopback block",
        ),
        (
            format!("http://[::1]:{port}/model"),
            "::1 is in the loopback block",
        ),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/model"),
            "loopback",
        ),
        (format!("http://2130706433:{port}/model"), "loopback"),
        // A name is refused for what it resolves to.
        (format!("http://localhost:{port}/model"), "localhost: "),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "link-local",
        ),
        ("http://10.0.0.1/model".into(), "private"),
        ("http://[fd00::1]/model".into(), "unique-local"),
    ] {
        let error = fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap_err();
        let text = error.to_string();
        let reason = reason(error);
        assert!(reason.contains(expected), "{uri}: {reason}");
        assert!(text.contains(&uri), "the error names the URI: {text}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the server");
    assert_eq!(
        std::fs::read_dir(fetcher.store().root()).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn a_redirect_into_the_network_is_refused() {
    let (_dir, fetcher) = fetcher(mirror_allowed()).await;
    for (target, expected) in [
        ("http://169.254.169.254/latest/meta-data/iam", "link-local"),
        ("http://10.1.2.3/model", "private"),
        ("http://[::1]/model", "loopback"),
        ("http://192.168.1.1/", "private"),
    ] {
        let (mirror, _) = spawn_server(target.to_string()).await;
        let error = fetcher
            .fetch(&hash(MODEL), Some(&format!("http://{mirror}/to")))
            .await
            .unwrap_err();
        let reason = reason(error);
        assert!(reason.contains(expected), "{target}: {reason}");
    }
}

#[tokio::test]
async fn redirects_are_capped_and_keep_their_scheme() {
    let (_dir, fetcher) = fetcher(mirror_allowed()).await;
    let (model_server, hits) = spawn_server(String::new()).await;
    // An allowed redirect is followed.
    let (mirror, _) = spawn_server(format!("http://{model_server}/model")).await;
    let fetched = fetcher
        .fetch(&hash(MODEL), Some(&format!("http://{mirror}/to")))
        .await
        .unwrap();
    assert_eq!(fetched.bytes, MODEL);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    let (looping, _) = spawn_server(String::new()).await;
    let reason_text = reason(
        fetcher
            .fetch(&hash(b"other"), Some(&format!("http://{looping}/loop")))
            .await
            .unwrap_err(),
    );
    assert_eq!(reason_text, "more than 3 redirects");

    let (upgrading, _) = spawn_server(format!("https://{model_server}/model")).await;
    let reason_text = reason(
        fetcher
            .fetch(&hash(b"other"), Some(&format!("http://{upgrading}/to")))
            .await
            .unwrap_err(),
    );
    assert!(
        reason_text.contains("another scheme (https)"),
        "{reason_text}"
    );
}

#[tokio::test]
async fn an_allowed_host_is_fetched_from_whatever_it_resolves_to() {
    let policy = AddressPolicy {
        allowed_hosts: vec!["localhost".into()],
        ..AddressPolicy::default()
    };
    let (_dir, fetcher) = fetcher(policy).await;
    let (addr, hits) = spawn_server(String::new()).await;
    let uri = format!("http://localhost:{}/model", addr.port());
    let fetched = fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap();
    assert_eq!(fetched.bytes, MODEL);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // The allowance is for that name only, not for its address.
    let error = fetcher
        .fetch(&hash(b"other"), Some(&format!("http://{addr}/model")))
        .await
        .unwrap_err();
    assert!(reason(error).contains("loopback"));
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit() {
    let (_dir, fetcher) = fetcher(mirror_allowed()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = sent.clone();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            .await;
        let chunk = vec![0u8; 16 * 1024];
        // Streams until the fetcher hangs up.
        while socket.write_all(&chunk).await.is_ok() {
            counted.fetch_add(chunk.len(), Ordering::SeqCst);
        }
    });
    let started = Instant::now();
    let error = fetcher
        .fetch(&hash(MODEL), Some(&format!("http://{addr}/forever")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 65_536 }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The server stops once the connection is dropped (at most socket buffers beyond the limit).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after_hangup = sent.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent.load(Ordering::SeqCst), after_hangup, "still streaming");
}

#[tokio::test]
async fn one_host_gets_at_most_two_downloads_at_once() {
    let (_dir, fetcher) = fetcher(mirror_allowed()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let open = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (open_count, most_seen) = (open.clone(), most.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (open, most) = (open_count.clone(), most_seen.clone());
            tokio::spawn(async move {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let mut request = [0u8; 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    MODEL.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(MODEL).await;
                let _ = socket.shutdown().await;
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let uri = format!("http://{addr}/model");
    let mut fetches = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (fetcher, uri) = (fetcher.clone(), uri.clone());
        fetches.spawn(async move { fetcher.fetch(&hash(MODEL), Some(&uri)).await });
    }
    while let Some(fetched) = fetches.join_next().await {
        assert_eq!(fetched.unwrap().unwrap().bytes, MODEL);
    }
    assert_eq!(most.load(Ordering::SeqCst), 2, "the per-host cap held");
}
