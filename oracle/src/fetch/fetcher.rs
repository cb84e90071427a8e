//! Fetches content by hash: the local store first, then the job's URI (`file://` under allowed
//! roots, `http://`, `https://` to addresses the [`AddressPolicy`] allows), with a size limit
//! enforced while reading and one deadline for the whole transfer. Nothing is stored or returned
//! before its SHA-256 matches.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use url::Url;

use super::address_policy::AddressPolicy;
use super::content_store::ContentStore;
use super::http_client::{self, check_url, forbidden_cause};
use super::recent_fetches::RecentFetches;
use super::FetchError;
use crate::keyed_slots::KeyedSlots;

/// Limits and permissions of a [`Fetcher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Largest content accepted, in bytes.
    pub max_bytes: u64,
    /// Deadline for one whole remote fetch (connect, headers and body).
    pub timeout: Duration,
    /// Deadline for the TCP/TLS connection alone.
    pub connect_timeout: Duration,
    /// Directories `file://` URIs may point into. Empty: `file://` is refused, so that a job's
    /// URI can never make the node read arbitrary files of the host.
    pub file_roots: Vec<PathBuf>,
    /// Where http(s) fetches may connect (default: public addresses only).
    pub addresses: AddressPolicy,
    /// Downloads at once from one host; more wait (within `timeout`).
    pub max_per_host: usize,
    /// Downloads started from one host per minute; more wait (within `timeout`).
    pub max_per_host_per_minute: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            file_roots: Vec::new(),
            addresses: AddressPolicy::default(),
            max_per_host: 2,
            max_per_host_per_minute: 600,
        }
    }
}

/// Where fetched content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    LocalStore,
    File,
    Http,
}

/// Verified content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Fetcher {
    store: ContentStore,
    http: reqwest::Client,
    /// Downloads at once per host ([`host_key`]).
    host_slots: Arc<KeyedSlots>,
    /// Downloads started per host in the last minute.
    recent_fetches: Arc<RecentFetches>,
    config: FetchConfig,
}

impl Fetcher {
    pub fn new(store: ContentStore, config: FetchConfig) -> Result<Self, FetchError> {
        let http = http_client::build(
            Arc::new(config.addresses.clone()),
            config.connect_timeout,
            config.timeout,
        )
        .map_err(|err| FetchError::Http {
            uri: String::new(),
            detail: format!("cannot build the HTTP client: {err}"),
        })?;
        Ok(Self {
            store,
            http,
            host_slots: Arc::new(KeyedSlots::new(config.max_per_host)),
            recent_fetches: Arc::new(RecentFetches::new(
                config.max_per_host_per_minute,
                Duration::from_secs(60),
            )),
            config,
        })
    }

    pub fn store(&self) -> &ContentStore {
        &self.store
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// The content whose SHA-256 is `expected`, under the configured size limit.
    pub async fn fetch(
        &self,
        expected: &[u8; 32],
        uri: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        self.fetch_with_limit(expected, uri, self.config.max_bytes)
            .await
    }

    /// Like [`Fetcher::fetch`] with a smaller (or larger) size limit, e.g. for job inputs.
    pub async fn fetch_with_limit(
        &self,
        expected: &[u8; 32],
        uri: Option<&str>,
        max_bytes: u64,
    ) -> Result<Fetched, FetchError> {
        if let Some(bytes) = self.store.get(expected).await? {
            if bytes.len() as u64 > max_bytes {
                return Err(FetchError::TooLarge { limit: max_bytes });
            }
            return Ok(Fetched {
                bytes,
                origin: Origin::LocalStore,
            });
        }
        let uri = uri.ok_or_else(|| FetchError::NotFound {
            what: format!(
                "content {} (not in the local store and the job gives no URI)",
                hex::encode(expected)
            ),
        })?;
        let url = Url::parse(uri).map_err(|err| FetchError::InvalidUri {
            uri: uri.to_owned(),
            reason: err.to_string(),
        })?;
        let (bytes, origin) = match url.scheme() {
            "file" => (self.read_file(&url, uri, max_bytes).await?, Origin::File),
            "http" | "https" => {
                let download = self.download(url, uri, max_bytes);
                let bytes = tokio::time::timeout(self.config.timeout, download)
                    .await
                    .map_err(|_| FetchError::Timeout {
                        uri: uri.to_owned(),
                        after: self.config.timeout,
                    })??;
                (bytes, Origin::Http)
            }
            other => {
                return Err(FetchError::UnsupportedScheme {
                    scheme: other.to_owned(),
                })
            }
        };
        self.store.put_verified(expected, &bytes).await?;
        Ok(Fetched { bytes, origin })
    }

    async fn read_file(&self, url: &Url, uri: &str, max_bytes: u64) -> Result<Vec<u8>, FetchError> {
        let requested = url.to_file_path().map_err(|()| FetchError::InvalidUri {
            uri: uri.to_owned(),
            reason: "not a local absolute file path".to_owned(),
        })?;
        let path = match tokio::fs::canonicalize(&requested).await {
            Ok(path) => path,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound {
                    what: requested.display().to_string(),
                })
            }
            Err(err) => return Err(io_error(&requested, err)),
        };
        self.check_file_root(&path).await?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|err| io_error(&path, err))?;
        let length = file
            .metadata()
            .await
            .map_err(|err| io_error(&path, err))?
            .len();
        if length > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        // The file may grow after the metadata check: read at most one byte past the limit.
        let mut bytes = Vec::new();
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .await
            .map_err(|err| io_error(&path, err))?;
        if bytes.len() as u64 > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        Ok(bytes)
    }

    /// Accepts `path` (already canonical, so `..` and symlinks are resolved) only inside a root.
    async fn check_file_root(&self, path: &Path) -> Result<(), FetchError> {
        for root in &self.config.file_roots {
            if let Ok(root) = tokio::fs::canonicalize(root).await {
                if path.starts_with(&root) {
                    return Ok(());
                }
            }
        }
        Err(FetchError::FileOutsideRoots {
            path: path.to_owned(),
        })
    }

    async fn download(&self, url: Url, uri: &str, max_bytes: u64) -> Result<Vec<u8>, FetchError> {
        check_url(&self.config.addresses, &url).map_err(|forbidden| FetchError::Forbidden {
            uri: uri.to_owned(),
            reason: forbidden.to_string(),
        })?;
        let http_error = |err: reqwest::Error| {
            if let Some(forbidden) = forbidden_cause(&err) {
                FetchError::Forbidden {
                    uri: uri.to_owned(),
                    reason: forbidden.to_string(),
                }
            } else if err.is_timeout() {
                FetchError::Timeout {
                    uri: uri.to_owned(),
                    after: self.config.timeout,
                }
            } else {
                FetchError::Http {
                    uri: uri.to_owned(),
                    detail: err.to_string(),
                }
            }
        };
        let host = host_key(&url);
        let _slot = self.host_slots.acquire(&host).await;
        self.recent_fetches.admit(&host).await;
        let mut response = self.http.get(url).send().await.map_err(http_error)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Err(FetchError::NotFound {
                what: uri.to_owned(),
            });
        }
        if !status.is_success() {
            return Err(FetchError::Http {
                uri: uri.to_owned(),
                detail: format!("server answered {status}"),
            });
        }
        if response.content_length().is_some_and(|len| len > max_bytes) {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        // Content-Length may be absent or wrong: count the bytes as they arrive.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http_error)? {
            let total = bytes.len().saturating_add(chunk.len()) as u64;
            if total > max_bytes {
                return Err(FetchError::TooLarge { limit: max_bytes });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

fn io_error(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One host of the per-host cap: `scheme://host:port`, the host without case.
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
    use super::*;

    #[test]
    fn a_host_is_its_scheme_name_and_port() {
        let key = |uri: &str| host_key(&Url::parse(uri).unwrap());
        assert_eq!(
            key("http://VICTIM.example:80/b"),
            key("http://victim.example/a")
        );
        assert_ne!(
            key("https://victim.example/a"),
            key("http://victim.example/a")
        );
        assert_ne!(
            key("http://victim.example:8080/a"),
            key("http://victim.example/a")
        );
    }
}
