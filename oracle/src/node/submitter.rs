//! The submitter: the one task that sends the operator's transactions.
//!
//! Each request is sent once and its outcome returned: retrying is the job task's decision, so
//! that one failure is never retried by two layers. The account sequence belongs to the chain
//! client (for a real chain, `chain::cosmos::signer`).

use cosmwasm_std::Coin;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
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

/// Sends queued transactions until cancelled. Each is sent as soon as it is queued, without
/// waiting for the previous one to be included: the chain client's signer hands out the account
/// sequence in order, so two jobs' commits can land in one block. Transactions still in flight at
/// cancellation are dropped; their jobs find out from the chain after a restart.
pub async fn run<C: ChainClient>(
    client: C,
    mut requests: mpsc::Receiver<TxRequest>,
    cancel: CancellationToken,
) -> Result<(), ChainError> {
    let mut in_flight = JoinSet::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            request = requests.recv() => match request {
                Some(request) => {
                    in_flight.spawn(send(client.clone(), request));
                }
                None => return Ok(()),
            },
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
}

async fn send<C: ChainClient>(client: C, request: TxRequest) {
    let outcome = client
        .execute_raw(&request.contract, request.msg, request.funds)
        .await;
    match &outcome {
        Ok(tx) => tracing::debug!(tx = %request.label, height = tx.height, "transaction included"),
        Err(error) => tracing::warn!(tx = %request.label, %error, "transaction failed"),
    }
    // The job task may have been cancelled meanwhile: then nobody needs the outcome.
    let _ = request.reply.send(outcome);
}
