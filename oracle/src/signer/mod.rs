//! Attestation signing: in the node's process with the key file's attestation key, or by
//! `sibyl-oracle signer`, a separate process (same binary) that holds only the attestation key,
//! on another host if the operator wants.
//!
//! - `wire`: the authenticated protocol between a node and its signer;
//! - `guard`: the signer's persisted record of what it signed (never two results for one job);
//! - `service`: what the signer answers to each request;
//! - `server`: the signer's listener and connections;
//! - `client`: the node's side, [`RemoteSigner`];
//! - `config`: the signer's config file and the node's `[signer]` section.
//!
//! The signer is asked for the attestation's fields, not a bare digest, so that it can check the
//! chain id and the escrow and keep its record per job. The operator-facing description is
//! `docs/operator-security.md`.

pub mod client;
pub mod config;
pub mod guard;
pub mod server;
pub mod service;
pub mod wire;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sibyl_api::attestation;

use crate::keys::{AttestationKey, KeyError};
pub use client::RemoteSigner;

/// What an attestation signs (`sibyl_api::attestation::attestation_digest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationRequest {
    pub chain_id: String,
    pub escrow: String,
    pub job_id: u64,
    #[serde(with = "hex")]
    pub model_hash: [u8; 32],
    #[serde(with = "hex")]
    pub input_hash: [u8; 32],
    #[serde(with = "hex")]
    pub output_hash: [u8; 32],
}

impl AttestationRequest {
    pub fn digest(&self) -> [u8; 32] {
        attestation::attestation_digest(
            &self.chain_id,
            &self.escrow,
            self.job_id,
            &self.model_hash,
            &self.input_hash,
            &self.output_hash,
        )
    }
}

/// Why the signer will never sign a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum Refusal {
    #[error(
        "job {job_id} already has a signed attestation of output hash {}: the signer never signs \
         a second, different result for a job (double-signing guard)",
        hex::encode(signed_output_hash)
    )]
    DoubleSign {
        job_id: u64,
        #[serde(with = "hex")]
        signed_output_hash: [u8; 32],
    },
    #[error("the signer signs for chain {expected:?} only, not {requested:?}")]
    WrongChain { expected: String, requested: String },
    #[error("the signer signs for escrow {expected} only, not {requested}")]
    WrongEscrow { expected: String, requested: String },
}

/// Why a node got no signature.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the signer at {address} is unavailable: {reason}")]
    Unavailable { address: String, reason: String },
    #[error("the signer refused: {0}")]
    Refused(Refusal),
    #[error(
        "the signer at {address} answered with a signature that the attestation key {} does not \
         verify: it holds another key",
        hex::encode(expected_pubkey)
    )]
    WrongKey {
        address: String,
        expected_pubkey: [u8; 33],
    },
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl SignError {
    /// Whether asking again later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Who signs the node's attestations.
#[derive(Clone)]
pub enum AttestationSigner {
    /// The attestation key is in this process (a key file with the mnemonic).
    Local(Arc<AttestationKey>),
    /// `sibyl-oracle signer` holds it.
    Remote(Arc<RemoteSigner>),
}

impl AttestationSigner {
    pub fn local(key: AttestationKey) -> Self {
        Self::Local(Arc::new(key))
    }

    pub async fn sign(&self, request: &AttestationRequest) -> Result<[u8; 64], SignError> {
        match self {
            Self::Local(key) => Ok(key.sign(&request.digest())?),
            Self::Remote(signer) => signer.sign(request).await,
        }
    }
}

impl std::fmt::Debug for AttestationSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(key) => write!(f, "local attestation key (index {})", key.index()),
            Self::Remote(signer) => write!(f, "remote signer at {}", signer.address()),
        }
    }
}
