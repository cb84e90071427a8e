//! The signer protocol, `sibyl-signer/1`: newline-delimited JSON over a Unix socket or TCP.
//!
//! The signer speaks first: a [`Hello`] line with the protocol name and a fresh random nonce.
//! Then the node sends requests and the signer answers each one, in turn. Every frame after the
//! hello is `<hex HMAC-SHA256> <JSON>\n`, the MAC taken under the pre-shared [`AuthKey`] over the
//! protocol name, the direction, the connection's nonce, the frame's sequence number in that
//! direction and the JSON bytes. So a peer without the key can neither ask for a signature nor
//! forge an answer, and a recorded frame cannot be replayed, reordered or reflected.
//!
//! Nothing is encrypted: requests and signatures are published on chain anyway.

use std::path::Path;

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use zeroize::Zeroizing;

use super::{AttestationRequest, Refusal};

pub const PROTOCOL: &str = "sibyl-signer/1";
/// The longest frame either side accepts; real frames are a few hundred bytes.
pub const MAX_FRAME_BYTES: u64 = 16 * 1024;
const NONCE_LEN: usize = 32;
const AUTH_KEY_LEN: usize = 32;

/// The signer's first line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub protocol: String,
    #[serde(with = "hex")]
    pub nonce: [u8; NONCE_LEN],
}

/// What the node asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The attestation public key the signer signs with.
    PublicKey,
    SignAttestation(AttestationRequest),
}

/// What the signer answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Response {
    PublicKey {
        #[serde(with = "hex")]
        attestation_pubkey: [u8; 33],
    },
    Signature {
        #[serde(with = "hex")]
        signature: [u8; 64],
    },
    /// The signer will not sign this, ever.
    Refused { refusal: Refusal },
    /// The signer could not sign now (its record could not be written): try again later.
    Unavailable { message: String },
}

/// The pre-shared key that authenticates the node and the signer to each other: 32 random bytes,
/// hex in a file readable by its owner only.
#[derive(Clone)]
pub struct AuthKey(Zeroizing<[u8; AUTH_KEY_LEN]>);

impl AuthKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; AUTH_KEY_LEN]);
        OsRng.fill_bytes(key.as_mut_slice());
        Self(key)
    }

    pub fn from_bytes(bytes: [u8; AUTH_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads a key file; one that others may read is refused, like an ssh key.
    pub fn load(path: &Path) -> Result<Self, String> {
        use std::os::unix::fs::PermissionsExt;
        let display = path.display();
        let metadata =
            std::fs::metadata(path).map_err(|e| format!("cannot read {display}: {e}"))?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{display} is readable by other users (mode {mode:o}): run `chmod 600 {display}`"
            ));
        }
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {display}: {e}"))?,
        );
        let mut key = Zeroizing::new([0u8; AUTH_KEY_LEN]);
        hex::decode_to_slice(text.trim(), key.as_mut_slice()).map_err(|_| {
            format!("{display} is not a signer auth key (64 hex digits; `sibyl-oracle signer init` writes one)")
        })?;
        Ok(Self(key))
    }

    /// Writes the key to a new file, mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = Zeroizing::new(format!("{}\n", hex::encode(self.0.as_slice())));
        crate::keys::file::write_private_file(path, text.as_bytes(), false)
            .map_err(|e| e.to_string())
    }

    fn mac(
        &self,
        direction: Direction,
        nonce: &[u8; NONCE_LEN],
        seq: u64,
        body: &[u8],
    ) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(PROTOCOL.as_bytes());
        mac.update(&[direction as u8]);
        mac.update(nonce);
        mac.update(&seq.to_be_bytes());
        mac.update(body);
        mac
    }
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthKey(<redacted>)")
    }
}

/// Which way a frame goes; part of its MAC, so that a frame cannot be reflected back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Direction {
    ToSigner = 1,
    ToNode = 2,
}

impl Direction {
    fn opposite(self) -> Self {
        match self {
            Self::ToSigner => Self::ToNode,
            Self::ToNode => Self::ToSigner,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the peer closed the connection")]
    Closed,
    #[error("a frame is longer than {MAX_FRAME_BYTES} bytes")]
    TooLong,
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("the peer speaks {0:?}, not {PROTOCOL}")]
    Protocol(String),
    #[error("a frame's authentication code is wrong: the peer does not hold this auth key")]
    BadMac,
}

/// Anything the protocol runs over.
pub trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// One authenticated connection, from one side.
pub struct Channel {
    stream: BufReader<Box<dyn Duplex>>,
    key: AuthKey,
    nonce: [u8; NONCE_LEN],
    outgoing: Direction,
    sent: u64,
    received: u64,
}

impl Channel {
    /// The signer's side: sends the hello with a fresh nonce.
    pub async fn accept(stream: Box<dyn Duplex>, key: AuthKey) -> Result<Self, WireError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut stream = BufReader::new(stream);
        let hello = Hello {
            protocol: PROTOCOL.to_owned(),
            nonce,
        };
        let mut line =
            serde_json::to_vec(&hello).map_err(|e| WireError::Malformed(e.to_string()))?;
        line.push(b'\n');
        stream.write_all(&line).await?;
        stream.flush().await?;
        Ok(Self::new(stream, key, nonce, Direction::ToNode))
    }

    /// The node's side: reads the signer's hello.
    pub async fn open(stream: Box<dyn Duplex>, key: AuthKey) -> Result<Self, WireError> {
        let mut stream = BufReader::new(stream);
        let line = read_line(&mut stream).await?;
        let hello: Hello =
            serde_json::from_slice(&line).map_err(|e| WireError::Malformed(e.to_string()))?;
        if hello.protocol != PROTOCOL {
            return Err(WireError::Protocol(hello.protocol));
        }
        Ok(Self::new(stream, key, hello.nonce, Direction::ToSigner))
    }

    fn new(
        stream: BufReader<Box<dyn Duplex>>,
        key: AuthKey,
        nonce: [u8; NONCE_LEN],
        outgoing: Direction,
    ) -> Self {
        Self {
            stream,
            key,
            nonce,
            outgoing,
            sent: 0,
            received: 0,
        }
    }

    pub async fn send<T: Serialize>(&mut self, body: &T) -> Result<(), WireError> {
        let json = serde_json::to_vec(body).map_err(|e| WireError::Malformed(e.to_string()))?;
        let tag = self
            .key
            .mac(self.outgoing, &self.nonce, self.sent, &json)
            .finalize()
            .into_bytes();
        let mut line = Vec::with_capacity(json.len() + 66);
        line.extend_from_slice(hex::encode(tag).as_bytes());
        line.push(b' ');
        line.extend_from_slice(&json);
        line.push(b'\n');
        self.stream.write_all(&line).await?;
        self.stream.flush().await?;
        self.sent += 1;
        Ok(())
    }

    /// The next frame; [`WireError::Closed`] when the peer hung up between frames.
    pub async fn receive<T: DeserializeOwned>(&mut self) -> Result<T, WireError> {
        let line = read_line(&mut self.stream).await?;
        let (tag, json) = line
            .iter()
            .position(|&b| b == b' ')
            .map(|space| (&line[..space], &line[space + 1..]))
            .ok_or_else(|| WireError::Malformed("no authentication code".into()))?;
        let tag = hex::decode(tag).map_err(|_| WireError::BadMac)?;
        self.key
            .mac(self.outgoing.opposite(), &self.nonce, self.received, json)
            .verify_slice(&tag)
            .map_err(|_| WireError::BadMac)?;
        self.received += 1;
        serde_json::from_slice(json).map_err(|e| WireError::Malformed(e.to_string()))
    }
}

async fn read_line(stream: &mut BufReader<Box<dyn Duplex>>) -> Result<Vec<u8>, WireError> {
    let mut line = Vec::new();
    let read = (&mut *stream)
        .take(MAX_FRAME_BYTES + 1)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Err(WireError::Closed);
    }
    if line.last() != Some(&b'\n') {
        return Err(if read as u64 > MAX_FRAME_BYTES {
            WireError::TooLong
        } else {
            WireError::Closed
        });
    }
    line.pop();
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pair(node_key: AuthKey, signer_key: AuthKey) -> (Channel, Channel) {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let (signer, node) = tokio::join!(
            Channel::accept(Box::new(a), signer_key),
            Channel::open(Box::new(b), node_key)
        );
        (node.unwrap(), signer.unwrap())
    }

    #[tokio::test]
    async fn frames_go_both_ways_under_one_key() {
        let key = AuthKey::generate();
        let (mut node, mut signer) = pair(key.clone(), key).await;
        for _ in 0..3 {
            node.send(&Request::PublicKey).await.unwrap();
            assert_eq!(
                signer.receive::<Request>().await.unwrap(),
                Request::PublicKey
            );
            let answer = Response::Unavailable {
                message: "busy".into(),
            };
            signer.send(&answer).await.unwrap();
            assert_eq!(node.receive::<Response>().await.unwrap(), answer);
        }
    }

    #[tokio::test]
    async fn a_peer_with_another_key_is_refused() {
        let (mut node, mut signer) = pair(AuthKey::generate(), AuthKey::generate()).await;
        node.send(&Request::PublicKey).await.unwrap();
        assert!(matches!(
            signer.receive::<Request>().await,
            Err(WireError::BadMac)
        ));
    }

    #[tokio::test]
    async fn a_replayed_or_reflected_frame_is_refused() {
        let key = AuthKey::generate();
        let (a, b) = tokio::io::duplex(64 * 1024);
        let (signer, node) = tokio::join!(
            Channel::accept(Box::new(a), key.clone()),
            Channel::open(Box::new(b), key.clone())
        );
        let (mut signer, mut node) = (signer.unwrap(), node.unwrap());
        // A frame built for sequence 0 and sent again as the second frame.
        let json = serde_json::to_vec(&Request::PublicKey).unwrap();
        let tag = key
            .mac(Direction::ToSigner, &node.nonce, 0, &json)
            .finalize()
            .into_bytes();
        let frame = format!(
            "{} {}\n",
            hex::encode(tag),
            String::from_utf8(json.clone()).unwrap()
        );
        node.stream.write_all(frame.as_bytes()).await.unwrap();
        node.stream.write_all(frame.as_bytes()).await.unwrap();
        node.stream.flush().await.unwrap();
        signer.receive::<Request>().await.unwrap();
        assert!(matches!(
            signer.receive::<Request>().await,
            Err(WireError::BadMac)
        ));
        // The node's own frame sent back to it, as if from the signer.
        let reflected = key
            .mac(Direction::ToSigner, &node.nonce, 0, &json)
            .finalize()
            .into_bytes();
        signer
            .stream
            .write_all(
                format!(
                    "{} {}\n",
                    hex::encode(reflected),
                    String::from_utf8(json).unwrap()
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        signer.stream.flush().await.unwrap();
        assert!(matches!(
            node.receive::<Response>().await,
            Err(WireError::BadMac)
        ));
    }

    #[tokio::test]
    async fn an_endless_line_is_cut_off() {
        let (mut a, b) = tokio::io::duplex(64 * 1024);
        let writer = tokio::spawn(async move {
            let chunk = vec![b'x'; 4096];
            while a.write_all(&chunk).await.is_ok() {}
        });
        let result = Channel::open(Box::new(b), AuthKey::generate()).await;
        assert!(
            matches!(result, Err(WireError::TooLong)),
            "{:?}",
            result.err()
        );
        writer.abort();
    }

    #[test]
    fn an_auth_key_file_round_trips_and_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.key");
        let key = AuthKey::generate();
        key.save(&path).unwrap();
        assert_eq!(AuthKey::load(&path).unwrap().0.as_slice(), key.0.as_slice());
        assert!(
            key.save(&path).is_err(),
            "an existing key is never replaced"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(AuthKey::load(&path).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "not hex\n").unwrap();
        assert!(AuthKey::load(&path).unwrap_err().contains("64 hex digits"));
    }
}
