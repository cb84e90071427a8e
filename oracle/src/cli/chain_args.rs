//! Command-line flags that describe a chain, for the commands that run before a config file
//! exists (`init`, `deploy`).

use clap::Args;

use crate::chain::cosmos::CosmosConfig;

#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Chain id, e.g. sibyl-localnet-1.
    #[arg(long)]
    pub chain_id: Option<String>,
    /// CometBFT RPC endpoint.
    #[arg(long, env = crate::config_file::RPC_ENV, default_value = "http://127.0.0.1:26657")]
    pub rpc: String,
    /// Cosmos SDK gRPC endpoint.
    #[arg(long, env = crate::config_file::GRPC_ENV, default_value = "http://127.0.0.1:9090")]
    pub grpc: String,
    /// Bech32 prefix of account addresses.
    #[arg(long, default_value = "wasm")]
    pub bech32_prefix: String,
    /// Gas price, e.g. 0.025usibyl.
    #[arg(long)]
    pub gas_price: Option<String>,
}

impl ChainArgs {
    /// The chain client's settings, with defaults for everything the flags do not set.
    pub fn to_config(&self) -> anyhow::Result<CosmosConfig> {
        let config = CosmosConfig {
            chain_id: self
                .chain_id
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--chain-id is required"))?,
            rpc: self.rpc.clone(),
            grpc: self.grpc.clone(),
            bech32_prefix: self.bech32_prefix.clone(),
            gas_price: self
                .gas_price
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--gas-price is required (e.g. 0.025usibyl)"))?,
            ..CosmosConfig::default()
        };
        config.validate()?;
        Ok(config)
    }
}
