//! Sibyl on the real local wasmd chain of `scripts/localnet.sh`: the chain and its faucet
//! ([`chain`]), and operators running the `sibyl-oracle` binary's own commands ([`node`]), with
//! their attestation key in a `sibyl-oracle signer` process if a test wants ([`signer`]). The
//! demo's `--chain localnet` and the oracle's localnet tests drive both.

pub mod chain;
pub mod node;
pub mod process;
pub mod signer;

pub use chain::{transfer, Localnet, PREFIX};
pub use node::{counter_total, NodeSettings, OperatorNode, OracleBinary, PASSPHRASE};
pub use process::ChildProcess;
pub use signer::SignerNode;
