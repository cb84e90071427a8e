//! The signer: the one owner of the account's sequence.
//!
//! Signing, simulation and broadcast of one transaction happen under a lock, so sequences are
//! handed out in order and two transactions never carry the same one; waiting for inclusion
//! happens outside it, so several transactions can be in one block. Like Hermes and ampd: gas by
//! simulation × adjustment, fee = ceil(gas × price), broadcast in sync mode, confirmation by
//! polling `GetTx`, and every transaction carries a `timeout_height`, so that one not included by
//! then is known never to be and can be sent again without risk of a double send.

use std::time::Duration;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::base::abci::v1beta1::{TxMsgData, TxResponse};
use cosmrs::proto::prost::Message;
use cosmrs::tendermint::abci::types::ExecTxResult;
use cosmrs::tendermint::chain;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::config::GasPrice;
use super::grpc::{AccountState, Grpc};
use super::rpc::Rpc;
use crate::chain::{ChainError, ChainEvent, TxOutcome};

/// SDK error codes (codespace `sdk`) the signer reacts to.
mod code {
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    pub const OUT_OF_GAS: u32 = 11;
    pub const INSUFFICIENT_FEE: u32 = 13;
    pub const TX_IN_MEMPOOL_CACHE: u32 = 19;
    pub const WRONG_SEQUENCE: u32 = 32;
}

/// A wrong sequence is corrected and the transaction rebuilt at most this often.
const SEQUENCE_RETRIES: u32 = 3;
/// Gas assumed for the fee of the simulation of the account's first transaction; later ones use
/// the previous gas limit. Simulating with a real fee counts the gas of deducting it.
const FIRST_GAS_ESTIMATE: u64 = 200_000;
/// Longest pause between polls while the chain does not answer.
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(5);

/// An included transaction, with what the chain reported about it.
#[derive(Clone, Debug)]
pub struct IncludedTx {
    pub outcome: TxOutcome,
    /// One response per message, as `Any` (e.g. `MsgInstantiateContractResponse`).
    pub msg_responses: Vec<Any>,
    pub gas_wanted: u64,
}

/// How the signer pays.
#[derive(Clone, Debug)]
pub struct FeePolicy {
    pub gas_price: GasPrice,
    pub gas_adjustment: f64,
    pub granter: Option<AccountId>,
    pub timeout_blocks: u64,
    pub poll_interval: Duration,
}

/// Signs and sends the account's transactions.
pub struct Signer {
    key: SigningKey,
    address: AccountId,
    chain_id: chain::Id,
    fees: FeePolicy,
    /// The next transaction's account number and sequence; `None` until read from the chain or
    /// after a transaction whose fate left it unknown.
    account: Mutex<Option<AccountState>>,
    /// The last gas limit, for the fee of the next simulation.
    gas_estimate: std::sync::atomic::AtomicU64,
}

/// A broadcast transaction, not yet known to be included.
struct Sent {
    hash: [u8; 32],
    /// The latest height when it was built: it cannot be in an earlier block.
    built_at: u64,
    timeout_height: u64,
}

impl Sent {
    fn hex(&self) -> String {
        hex::encode_upper(self.hash)
    }
}

/// What the chain says of an included transaction, from `GetTx` or from its block.
#[derive(Debug, Default)]
struct TxResult {
    hash: String,
    height: u64,
    code: u32,
    codespace: String,
    log: String,
    gas_wanted: u64,
    gas_used: u64,
    events: Vec<ChainEvent>,
    /// `TxMsgData`, protobuf.
    data: Vec<u8>,
}

impl TxResult {
    fn from_response(response: TxResponse) -> Result<Self, ChainError> {
        let height = u64::try_from(response.height).unwrap_or_default();
        let data = hex::decode(&response.data)
            .map_err(|e| ChainError::Query(format!("transaction data is not hex: {e}")))?;
        let events = response
            .events
            .iter()
            .map(|event| ChainEvent {
                height,
                kind: event.r#type.clone(),
                attributes: event
                    .attributes
                    .iter()
                    .map(|a| (a.key.clone(), a.value.clone()))
                    .collect(),
            })
            .collect();
        Ok(TxResult {
            hash: response.txhash,
            height,
            code: response.code,
            codespace: response.codespace,
            log: response.raw_log,
            gas_wanted: u64::try_from(response.gas_wanted).unwrap_or_default(),
            gas_used: u64::try_from(response.gas_used).unwrap_or_default(),
            events,
            data,
        })
    }

    fn from_block(hash: String, height: u64, result: ExecTxResult) -> Self {
        TxResult {
            hash,
            height,
            code: result.code.value(),
            codespace: result.codespace,
            log: result.log,
            gas_wanted: u64::try_from(result.gas_wanted).unwrap_or_default(),
            gas_used: u64::try_from(result.gas_used).unwrap_or_default(),
            events: result
                .events
                .iter()
                .map(|event| super::rpc::chain_event(height, event))
                .collect(),
            data: result.data.to_vec(),
        }
    }
}

enum Fate {
    Included(Box<TxResult>),
    /// Not included by its timeout height, so it never will be.
    Expired,
}

impl Signer {
    pub fn new(key: SigningKey, address: AccountId, chain_id: chain::Id, fees: FeePolicy) -> Self {
        Signer {
            key,
            address,
            chain_id,
            fees,
            account: Mutex::new(None),
            gas_estimate: std::sync::atomic::AtomicU64::new(FIRST_GAS_ESTIMATE),
        }
    }

    pub fn address(&self) -> &AccountId {
        &self.address
    }

    /// Signs, sends and waits for one transaction with `messages`.
    pub async fn send(
        &self,
        rpc: &Rpc,
        grpc: &Grpc,
        messages: Vec<Any>,
    ) -> Result<IncludedTx, ChainError> {
        let mut out_of_gas_retried = false;
        let mut at_least = 0;
        loop {
            let sent = self.broadcast(rpc, grpc, &messages, at_least).await?;
            match self.confirm(rpc, grpc, &sent).await {
                Fate::Included(result) if result.code == 0 => return included(*result),
                Fate::Included(result)
                    if result.code == code::OUT_OF_GAS && !out_of_gas_retried =>
                {
                    // State changed between simulation and execution: simulate again, once.
                    tracing::warn!(tx = %result.hash, gas_wanted = result.gas_wanted, "out of gas; re-simulating");
                    out_of_gas_retried = true;
                    at_least = result.gas_used;
                }
                Fate::Included(result) => {
                    return Err(ChainError::TxRejected(format!(
                        "transaction {} failed in block {} (code {} {}): {}",
                        result.hash, result.height, result.codespace, result.code, result.log
                    )))
                }
                Fate::Expired => {
                    *self.account.lock().await = None;
                    return Err(ChainError::Unavailable(format!(
                        "transaction {} was not included by its timeout height {}, so it never \
                         will be",
                        sent.hex(),
                        sent.timeout_height
                    )));
                }
            }
        }
    }

    /// Simulates, signs and broadcasts under the sequence lock; the gas limit is at least
    /// `at_least` × the adjustment (the gas a failed attempt used).
    async fn broadcast(
        &self,
        rpc: &Rpc,
        grpc: &Grpc,
        messages: &[Any],
        at_least: u64,
    ) -> Result<Sent, ChainError> {
        let mut account = self.account.lock().await;
        let mut last_mismatch = String::new();
        for _ in 0..=SEQUENCE_RETRIES {
            let state = match *account {
                Some(state) => state,
                None => {
                    let state = grpc.account(self.address.as_ref()).await?.ok_or_else(|| {
                        ChainError::TxRejected(format!(
                            "account {} does not exist on chain {}: send it tokens first",
                            self.address, self.chain_id
                        ))
                    })?;
                    *account = Some(state);
                    state
                }
            };
            let built_at = rpc.status().await?.latest_height;
            let timeout_height = built_at + self.fees.timeout_blocks;
            let body = Body::new(messages.to_vec(), "", to_height(timeout_height)?);
            let estimate = self.gas_estimate.load(std::sync::atomic::Ordering::Relaxed);
            let simulation = self.sign(&body, state, self.fee(estimate))?;
            let gas_limit = match grpc.simulate(simulation).await {
                Ok(gas_used) => gas_limit(gas_used.max(at_least), self.fees.gas_adjustment),
                Err(ChainError::TxRejected(message)) if is_wrong_sequence(&message) => {
                    *account = corrected(state, &message);
                    last_mismatch = message;
                    continue;
                }
                Err(error) => return Err(error),
            };
            self.gas_estimate
                .store(gas_limit, std::sync::atomic::Ordering::Relaxed);
            let tx_bytes = self.sign(&body, state, self.fee(gas_limit))?;
            let hash: [u8; 32] = Sha256::digest(&tx_bytes).into();
            let accepted = |account: &mut Option<AccountState>| {
                *account = Some(AccountState {
                    sequence: state.sequence + 1,
                    ..state
                });
                Ok(Sent {
                    hash,
                    built_at,
                    timeout_height,
                })
            };
            match grpc.broadcast(tx_bytes).await {
                Ok(response)
                    if response.code == 0 || response.code == code::TX_IN_MEMPOOL_CACHE =>
                {
                    tracing::debug!(tx = %hex::encode_upper(hash), gas_limit, sequence = state.sequence, "broadcast");
                    return accepted(&mut account);
                }
                Ok(response) if response.code == code::WRONG_SEQUENCE => {
                    *account = corrected(state, &response.raw_log);
                    last_mismatch = response.raw_log;
                }
                Ok(response) => return Err(self.check_tx_error(&response, gas_limit)),
                // The node may have taken it before the connection broke: only its hash can tell,
                // and a wrong guess of the sequence is corrected on the next transaction.
                Err(error) if error.is_transient() => {
                    tracing::warn!(tx = %hex::encode_upper(hash), %error, "broadcast unanswered; waiting for the transaction");
                    return accepted(&mut account);
                }
                Err(error) => return Err(error),
            }
        }
        // Another signer of the same account keeps taking sequences: nothing was sent, and the
        // same transaction may go through once it pauses.
        *account = None;
        Err(ChainError::Unavailable(format!(
            "account sequence still wrong after {SEQUENCE_RETRIES} corrections (another signer \
             uses this account?): {last_mismatch}"
        )))
    }

    /// Polls until the transaction is in a block or its timeout height has passed; a chain that
    /// does not answer is waited for, because only the chain can say whether it was included.
    async fn confirm(&self, rpc: &Rpc, grpc: &Grpc, sent: &Sent) -> Fate {
        let mut pause = self.fees.poll_interval;
        loop {
            tokio::time::sleep(pause).await;
            let polled =
                async {
                    if let Some(response) = grpc.tx(&sent.hex()).await? {
                        return Ok(Some(Fate::Included(Box::new(TxResult::from_response(
                            response,
                        )?))));
                    }
                    if rpc.status().await?.latest_height > sent.timeout_height {
                        // The index can miss a block (the last one before the node stopped): only
                        // the blocks themselves can say that the transaction is in none of them.
                        let found = rpc
                            .find_tx(&sent.hash, sent.built_at + 1, sent.timeout_height)
                            .await?;
                        return Ok(Some(match found {
                            Some((height, result)) => Fate::Included(Box::new(
                                TxResult::from_block(sent.hex(), height, result),
                            )),
                            None => Fate::Expired,
                        }));
                    }
                    Ok::<_, ChainError>(None)
                };
            // Whatever the chain answers meanwhile (a node still starting may answer with odd
            // errors), the transaction may still land: only inclusion or expiry end the wait.
            match polled.await {
                Ok(Some(fate)) => return fate,
                Ok(None) => pause = self.fees.poll_interval,
                Err(error) => {
                    tracing::debug!(tx = %sent.hex(), %error, "waiting for the chain");
                    pause = (pause * 2).min(MAX_POLL_BACKOFF);
                }
            }
        }
    }

    fn fee(&self, gas_limit: u64) -> Fee {
        let amount = self.fees.gas_price.fee_for(gas_limit);
        Fee {
            amount: vec![Coin {
                denom: self
                    .fees
                    .gas_price
                    .denom
                    .parse()
                    .expect("validated gas price denom"),
                amount: amount.u128(),
            }],
            gas_limit,
            payer: None,
            granter: self.fees.granter.clone(),
        }
    }

    fn sign(&self, body: &Body, state: AccountState, fee: Fee) -> Result<Vec<u8>, ChainError> {
        let auth_info =
            SignerInfo::single_direct(Some(self.key.public_key()), state.sequence).auth_info(fee);
        let raw = SignDoc::new(body, &auth_info, &self.chain_id, state.number)
            .and_then(|doc| doc.sign(&self.key))
            .and_then(|raw| raw.to_bytes())
            .map_err(|e| ChainError::TxRejected(format!("cannot sign the transaction: {e}")))?;
        Ok(raw)
    }

    /// A CheckTx rejection, with the numbers an operator needs to fix it.
    fn check_tx_error(&self, response: &TxResponse, gas_limit: u64) -> ChainError {
        let fee = self.fees.gas_price.fee_for(gas_limit);
        let denom = &self.fees.gas_price.denom;
        let payer = match &self.fees.granter {
            Some(granter) => format!("fee granter {granter}"),
            None => format!("account {}", self.address),
        };
        let message = match response.code {
            code::INSUFFICIENT_FEE => format!(
                "insufficient fee: offered {fee}{denom} for {gas_limit} gas at {}; raise \
                 chain.gas_price: {}",
                self.fees.gas_price, response.raw_log
            ),
            code::INSUFFICIENT_FUNDS => format!(
                "insufficient funds: {payer} cannot pay the fee of {fee}{denom}: {}",
                response.raw_log
            ),
            _ => format!(
                "transaction refused by the node (code {} {}): {}",
                response.codespace, response.code, response.raw_log
            ),
        };
        ChainError::TxRejected(message)
    }
}

fn to_height(height: u64) -> Result<cosmrs::tendermint::block::Height, ChainError> {
    cosmrs::tendermint::block::Height::try_from(height)
        .map_err(|e| ChainError::TxRejected(format!("timeout height {height}: {e}")))
}

/// ceil(simulated gas × adjustment).
pub fn gas_limit(gas_used: u64, adjustment: f64) -> u64 {
    (gas_used as f64 * adjustment).ceil() as u64
}

fn is_wrong_sequence(message: &str) -> bool {
    message.contains("account sequence mismatch")
}

/// The sequence the chain expects, from "account sequence mismatch, expected 7, got 6"; unknown
/// (read it again from the chain) when the message does not say.
fn corrected(state: AccountState, message: &str) -> Option<AccountState> {
    let expected = message
        .split("expected ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some(AccountState {
        sequence: expected,
        ..state
    })
}

fn included(result: TxResult) -> Result<IncludedTx, ChainError> {
    let msg_responses = TxMsgData::decode(result.data.as_slice())
        .map_err(|e| ChainError::Query(format!("transaction data: {e}")))?
        .msg_responses;
    Ok(IncludedTx {
        outcome: TxOutcome {
            tx_hash: result.hash,
            height: result.height,
            events: result.events,
            data: None,
            gas_used: result.gas_used,
        },
        msg_responses,
        gas_wanted: result.gas_wanted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_limit_rounds_the_adjusted_simulation_up() {
        assert_eq!(gas_limit(100_000, 1.3), 130_000);
        assert_eq!(gas_limit(100_001, 1.3), 130_002);
        assert_eq!(gas_limit(7, 1.0), 7);
    }

    #[test]
    fn a_sequence_mismatch_gives_the_expected_sequence() {
        let state = AccountState {
            number: 4,
            sequence: 6,
        };
        let message = "account sequence mismatch, expected 9, got 6: incorrect account sequence";
        assert!(is_wrong_sequence(message));
        assert_eq!(
            corrected(state, message),
            Some(AccountState {
                number: 4,
                sequence: 9
            })
        );
        assert_eq!(corrected(state, "incorrect account sequence"), None);
    }

    #[test]
    fn included_transactions_carry_events_and_message_responses() {
        let data = TxMsgData {
            #[allow(deprecated)]
            data: Vec::new(),
            msg_responses: vec![Any {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                value: vec![10, 2, 1, 2],
            }],
        };
        let response = TxResponse {
            height: 12,
            txhash: "AB".into(),
            data: hex::encode_upper(data.encode_to_vec()),
            gas_wanted: 200,
            gas_used: 150,
            events: vec![cosmrs::proto::tendermint::v0_38::abci::Event {
                r#type: "wasm-sibyl_committed".into(),
                attributes: vec![cosmrs::proto::tendermint::v0_38::abci::EventAttribute {
                    key: "job_id".into(),
                    value: "3".into(),
                    index: true,
                }],
            }],
            ..TxResponse::default()
        };
        let tx = included(TxResult::from_response(response).unwrap()).unwrap();
        assert_eq!(tx.outcome.height, 12);
        assert_eq!(tx.outcome.events[0].attribute("job_id"), Some("3"));
        assert_eq!(tx.msg_responses.len(), 1);
        assert_eq!((tx.gas_wanted, tx.outcome.gas_used), (200, 150));
    }
}
