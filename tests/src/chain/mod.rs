//! A minimal in-process chain that runs the contracts' real release wasm in `cosmwasm-vm`.
//!
//! It does what wasmd does around the VM, as far as the benchmarks need: static checks at store
//! time, one fresh instance per entry point call, cross-contract smart and raw queries answered by
//! the queried contract's wasm, sub-messages (`WasmMsg::Execute`, `BankMsg::Send`) executed after the
//! call with replies, and a transaction rolled back when any part of it fails. Storage is metered
//! with the Cosmos SDK's prices (see `metered_storage`).

mod bank;
mod gas;
mod querier;
mod world;

use std::sync::Arc;

use cosmwasm_std::{to_json_vec, Addr, BlockInfo, Checksum, Coin, Timestamp, Uint256};
use cosmwasm_vm::testing::MockApi;
use cosmwasm_vm::{AnalysisReport, BackendApi, Cache, CacheOptions, Size, VmError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub use gas::{Gas, Receipt};
pub use querier::ChainQuerier;

use crate::capabilities::chain_capabilities;
use world::{call_gas_limit, decode, World};

/// A real CosmWasm chain's address prefix and id, so that addresses have realistic lengths.
pub const BECH32_PREFIX: &str = "neutron";
pub const CHAIN_ID: &str = "neutron-1";
pub const BLOCK_TIME_SECONDS: u64 = 6;
/// wasmd's default memory limit of a contract instance.
const INSTANCE_MEMORY_LIMIT: Size = Size::mebi(32);
const MODULE_CACHE_SIZE: Size = Size::mebi(256);

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the CosmWasm VM failed: {0}")]
    Vm(#[from] VmError),
    #[error("{contract} rejected `{call}`: {error}")]
    Contract {
        contract: String,
        call: String,
        error: String,
    },
    #[error("no contract at {0}")]
    UnknownContract(String),
    #[error("{0} is already running: this harness does not support re-entrant calls")]
    Reentrant(String),
    #[error("the VM did not hand back the contract's storage")]
    StorageLost,
    #[error("{address} holds {held}, cannot pay {wanted}")]
    InsufficientFunds {
        address: String,
        // Boxed: two 256-bit coins would make every `Result<_, ChainError>` large.
        held: Box<Coin>,
        wanted: Box<Coin>,
    },
    #[error("this harness does not execute sub-message {0}")]
    UnsupportedMessage(String),
    #[error("cannot encode a message as JSON: {0}")]
    Encode(String),
    #[error("cannot decode {what}: {error}")]
    Decode { what: String, error: String },
    #[error("cannot derive an address: {0}")]
    Address(String),
    #[error("cannot create the VM's cache directory: {0}")]
    CacheDir(#[from] std::io::Error),
}

/// A stored code: its checksum and what the VM's static analysis found in it.
pub struct StoredCode {
    pub checksum: Checksum,
    pub analysis: AnalysisReport,
}

pub struct Chain {
    world: Arc<World>,
    /// The VM's module cache lives here; removed when the chain is dropped.
    _cache_dir: TempDir,
}

/// The bech32 address of `length` bytes of `sha256(seed)`.
pub(crate) fn address_for(api: &MockApi, seed: &[u8], length: usize) -> Result<Addr, ChainError> {
    let digest = Sha256::digest(seed);
    let (address, _) = api.addr_humanize(&digest[..length]);
    address
        .map(Addr::unchecked)
        .map_err(|e| ChainError::Address(e.to_string()))
}

fn encode<M: Serialize>(msg: &M) -> Result<Vec<u8>, ChainError> {
    to_json_vec(msg).map_err(|e| ChainError::Encode(e.to_string()))
}

impl Chain {
    pub fn new() -> Result<Chain, ChainError> {
        let cache_dir = TempDir::new()?;
        let options = CacheOptions::new(
            cache_dir.path(),
            chain_capabilities(),
            MODULE_CACHE_SIZE,
            INSTANCE_MEMORY_LIMIT,
        );
        // SAFETY: the cache directory was created empty just now and only this cache writes to it,
        // so no module on disk can have been tampered with.
        let cache = unsafe { Cache::new(options)? };
        let block = BlockInfo {
            height: 1_000_000,
            time: Timestamp::from_seconds(1_767_225_600),
            chain_id: CHAIN_ID.to_string(),
        };
        let api = MockApi::default().with_prefix(BECH32_PREFIX);
        Ok(Chain {
            world: Arc::new(World::new(api, cache, block)),
            _cache_dir: cache_dir,
        })
    }

    /// Stores a wasm code after the static checks wasmd's `StoreCode` runs (exports, imports,
    /// capabilities, limits, no unsupported instructions) and compiles it.
    pub fn store_code(&self, wasm: &[u8]) -> Result<StoredCode, ChainError> {
        let checksum = self.world.cache.store_code(wasm, true, true)?;
        let analysis = self.world.cache.analyze(&checksum)?;
        Ok(StoredCode { checksum, analysis })
    }

    /// A user account: 20 bytes as on Cosmos chains.
    pub fn account(&self, name: &str) -> Addr {
        address_for(&self.world.api, name.as_bytes(), 20)
            .unwrap_or_else(|e| unreachable!("20 bytes always make a valid address: {e}"))
    }

    pub fn instantiate<M: Serialize>(
        &self,
        code: &Checksum,
        label: &str,
        sender: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> Result<(Addr, Receipt), ChainError> {
        let msg = encode(msg)?;
        self.transaction(|world| world.instantiate(*code, label, sender, &msg, funds))
    }

    /// Executes a message as one transaction: all of it, sub-messages included, or nothing.
    pub fn execute<M: Serialize>(
        &self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> Result<Receipt, ChainError> {
        let msg = encode(msg)?;
        self.transaction(|world| world.execute(sender, contract, &msg, funds, call_gas_limit()))
    }

    /// A query with its gas measured.
    pub fn query_receipt<M: Serialize>(
        &self,
        contract: &Addr,
        msg: &M,
    ) -> Result<Receipt, ChainError> {
        self.world.query(contract, &encode(msg)?)
    }

    pub fn query<M: Serialize, T: DeserializeOwned>(
        &self,
        contract: &Addr,
        msg: &M,
    ) -> Result<T, ChainError> {
        let receipt = self.query_receipt(contract, msg)?;
        let data = receipt.query_result.unwrap_or_default();
        decode(&data, &receipt.call)
    }

    fn transaction<T>(
        &self,
        run: impl FnOnce(&Arc<World>) -> Result<T, ChainError>,
    ) -> Result<T, ChainError> {
        let checkpoint = self.world.checkpoint();
        let result = run(&self.world);
        if result.is_err() {
            self.world.restore(checkpoint);
        }
        result
    }

    pub fn block(&self) -> BlockInfo {
        self.world.state().block.clone()
    }

    /// Moves the chain `blocks` blocks (and `BLOCK_TIME_SECONDS` each) ahead.
    pub fn advance_blocks(&self, blocks: u64) {
        let mut state = self.world.state();
        state.block.height += blocks;
        state.block.time = state.block.time.plus_seconds(blocks * BLOCK_TIME_SECONDS);
    }

    /// Moves the chain ahead far enough for `seconds` to pass.
    pub fn advance_seconds(&self, seconds: u64) {
        self.advance_blocks(seconds.div_ceil(BLOCK_TIME_SECONDS));
    }

    pub fn balance(&self, address: &Addr, denom: &str) -> Uint256 {
        self.world.state().bank.balance(address.as_str(), denom)
    }

    /// Number of keys a contract stores, to describe the state a benchmark ran in.
    pub fn storage_keys(&self, contract: &Addr) -> usize {
        let state = self.world.state();
        let storage = state
            .contracts
            .get(contract.as_str())
            .and_then(|c| c.storage.as_ref());
        storage.map_or(0, |s| s.len())
    }
}
