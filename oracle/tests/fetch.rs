//! The content fetcher against the local store, files and a tiny HTTP server on 127.0.0.1, which
//! plays an operator's own mirror (allowed in the address policy; `hostile_fetch.rs` tests what
//! the policy refuses).

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use sibyl_oracle::fetch::{ContentStore, FetchConfig, FetchError, Fetcher, Origin};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

const MODEL: &[u8] = b"a small model file";

fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

struct Setup {
    dir: tempfile::TempDir,
    fetcher: Fetcher,
}

async fn setup(config: FetchConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(dir.path().join("content"))
        .await
        .unwrap();
    let mut config = config;
    config.file_roots.push(dir.path().join("served"));
    config
        .addresses
        .allowed_ranges
        .push("127.0.0.1/32".parse().unwrap());
    std::fs::create_dir_all(dir.path().join("served")).unwrap();
    let fetcher = Fetcher::new(store, config).unwrap();
    Setup { dir, fetcher }
}

async fn default_setup() -> Setup {
    setup(FetchConfig::default()).await
}

impl Setup {
    fn serve_file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join("served").join(name);
        std::fs::write(&path, bytes).unwrap();
        format!("file://{}", path.display())
    }

    fn stored_files(&self) -> usize {
        std::fs::read_dir(self.fetcher.store().root())
            .unwrap()
            .count()
    }
}

async fn spawn_http() -> SocketAddr {
    let router = Router::new()
        .route("/model", get(|| async { MODEL }))
        .route("/other", get(|| async { b"other bytes".as_slice() }))
        .route("/big", get(|| async { vec![7u8; 4096] }))
        .route(
            "/error",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/slow",
            get(|| async {
                std::future::pending::<()>().await;
                "never"
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A server that streams a body without Content-Length, so only counting can enforce the limit.
async fn spawn_unsized_body_server(body_len: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = socket.write_all(&vec![1u8; body_len]).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn local_store_hits_need_no_uri() {
    let setup = default_setup().await;
    let stored = setup.fetcher.store().put(MODEL).await.unwrap();
    assert_eq!(stored, hash(MODEL));
    let fetched = setup.fetcher.fetch(&hash(MODEL), None).await.unwrap();
    assert_eq!(fetched.bytes, MODEL);
    assert_eq!(fetched.origin, Origin::LocalStore);
    assert!(setup
        .fetcher
        .store()
        .path_of(&hash(MODEL))
        .ends_with(hex::encode(hash(MODEL))));
}

#[tokio::test]
async fn file_uris_are_fetched_verified_and_stored() {
    let setup = default_setup().await;
    let uri = setup.serve_file("model.bin", MODEL);
    let fetched = setup.fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap();
    assert_eq!(fetched.bytes, MODEL);
    assert_eq!(fetched.origin, Origin::File);
    let again = setup.fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap();
    assert_eq!(again.origin, Origin::LocalStore);
    assert_eq!(setup.stored_files(), 1);
}

#[tokio::test]
async fn files_outside_the_allowed_roots_are_refused() {
    let setup = default_setup().await;
    let outside = setup.dir.path().join("secret.bin");
    std::fs::write(&outside, MODEL).unwrap();
    let err = setup
        .fetcher
        .fetch(&hash(MODEL), Some(&format!("file://{}", outside.display())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::FileOutsideRoots { .. }),
        "{err:?}"
    );

    // A `..` escape and a symlink pointing out of the root are resolved before the check.
    let dotdot = format!("file://{}/served/../secret.bin", setup.dir.path().display());
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some(&dotdot))
            .await
            .unwrap_err(),
        FetchError::FileOutsideRoots { .. }
    ));
    let link = setup.dir.path().join("served").join("link.bin");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some(&format!("file://{}", link.display())))
            .await
            .unwrap_err(),
        FetchError::FileOutsideRoots { .. }
    ));

    // With no roots configured at all, file:// is off.
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(dir.path()).await.unwrap();
    let fetcher = Fetcher::new(store, FetchConfig::default()).unwrap();
    let served = setup.serve_file("ok.bin", MODEL);
    assert!(matches!(
        fetcher
            .fetch(&hash(MODEL), Some(&served))
            .await
            .unwrap_err(),
        FetchError::FileOutsideRoots { .. }
    ));
    assert_eq!(setup.stored_files(), 0);
}

#[tokio::test]
async fn missing_content_is_not_found() {
    let setup = default_setup().await;
    let uri = format!("file://{}/served/absent.bin", setup.dir.path().display());
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some(&uri))
            .await
            .unwrap_err(),
        FetchError::NotFound { .. }
    ));
    assert!(matches!(
        setup.fetcher.fetch(&hash(MODEL), None).await.unwrap_err(),
        FetchError::NotFound { .. }
    ));
}

#[tokio::test]
async fn a_hash_mismatch_stores_and_returns_nothing() {
    let setup = default_setup().await;
    let uri = setup.serve_file("wrong.bin", b"not the model");
    let err = setup
        .fetcher
        .fetch(&hash(MODEL), Some(&uri))
        .await
        .unwrap_err();
    match err {
        FetchError::HashMismatch { expected, actual } => {
            assert_eq!(expected, hex::encode(hash(MODEL)));
            assert_eq!(actual, hex::encode(hash(b"not the model")));
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    assert_eq!(setup.stored_files(), 0);

    let addr = spawn_http().await;
    let err = setup
        .fetcher
        .fetch(&hash(MODEL), Some(&format!("http://{addr}/other")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::HashMismatch { .. }));
    assert_eq!(setup.stored_files(), 0);
}

#[tokio::test]
async fn content_over_the_limit_is_refused() {
    let setup = setup(FetchConfig {
        max_bytes: 1024,
        ..FetchConfig::default()
    })
    .await;
    let big = vec![7u8; 4096];
    let uri = setup.serve_file("big.bin", &big);
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(&big), Some(&uri))
            .await
            .unwrap_err(),
        FetchError::TooLarge { limit: 1024 }
    ));

    let addr = spawn_http().await;
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(&big), Some(&format!("http://{addr}/big")))
            .await
            .unwrap_err(),
        FetchError::TooLarge { limit: 1024 }
    ));

    let unsized_addr = spawn_unsized_body_server(64 * 1024).await;
    let body = vec![1u8; 64 * 1024];
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(&body), Some(&format!("http://{unsized_addr}/")))
            .await
            .unwrap_err(),
        FetchError::TooLarge { limit: 1024 }
    ));

    // A per-call limit applies to local hits as well.
    setup.fetcher.store().put(&big).await.unwrap();
    assert!(matches!(
        setup
            .fetcher
            .fetch_with_limit(&hash(&big), None, 100)
            .await
            .unwrap_err(),
        FetchError::TooLarge { limit: 100 }
    ));
    assert_eq!(setup.stored_files(), 1);
}

#[tokio::test]
async fn http_content_is_fetched_verified_and_stored() {
    let setup = default_setup().await;
    let addr = spawn_http().await;
    let uri = format!("http://{addr}/model");
    let fetched = setup.fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap();
    assert_eq!(fetched.bytes, MODEL);
    assert_eq!(fetched.origin, Origin::Http);
    assert_eq!(
        setup
            .fetcher
            .store()
            .get(&hash(MODEL))
            .await
            .unwrap()
            .unwrap(),
        MODEL
    );

    // A body without Content-Length under the limit is fine too.
    let unsized_addr = spawn_unsized_body_server(300).await;
    let body = vec![1u8; 300];
    let fetched = setup
        .fetcher
        .fetch(&hash(&body), Some(&format!("http://{unsized_addr}/")))
        .await
        .unwrap();
    assert_eq!(fetched.bytes, body);
}

#[tokio::test]
async fn http_errors_are_typed() {
    let setup = default_setup().await;
    let addr = spawn_http().await;
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some(&format!("http://{addr}/absent")))
            .await
            .unwrap_err(),
        FetchError::NotFound { .. }
    ));
    let err = setup
        .fetcher
        .fetch(&hash(MODEL), Some(&format!("http://{addr}/error")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Http { .. }), "{err:?}");
    assert!(err.to_string().contains("500"));
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let setup = setup(FetchConfig {
        timeout: Duration::from_millis(300),
        ..FetchConfig::default()
    })
    .await;
    let addr = spawn_http().await;
    let err = setup
        .fetcher
        .fetch(&hash(MODEL), Some(&format!("http://{addr}/slow")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn unsupported_and_invalid_uris_are_refused() {
    let setup = default_setup().await;
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some("ftp://example.org/model"))
            .await
            .unwrap_err(),
        FetchError::UnsupportedScheme { ref scheme } if scheme == "ftp"
    ));
    assert!(matches!(
        setup
            .fetcher
            .fetch(&hash(MODEL), Some("not a uri"))
            .await
            .unwrap_err(),
        FetchError::InvalidUri { .. }
    ));
}

#[tokio::test]
async fn a_damaged_local_copy_is_dropped_and_fetched_again() {
    let setup = default_setup().await;
    let path = setup.fetcher.store().path_of(&hash(MODEL));
    std::fs::write(&path, b"bit rot").unwrap();
    assert!(setup
        .fetcher
        .store()
        .get(&hash(MODEL))
        .await
        .unwrap()
        .is_none());
    assert!(!path.exists());

    std::fs::write(&path, b"bit rot").unwrap();
    let uri = setup.serve_file("model.bin", MODEL);
    let fetched = setup.fetcher.fetch(&hash(MODEL), Some(&uri)).await.unwrap();
    assert_eq!(fetched.origin, Origin::File);
    assert_eq!(std::fs::read(&path).unwrap(), MODEL);
}

#[tokio::test]
async fn put_verified_refuses_wrong_content() {
    let setup = default_setup().await;
    assert!(matches!(
        setup
            .fetcher
            .store()
            .put_verified(&hash(MODEL), b"other")
            .await
            .unwrap_err(),
        FetchError::HashMismatch { .. }
    ));
    setup
        .fetcher
        .store()
        .put_verified(&hash(MODEL), MODEL)
        .await
        .unwrap();
    assert_eq!(setup.stored_files(), 1);
}
