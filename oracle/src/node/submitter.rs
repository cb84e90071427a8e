//! The submitter: the one task that sends the operator's transactions.
//!
//! One owner for the account keeps transactions in order (on a real chain it also owns the
//! account sequence, as Hermes' signer does). Transient failures are retried with exponential
//! backoff; a rejection by the chain is returned at once, since resending it would fail the same way.

use cosmwasm_std::Coin;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::chain::{ChainClient, ChainError, TxOutcome};
use crate::config::SubmissionConfig;

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

/// Sends queued transactions until cancelled.
pub async fn run<C: ChainClient>(
    client: C,
    config: SubmissionConfig,
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
        let mut attempt = 1;
        let outcome = loop {
            let outcome = client
                .execute_raw(
                    &request.contract,
                    request.msg.clone(),
                    request.funds.clone(),
                )
                .await;
            match outcome {
                Err(error) if error.is_transient() && attempt < config.max_attempts => {
                    let delay = config.backoff(attempt);
                    tracing::warn!(tx = %request.label, attempt, ?delay, %error, "transaction failed, retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    attempt += 1;
                }
                other => break other,
            }
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
