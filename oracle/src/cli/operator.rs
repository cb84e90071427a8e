//! `sibyl-oracle operator`: the operator's own transactions on the staking contract, as the
//! account and with the keys that the node's config file names.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use cosmwasm_std::{Coin, Decimal};
use sibyl_api::staking::{self, ExecuteMsg, QueryMsg};

use super::keys::load_keys;
use crate::chain::cosmos::CosmosClient;
use crate::chain::{execute, query, ChainClient, TxOutcome};
use crate::config_file::OracleConfig;
use crate::keys::{KdfParams, OperatorKeys};

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Register as an operator: the attestation key (with its proof of possession) and a
    /// self-bond. Needs the account to hold the stake and the fees.
    Register(RegisterArgs),
    /// Show the operator's registration, stake, status, rewards and balance.
    Status(ConfigArg),
    /// End a jailing once its time is over.
    Unjail(ConfigArg),
    /// Withdraw the operator's rewards and commission.
    WithdrawRewards(ConfigArg),
    /// Move the attestation key to the next derivation index, register it on chain, then save the
    /// key file. Stop the node first and start it again afterwards.
    RotateAttestationKey(ConfigArg),
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The node's config file.
    #[arg(long, short, default_value = "sibyl-oracle.toml")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Public name of the operator.
    #[arg(long)]
    pub moniker: String,
    /// Commission on delegators' rewards, e.g. 0.05.
    #[arg(long, default_value = "0.05", value_parser = parse_decimal)]
    pub commission: Decimal,
    /// Self-bond in the staking contract's bond denom (at least its min_self_bond).
    #[arg(long)]
    pub stake: u128,
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    text.parse().map_err(|e| format!("{e}"))
}

/// The operator's config, keys and client.
struct Session {
    config: OracleConfig,
    keys: OperatorKeys,
    client: CosmosClient,
}

impl Session {
    async fn open(path: &std::path::Path) -> anyhow::Result<Self> {
        let config = OracleConfig::load(path)?;
        let keys = load_keys(&config.key)?;
        let client = CosmosClient::connect(&config.chain, &keys, Vec::new()).await?;
        Ok(Session {
            config,
            keys,
            client,
        })
    }

    fn staking(&self) -> &str {
        &self.config.node.contracts.staking
    }

    async fn execute(
        &self,
        what: &str,
        msg: &ExecuteMsg,
        funds: Vec<Coin>,
    ) -> anyhow::Result<TxOutcome> {
        let tx = execute(&self.client, self.staking(), msg, funds)
            .await
            .with_context(|| format!("{what} failed"))?;
        println!(
            "{what}: included at height {}, gas used {} (tx {})",
            tx.height, tx.gas_used, tx.tx_hash
        );
        Ok(tx)
    }
}

impl OperatorCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(self.run_async())?;
        Ok(ExitCode::SUCCESS)
    }

    async fn run_async(self) -> anyhow::Result<()> {
        match self {
            OperatorCommand::Register(args) => {
                let session = Session::open(&args.config.config).await?;
                let config: staking::ConfigResponse =
                    query(&session.client, session.staking(), &QueryMsg::Config {}).await?;
                let proof = session.keys.attestation_key_proof(
                    session.client.chain_id(),
                    session.staking(),
                    session.client.account(),
                )?;
                let msg = ExecuteMsg::RegisterOperator {
                    moniker: args.moniker,
                    commission: args.commission,
                    attestation_pubkey: proof.attestation_pubkey,
                    key_signature: proof.key_signature,
                };
                let stake = Coin::new(args.stake, config.bond_denom);
                session.execute("register", &msg, vec![stake]).await?;
                print_status(&session).await
            }
            OperatorCommand::Status(args) => {
                print_status(&Session::open(&args.config).await?).await
            }
            OperatorCommand::Unjail(args) => {
                let session = Session::open(&args.config).await?;
                session
                    .execute("unjail", &ExecuteMsg::Unjail {}, vec![])
                    .await?;
                print_status(&session).await
            }
            OperatorCommand::WithdrawRewards(args) => {
                let session = Session::open(&args.config).await?;
                let msg = ExecuteMsg::WithdrawRewards {
                    operator: session.client.account().to_string(),
                };
                session.execute("withdraw rewards", &msg, vec![]).await?;
                print_status(&session).await
            }
            OperatorCommand::RotateAttestationKey(args) => rotate(&args.config).await,
        }
    }
}

async fn rotate(config_path: &std::path::Path) -> anyhow::Result<()> {
    let session = Session::open(config_path).await?;
    let mut next = load_keys(&session.config.key)?;
    let previous_index = next.attestation_index();
    let previous_pubkey = next.attestation_pubkey();
    next.rotate_attestation()?;
    let proof = next.attestation_key_proof(
        session.client.chain_id(),
        session.staking(),
        session.client.account(),
    )?;
    let msg = ExecuteMsg::RotateAttestationKey {
        attestation_pubkey: proof.attestation_pubkey,
        key_signature: proof.key_signature,
    };
    session
        .execute("rotate attestation key", &msg, vec![])
        .await?;
    // Saved only once the chain accepted the key, so the file never holds an unregistered one.
    let passphrase =
        super::keys::read_passphrase(session.config.key.passphrase_file.as_deref(), false)?;
    next.save(
        &session.config.key.file,
        &passphrase,
        &KdfParams::default(),
        true,
    )
    .context(
        "the new key is registered on chain but the key file could not be written: \
                  recover it with `sibyl-oracle keys import --attestation-index N+1`",
    )?;
    println!(
        "attestation key rotated from index {previous_index} ({}) to index {}, registered on \
         chain and saved; start the node again",
        hex::encode(previous_pubkey),
        next.attestation_index()
    );
    println!("{}", next.public_info());
    Ok(())
}

async fn print_status(session: &Session) -> anyhow::Result<()> {
    let me = session.client.account().to_string();
    let config: staking::ConfigResponse =
        query(&session.client, session.staking(), &QueryMsg::Config {}).await?;
    let balance = session.client.balance(&me, &config.bond_denom).await?;
    println!("account      {me}");
    println!("balance      {balance}{}", config.bond_denom);
    let operator: Result<staking::OperatorResponse, _> = query(
        &session.client,
        session.staking(),
        &QueryMsg::Operator {
            address: me.clone(),
        },
    )
    .await;
    let Ok(operator) = operator else {
        println!("operator     not registered (`sibyl-oracle operator register`)");
        return Ok(());
    };
    let rewards: staking::PendingRewardsResponse = query(
        &session.client,
        session.staking(),
        &QueryMsg::PendingRewards {
            delegator: me.clone(),
            operator: me,
        },
    )
    .await?;
    println!("moniker      {}", operator.moniker);
    println!("status       {:?}", operator.status);
    if let Some(until) = operator.jailed_until {
        println!("jailed until {until}");
    }
    println!("commission   {}", operator.commission);
    println!("self-bond    {}{}", operator.self_bond, config.bond_denom);
    println!("total stake  {}{}", operator.total_stake, config.bond_denom);
    println!(
        "rewards      {}{denom} (commission {}{denom}, forfeited while warming {}{denom})",
        rewards.rewards,
        rewards.commission,
        rewards.forfeited,
        denom = config.bond_denom
    );
    println!(
        "attestation  {}",
        hex::encode(operator.attestation_pubkey.as_slice())
    );
    println!(
        "local key    {}",
        hex::encode(session.keys.attestation_pubkey())
    );
    Ok(())
}
