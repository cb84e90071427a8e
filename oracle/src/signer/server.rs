//! The signer's listener: a Unix socket (mode 0600) or a TCP port, a bounded number of
//! connections, each answered request by request until the node hangs up or stays silent.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::config::SignerAddress;
use super::service::SignerService;
use super::wire::{AuthKey, Channel, Duplex, Request, WireError};

/// A peer must authenticate its first request this soon after connecting.
const FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A node's connection is closed after this long without a request (the node reconnects).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

pub enum Listener {
    Tcp(TcpListener),
    Unix {
        listener: UnixListener,
        path: PathBuf,
    },
}

impl Listener {
    /// Binds `address`. A Unix socket left behind by a signer that died is replaced; one that a
    /// running signer answers on is an error.
    pub async fn bind(address: &SignerAddress) -> Result<Self, String> {
        match address {
            SignerAddress::Tcp(host_port) => TcpListener::bind(host_port)
                .await
                .map(Self::Tcp)
                .map_err(|e| format!("cannot listen on {address}: {e}")),
            SignerAddress::Unix(path) => {
                if let Ok(metadata) = std::fs::symlink_metadata(path) {
                    use std::os::unix::fs::FileTypeExt;
                    // Never delete a file that is not a socket: the path is a config value.
                    if !metadata.file_type().is_socket() {
                        return Err(format!("{address}: the path exists and is not a socket"));
                    }
                    if tokio::net::UnixStream::connect(path).await.is_ok() {
                        return Err(format!(
                            "{address}: another signer is listening there already"
                        ));
                    }
                    std::fs::remove_file(path)
                        .map_err(|e| format!("cannot remove the stale socket {address}: {e}"))?;
                }
                let listener = UnixListener::bind(path)
                    .map_err(|e| format!("cannot listen on {address}: {e}"))?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("cannot restrict {address} to its owner: {e}"))?;
                Ok(Self::Unix {
                    listener,
                    path: path.clone(),
                })
            }
        }
    }

    /// The bound address, in config syntax (the real port when the config said port 0).
    pub fn address(&self) -> String {
        match self {
            Self::Tcp(listener) => match listener.local_addr() {
                Ok(addr) => format!("tcp:{addr}"),
                Err(_) => "tcp:?".into(),
            },
            Self::Unix { path, .. } => format!("unix:{}", path.display()),
        }
    }

    async fn accept(&self) -> std::io::Result<(Box<dyn Duplex>, String)> {
        match self {
            Self::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                stream.set_nodelay(true)?;
                Ok((Box::new(stream), peer.to_string()))
            }
            Self::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                Ok((Box::new(stream), "local socket".into()))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix { path, .. } = self {
            // Best effort: a leftover socket is replaced by the next start anyway.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Serves connections until `cancel` fires.
pub async fn serve(
    listener: Listener,
    service: Arc<SignerService>,
    auth: AuthKey,
    max_connections: usize,
    cancel: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = service.clone();
        let auth = auth.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                result = connection(stream, service, auth) => match result {
                    Ok(()) | Err(WireError::Closed) => tracing::debug!(%peer, "connection closed"),
                    Err(WireError::BadMac) => tracing::warn!(
                        %peer,
                        "refused a peer that does not hold the auth key"
                    ),
                    Err(error) => tracing::warn!(%peer, %error, "connection dropped"),
                },
            }
            drop(slot);
        });
    }
}

async fn connection(
    stream: Box<dyn Duplex>,
    service: Arc<SignerService>,
    auth: AuthKey,
) -> Result<(), WireError> {
    let mut channel = Channel::accept(stream, auth).await?;
    let mut wait = FIRST_REQUEST_TIMEOUT;
    loop {
        let request: Request = match tokio::time::timeout(wait, channel.receive()).await {
            Ok(request) => request?,
            Err(_) => return Ok(()),
        };
        wait = IDLE_TIMEOUT;
        let service = service.clone();
        let response = tokio::task::spawn_blocking(move || service.answer(&request))
            .await
            .map_err(|e| WireError::Io(std::io::Error::other(e.to_string())))?;
        channel.send(&response).await?;
    }
}
