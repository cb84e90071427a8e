//! The driver thread: owns the multi-test `App`, executes requests, closes blocks on a timer.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use cosmwasm_std::{
    Addr, Binary, BlockInfo, Coin, ContractResult, CosmosMsg, Querier, QueryRequest, SystemResult,
    Timestamp, Uint256, WasmMsg, WasmQuery,
};
use cw_multi_test::{App, AppResponse, BankSudo, Executor, SudoMsg};
use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, watch};

use super::contracts::ContractCode;
use super::EmbeddedChainConfig;
use sibyl_oracle::chain::{ChainError, ChainEvent, TxOutcome};

/// Chain time at genesis (any fixed instant works; a fixed one keeps runs reproducible).
const GENESIS_TIME_SECONDS: u64 = 1_767_225_600;

pub(crate) enum Request {
    Query {
        contract: String,
        msg: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, ChainError>>,
    },
    Execute {
        sender: String,
        contract: String,
        msg: Vec<u8>,
        funds: Vec<Coin>,
        reply: oneshot::Sender<Result<TxOutcome, ChainError>>,
    },
    Events {
        after: u64,
        up_to: u64,
        reply: oneshot::Sender<Result<Vec<ChainEvent>, ChainError>>,
    },
    StoreCode {
        code: ContractCode,
        reply: oneshot::Sender<u64>,
    },
    Instantiate {
        sender: String,
        code_id: u64,
        msg: Vec<u8>,
        label: String,
        reply: oneshot::Sender<Result<String, ChainError>>,
    },
    Mint {
        to: String,
        amount: Coin,
        reply: oneshot::Sender<Result<(), ChainError>>,
    },
    Balance {
        address: String,
        denom: String,
        reply: oneshot::Sender<Result<Uint256, ChainError>>,
    },
    Stats {
        reply: oneshot::Sender<ChainStats>,
    },
    Stop,
}

/// What the driver thread has done so far (for benchmarks and the demo summary).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChainStats {
    /// Latest finished block.
    pub height: u64,
    /// Executed transactions, including rejected ones.
    pub transactions: u64,
    /// Rejected transactions.
    pub rejected_transactions: u64,
    /// Smart queries served.
    pub queries: u64,
    /// Thread time spent executing transactions.
    pub execute_time: Duration,
    /// Thread time spent answering queries.
    pub query_time: Duration,
}

struct Driver {
    app: App,
    config: EmbeddedChainConfig,
    /// Events of the open block (height `app.block_info().height`).
    open_block_events: Vec<ChainEvent>,
    /// Transactions executed in the open block (their index makes tx hashes unique).
    open_block_transactions: u64,
    /// Events of finished blocks, oldest first, at most `event_retention_blocks` of them.
    finished_blocks: VecDeque<(u64, Vec<ChainEvent>)>,
    heights: watch::Sender<u64>,
    stats: ChainStats,
}

pub(crate) fn run(
    config: EmbeddedChainConfig,
    requests: Receiver<Request>,
    heights: watch::Sender<u64>,
) {
    let genesis = BlockInfo {
        height: 1,
        time: Timestamp::from_seconds(GENESIS_TIME_SECONDS),
        chain_id: config.chain_id.clone(),
    };
    let app = cw_multi_test::AppBuilder::new()
        .with_block(genesis)
        .build(|_, _, _| {});
    let mut driver = Driver {
        app,
        config,
        open_block_events: Vec::new(),
        open_block_transactions: 0,
        finished_blocks: VecDeque::new(),
        heights,
        stats: ChainStats::default(),
    };
    driver.serve(requests);
}

impl Driver {
    fn serve(&mut self, requests: Receiver<Request>) {
        let mut next_block_at = Instant::now() + self.config.block_time;
        loop {
            let now = Instant::now();
            if now >= next_block_at {
                self.finish_block();
                next_block_at += self.config.block_time;
                // After a stall (a slow transaction), don't fire a burst of catch-up blocks.
                if next_block_at < now {
                    next_block_at = now + self.config.block_time;
                }
                continue;
            }
            match requests.recv_timeout(next_block_at - now) {
                Ok(Request::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(request) => self.handle(request),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Closes the open block: its events become visible and the height advances.
    fn finish_block(&mut self) {
        let height = self.app.block_info().height;
        let events = std::mem::take(&mut self.open_block_events);
        self.open_block_transactions = 0;
        self.finished_blocks.push_back((height, events));
        while self.finished_blocks.len() as u64 > self.config.event_retention_blocks {
            self.finished_blocks.pop_front();
        }
        let block_nanos = u64::try_from(self.config.block_time.as_nanos()).unwrap_or(u64::MAX);
        self.app.update_block(|block| {
            block.height += 1;
            block.time = block.time.plus_nanos(block_nanos);
        });
        self.stats.height = height;
        // Nobody listening is fine: clients subscribe when they need to.
        self.heights.send_replace(height);
    }

    // Replies go to a oneshot whose receiver may have been dropped (caller cancelled): ignore.
    fn handle(&mut self, request: Request) {
        match request {
            Request::Query {
                contract,
                msg,
                reply,
            } => {
                let _ = reply.send(self.query(contract, msg));
            }
            Request::Execute {
                sender,
                contract,
                msg,
                funds,
                reply,
            } => {
                let wasm = WasmMsg::Execute {
                    contract_addr: contract,
                    msg: Binary::new(msg),
                    funds,
                };
                let _ = reply.send(self.execute(sender, wasm.into()));
            }
            Request::Events {
                after,
                up_to,
                reply,
            } => {
                let _ = reply.send(self.events_between(after, up_to));
            }
            Request::StoreCode { code, reply } => {
                let _ = reply.send(self.app.store_code(code.contract()));
            }
            Request::Instantiate {
                sender,
                code_id,
                msg,
                label,
                reply,
            } => {
                let wasm = WasmMsg::Instantiate {
                    admin: None,
                    code_id,
                    msg: Binary::new(msg),
                    funds: vec![],
                    label,
                };
                let result = self.execute(sender, wasm.into()).and_then(|outcome| {
                    instantiated_address(&outcome).ok_or_else(|| {
                        ChainError::TxRejected("instantiate returned no contract address".into())
                    })
                });
                let _ = reply.send(result);
            }
            Request::Mint { to, amount, reply } => {
                let result = self
                    .app
                    .sudo(SudoMsg::Bank(BankSudo::Mint {
                        to_address: to,
                        amount: vec![amount],
                    }))
                    .map(|_| ())
                    .map_err(|e| ChainError::TxRejected(e.to_string()));
                let _ = reply.send(result);
            }
            Request::Balance {
                address,
                denom,
                reply,
            } => {
                let result = self
                    .app
                    .wrap()
                    .query_balance(address, denom)
                    .map(|coin| coin.amount)
                    .map_err(|e| ChainError::Query(e.to_string()));
                let _ = reply.send(result);
            }
            Request::Stats { reply } => {
                let _ = reply.send(self.stats);
            }
            // Handled by the serve loop.
            Request::Stop => {}
        }
    }

    fn query(&mut self, contract: String, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let started = Instant::now();
        let request: QueryRequest = QueryRequest::Wasm(WasmQuery::Smart {
            contract_addr: contract,
            msg: Binary::new(msg),
        });
        let encoded = serde_json::to_vec(&request)?;
        let result = match self.app.raw_query(&encoded) {
            SystemResult::Ok(ContractResult::Ok(bytes)) => Ok(bytes.to_vec()),
            SystemResult::Ok(ContractResult::Err(e)) => Err(ChainError::Query(e)),
            SystemResult::Err(e) => Err(ChainError::Query(e.to_string())),
        };
        self.stats.queries += 1;
        self.stats.query_time += started.elapsed();
        result
    }

    fn execute(&mut self, sender: String, msg: CosmosMsg) -> Result<TxOutcome, ChainError> {
        let started = Instant::now();
        let height = self.app.block_info().height;
        let tx_hash = transaction_hash(height, self.open_block_transactions, &sender, &msg)?;
        self.open_block_transactions += 1;
        let result = self.app.execute(Addr::unchecked(sender), msg);
        self.stats.transactions += 1;
        self.stats.execute_time += started.elapsed();
        match result {
            Ok(response) => Ok(self.record(tx_hash, height, response)),
            Err(e) => {
                self.stats.rejected_transactions += 1;
                Err(ChainError::TxRejected(e.to_string()))
            }
        }
    }

    fn record(&mut self, tx_hash: String, height: u64, response: AppResponse) -> TxOutcome {
        let events: Vec<ChainEvent> = response
            .events
            .iter()
            .map(|event| ChainEvent::from_cosmwasm(height, event))
            .collect();
        self.open_block_events.extend(events.iter().cloned());
        TxOutcome {
            tx_hash,
            height,
            events,
            data: response.data.map(|data| data.to_vec()),
            gas_used: 0,
        }
    }

    fn events_between(&self, after: u64, up_to: u64) -> Result<Vec<ChainEvent>, ChainError> {
        if let Some((oldest_kept, _)) = self.finished_blocks.front() {
            if after.saturating_add(1) < *oldest_kept {
                return Err(ChainError::EventsPruned {
                    requested: after.saturating_add(1),
                    oldest_kept: *oldest_kept,
                });
            }
        }
        Ok(self
            .finished_blocks
            .iter()
            .filter(|(height, _)| *height > after && *height <= up_to)
            .flat_map(|(_, events)| events.iter().cloned())
            .collect())
    }
}

/// The new contract's address from an instantiate transaction's `instantiate` event.
fn instantiated_address(outcome: &TxOutcome) -> Option<String> {
    outcome
        .events
        .iter()
        .find(|event| event.kind == "instantiate")
        .and_then(|event| event.contract())
        .map(str::to_string)
}

/// A unique hash for a transaction of the embedded chain (which has no signed tx bytes):
/// sha256 of its height, index in the block, sender and message.
fn transaction_hash(
    height: u64,
    index: u64,
    sender: &str,
    msg: &CosmosMsg,
) -> Result<String, ChainError> {
    let mut hasher = Sha256::new();
    hasher.update(height.to_be_bytes());
    hasher.update(index.to_be_bytes());
    hasher.update((sender.len() as u64).to_be_bytes());
    hasher.update(sender.as_bytes());
    hasher.update(serde_json::to_vec(msg)?);
    Ok(hex::encode_upper(hasher.finalize()))
}
