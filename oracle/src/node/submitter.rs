//! The submitter: the one task that sends the operator's transactions.
//!
//! One owner for the account keeps transactions in order (on a real chain it also owns the
//! account sequence, as Hermes' signer does). Each request is sent once and its outcome returned:
//! retrying is the job task's decision, so that one failure is never retried by two layers.

use cosmwasm_std::Coin;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::chain::{ChainClient, ChainError, TxOutcome};

/// A transaction for the submitter.
pub struct TxRequest {
    /// What it is for, in logs (e.g. `commit job 7`).
    pub label: String,
    pub contract: String,
    /// JSON execute message.
    pub msg: Vec<u8>,
    pub funds: Vec<Coin>,
    pub reply: oneshot::Sender<Result<TxOutcome, ChainError>>,
}

/// Handle the job tasks use to send transactions.
#[derive(Clone)]
pub struct Submitter {
    requests: mpsc::Sender<TxRequest>,
}

impl Submitter {
    /// Creates the handle and the receiving end for [`run`].
    pub fn channel(capacity: usize) -> (Submitter, mpsc::Receiver<TxRequest>) {
        let (requests, receiver) = mpsc::channel(capacity);
        (Submitter { requests }, receiver)
    }

    /// Sends `msg` to `contract` and waits for the outcome.
    pub async fn submit<M: serde::Serialize>(
        &self,
        label: String,
        contract: &str,
        msg: &M,
    ) -> Result<TxOutcome, ChainError> {
        let (reply, outcome) = oneshot::channel();
        let request = TxRequest {
            label,
            contract: contract.to_string(),
            msg: serde_json::to_vec(msg)?,
            funds: Vec::new(),
            reply,
        };
        self.requests
            .send(request)
            .await
            .map_err(|_| ChainError::Unavailable("the node is stopping".into()))?;
        outcome
            .await
            .map_err(|_| ChainError::Unavailable("the node is stopping".into()))?
    }
}

/// Sends queued transactions, one at a time, until cancelled.
pub async fn run<C: ChainClient>(
    client: C,
    mut requests: mpsc::Receiver<TxRequest>,
    cancel: CancellationToken,
) -> Result<(), ChainError> {
    loop {
        let request = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            request = requests.recv() => match request {
                Some(request) => request,
                None => return Ok(()),
            },
        };
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            outcome = client.execute_raw(&request.contract, request.msg, request.funds) => outcome,
        };
        match &outcome {
            Ok(tx) => {
                tracing::debug!(tx = %request.label, height = tx.height, "transaction included")
            }
            Err(error) => tracing::warn!(tx = %request.label, %error, "transaction failed"),
        }
        // The job task may have been cancelled meanwhile: then nobody needs the outcome.
        let _ = request.reply.send(outcome);
    }
}
