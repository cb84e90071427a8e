//! The node's side of the signer: one connection, opened on first use and again after the signer
//! closed it, each request bounded by a timeout. Every signature is checked against the
//! attestation public key the node expects before it goes into a transaction.

use std::time::Duration;

use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Mutex;

use super::config::{RemoteSignerConfig, SignerAddress};
use super::wire::{AuthKey, Channel, Duplex, Request, Response, WireError};
use super::{AttestationRequest, SignError};
use crate::keys::verify_attestation;

pub struct RemoteSigner {
    address: SignerAddress,
    auth: AuthKey,
    timeout: Duration,
    expected_pubkey: [u8; 33],
    connection: Mutex<Option<Channel>>,
}

impl RemoteSigner {
    /// A signer as the node's `[signer]` section names it, expected to sign with
    /// `expected_pubkey` (the attestation key the key file's header and the staking contract
    /// name). Nothing is connected yet.
    pub fn new(config: &RemoteSignerConfig, expected_pubkey: [u8; 33]) -> Result<Self, String> {
        Ok(Self::with_auth_key(
            config.address.clone(),
            AuthKey::load(&config.auth_key_file)?,
            config.request_timeout,
            expected_pubkey,
        ))
    }

    pub fn with_auth_key(
        address: SignerAddress,
        auth: AuthKey,
        timeout: Duration,
        expected_pubkey: [u8; 33],
    ) -> Self {
        Self {
            address,
            auth,
            timeout,
            expected_pubkey,
            connection: Mutex::new(None),
        }
    }

    pub fn address(&self) -> &SignerAddress {
        &self.address
    }

    /// The attestation public key the signer holds.
    pub async fn public_key(&self) -> Result<[u8; 33], SignError> {
        match self.call(&Request::PublicKey).await? {
            Response::PublicKey { attestation_pubkey } => Ok(attestation_pubkey),
            other => Err(self.unavailable(format!("unexpected answer {other:?}"))),
        }
    }

    /// A signature of `request`'s attestation digest by the expected key.
    pub async fn sign(&self, request: &AttestationRequest) -> Result<[u8; 64], SignError> {
        match self
            .call(&Request::SignAttestation(request.clone()))
            .await?
        {
            Response::Signature { signature } => {
                if !verify_attestation(&self.expected_pubkey, &request.digest(), &signature) {
                    return Err(SignError::WrongKey {
                        address: self.address.to_string(),
                        expected_pubkey: self.expected_pubkey,
                    });
                }
                Ok(signature)
            }
            Response::Refused { refusal } => Err(SignError::Refused(refusal)),
            Response::Unavailable { message } => Err(self.unavailable(message)),
            other => Err(self.unavailable(format!("unexpected answer {other:?}"))),
        }
    }

    /// Sends one request and reads its answer. A connection the signer closed while it was idle
    /// is replaced once; asking twice is safe, since the signer answers a repeated request with
    /// the same signature.
    async fn call(&self, request: &Request) -> Result<Response, SignError> {
        let mut slot = self.connection.lock().await;
        let mut fresh_tried = false;
        loop {
            let reused = slot.is_some();
            let exchange = async {
                if slot.is_none() {
                    *slot = Some(self.connect().await?);
                }
                let channel = slot.as_mut().expect("connected just above");
                channel.send(request).await?;
                channel.receive::<Response>().await
            };
            let error = match tokio::time::timeout(self.timeout, exchange).await {
                Ok(Ok(response)) => return Ok(response),
                // The signer hangs up on a peer whose frames it cannot authenticate.
                Ok(Err(WireError::Closed)) if !reused => "the signer closed the connection \
                    without an answer: is signer.auth_key_file this signer's auth key? (the \
                    signer's log says)"
                    .to_string(),
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
            };
            *slot = None;
            if reused && !fresh_tried {
                fresh_tried = true;
                continue;
            }
            return Err(self.unavailable(error));
        }
    }

    async fn connect(&self) -> Result<Channel, WireError> {
        let stream: Box<dyn Duplex> = match &self.address {
            SignerAddress::Unix(path) => Box::new(UnixStream::connect(path).await?),
            SignerAddress::Tcp(host_port) => {
                let stream = TcpStream::connect(host_port).await?;
                stream.set_nodelay(true)?;
                Box::new(stream)
            }
        };
        Channel::open(stream, self.auth.clone()).await
    }

    fn unavailable(&self, reason: String) -> SignError {
        SignError::Unavailable {
            address: self.address.to_string(),
            reason,
        }
    }
}
