//! Instantiation, configuration changes and the treasury.

use cosmwasm_std::{
    Addr, BankMsg, Coin, Decimal, Deps, DepsMut, Env, MessageInfo, QuerierWrapper, Response,
    Uint128,
};
use sibyl_api::escrow::events::{TreasuryWithdrawn, TypedEvent};
use sibyl_api::escrow::{Config, ConfigUpdate, InstantiateMsg, MigrateMsg, TreasuryResponse};

use crate::error::ContractError;
use crate::staking;
use crate::state::{NextJobId, StoredConfig, TreasuryOwed, CONFIG, NEXT_JOB_ID, TREASURY_OWED};

pub use sibyl_api::escrow::CONTRACT_NAME;
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hard caps that keep every execute path bounded whatever the admin configures.
pub const MAX_REDUNDANCY_CAP: u32 = 32;
pub const MAX_INLINE_INPUT_CAP: u32 = 64 * 1024;
pub const MAX_OUTPUT_CAP: u32 = 64 * 1024;
/// Keeps deadline arithmetic far from u64 overflow (about two years of 6-second blocks).
pub const MAX_WINDOW_BLOCKS: u64 = 10_000_000;
/// Below this a callback cannot do anything useful; above the maximum one callback could take
/// so much of a settling transaction's gas that settlement stops fitting in a block.
pub const MIN_CALLBACK_GAS_LIMIT: u64 = 10_000;
pub const MAX_CALLBACK_GAS_LIMIT: u64 = 5_000_000;
/// Bounds of the configured worst-case block time.
pub const MAX_BLOCK_TIME_SECS: u64 = 600;
const MAX_BPS: u16 = 10_000;

pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let admin = match msg.admin {
        Some(admin) => deps.api.addr_validate(&admin)?,
        None => info.sender,
    };
    let staking_contract = deps.api.addr_validate(&msg.staking_contract)?;
    let config = Config {
        decline_fee_bps: msg.decline_fee_bps,
        max_block_time_secs: msg.max_block_time_secs,
        settlement_margin: msg.settlement_margin,
        admin,
        staking_contract,
        fee_denom: msg.fee_denom,
        price_per_unit: msg.price_per_unit,
        protocol_fee_bps: msg.protocol_fee_bps,
        treasury: deps.api.addr_validate(&msg.treasury)?,
        commit_window: msg.commit_window,
        reveal_window: msg.reveal_window,
        default_redundancy: msg.default_redundancy,
        max_redundancy: msg.max_redundancy,
        max_inline_input_bytes: msg.max_inline_input_bytes,
        max_output_bytes: msg.max_output_bytes,
        wrong_result_slash: msg.wrong_result_slash,
        missed_job_slash: msg.missed_job_slash,
        chain_id: msg.chain_id,
        callback_gas_limit: msg.callback_gas_limit,
        seed_source: msg.seed_source,
    };
    validate(&config, &env, &deps.querier)?;
    let response = Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin.as_str())
        .add_attribute("staking_contract", config.staking_contract.as_str());
    CONFIG.save(deps.storage, &StoredConfig(config))?;
    NEXT_JOB_ID.save(deps.storage, &NextJobId(1))?;
    TREASURY_OWED.save(deps.storage, &TreasuryOwed(Uint128::zero()))?;
    Ok(response)
}

pub fn update_config(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?.0;
    ensure_admin(&config, &info.sender)?;
    if let Some(admin) = update.admin {
        config.admin = deps.api.addr_validate(&admin)?;
    }
    if let Some(treasury) = update.treasury {
        config.treasury = deps.api.addr_validate(&treasury)?;
    }
    set(&mut config.price_per_unit, update.price_per_unit);
    set(&mut config.protocol_fee_bps, update.protocol_fee_bps);
    set(&mut config.commit_window, update.commit_window);
    set(&mut config.reveal_window, update.reveal_window);
    set(&mut config.default_redundancy, update.default_redundancy);
    set(&mut config.max_redundancy, update.max_redundancy);
    set(
        &mut config.max_inline_input_bytes,
        update.max_inline_input_bytes,
    );
    set(&mut config.max_output_bytes, update.max_output_bytes);
    set(&mut config.wrong_result_slash, update.wrong_result_slash);
    set(&mut config.missed_job_slash, update.missed_job_slash);
    set(&mut config.chain_id, update.chain_id);
    set(&mut config.callback_gas_limit, update.callback_gas_limit);
    set(&mut config.seed_source, update.seed_source);
    set(&mut config.decline_fee_bps, update.decline_fee_bps);
    set(&mut config.max_block_time_secs, update.max_block_time_secs);
    set(&mut config.settlement_margin, update.settlement_margin);
    validate(&config, &env, &deps.querier)?;
    CONFIG.save(deps.storage, &StoredConfig(config))?;
    Ok(Response::new().add_attribute("action", "update_config"))
}

/// Upgrades the contract in place: only from this contract (cw2 name) and never to an older
/// version. A config stored by 0.1.0 is read with the defaults of the new fields; `msg` may set
/// them. The migrated config passes the same checks as `UpdateConfig`. Stored jobs keep their
/// layout and are read as they are (see `state.rs`).
pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            stored: stored.contract,
            expected: CONTRACT_NAME.to_string(),
        });
    }
    if parse_version(&stored.version)? > parse_version(CONTRACT_VERSION)? {
        return Err(ContractError::Downgrade {
            stored: stored.version,
            current: CONTRACT_VERSION.to_string(),
        });
    }
    let mut config = CONFIG.load(deps.storage)?.0;
    set(&mut config.decline_fee_bps, msg.decline_fee_bps);
    set(&mut config.max_block_time_secs, msg.max_block_time_secs);
    set(&mut config.settlement_margin, msg.settlement_margin);
    validate(&config, &env, &deps.querier)?;
    CONFIG.save(deps.storage, &StoredConfig(config))?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

/// `MAJOR.MINOR.PATCH` as numbers (a pre-release or build suffix is not used by these crates).
pub fn parse_version(version: &str) -> Result<(u64, u64, u64), ContractError> {
    let bad = || ContractError::BadVersion {
        version: version.to_string(),
    };
    let mut parts = version.split('.').map(|part| part.parse::<u64>());
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch)), None) => Ok((major, minor, patch)),
        _ => Err(bad()),
    }
}

/// Sends every accrued protocol fee to the treasury; anyone may trigger it.
pub fn withdraw_treasury(deps: DepsMut) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    let TreasuryOwed(owed) = TREASURY_OWED.load(deps.storage)?;
    if owed.is_zero() {
        return Err(ContractError::NothingToWithdraw);
    }
    TREASURY_OWED.save(deps.storage, &TreasuryOwed(Uint128::zero()))?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: config.treasury.to_string(),
            amount: vec![Coin::new(owed, &config.fee_denom)],
        })
        .add_event(
            TreasuryWithdrawn {
                treasury: config.treasury,
                amount: owed,
            }
            .to_event(),
        )
        .add_attribute("action", "withdraw_treasury"))
}

pub fn query_treasury(deps: Deps) -> Result<TreasuryResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    let TreasuryOwed(owed) = TREASURY_OWED.load(deps.storage)?;
    Ok(TreasuryResponse {
        treasury: config.treasury,
        pending: Coin::new(owed, config.fee_denom),
    })
}

pub fn ensure_admin(config: &Config, sender: &Addr) -> Result<(), ContractError> {
    if *sender != config.admin {
        return Err(ContractError::NotAdmin);
    }
    Ok(())
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn invalid(reason: String) -> ContractError {
    ContractError::InvalidConfig { reason }
}

fn validate(config: &Config, env: &Env, querier: &QuerierWrapper) -> Result<(), ContractError> {
    if config.fee_denom.is_empty() {
        return Err(invalid("fee denom is empty".to_string()));
    }
    if config.price_per_unit.is_zero() {
        // Free jobs would let anyone flood operators with work.
        return Err(invalid("price per unit must be positive".to_string()));
    }
    if config.protocol_fee_bps > MAX_BPS {
        return Err(invalid(format!(
            "protocol fee is {} bps, at most {MAX_BPS}",
            config.protocol_fee_bps
        )));
    }
    for window in [config.commit_window, config.reveal_window] {
        if window == 0 || window > MAX_WINDOW_BLOCKS {
            return Err(invalid(format!(
                "commit and reveal windows must be 1 to {MAX_WINDOW_BLOCKS} blocks"
            )));
        }
    }
    if config.max_redundancy == 0 || config.max_redundancy > MAX_REDUNDANCY_CAP {
        return Err(invalid(format!(
            "max redundancy must be 1 to {MAX_REDUNDANCY_CAP}"
        )));
    }
    if config.default_redundancy == 0 || config.default_redundancy > config.max_redundancy {
        return Err(invalid(
            "default redundancy must be 1 to the max redundancy".to_string(),
        ));
    }
    if config.max_inline_input_bytes > MAX_INLINE_INPUT_CAP {
        return Err(invalid(format!(
            "max inline input is at most {MAX_INLINE_INPUT_CAP} bytes"
        )));
    }
    if config.max_output_bytes == 0 || config.max_output_bytes > MAX_OUTPUT_CAP {
        return Err(invalid(format!(
            "max output must be 1 to {MAX_OUTPUT_CAP} bytes"
        )));
    }
    // The staking contract refuses 0 and 1 (a no-op and a wipe-out): a fraction it would refuse
    // makes every slash fail at settlement.
    for (field, fraction) in [
        ("wrong_result_slash", config.wrong_result_slash),
        ("missed_job_slash", config.missed_job_slash),
    ] {
        if fraction.is_zero() || fraction >= Decimal::one() {
            return Err(ContractError::InvalidSlashFraction {
                field,
                value: fraction.to_string(),
            });
        }
    }
    if config.decline_fee_bps > MAX_BPS {
        return Err(invalid(format!(
            "decline fee is {} bps, at most {MAX_BPS}",
            config.decline_fee_bps
        )));
    }
    if !(MIN_CALLBACK_GAS_LIMIT..=MAX_CALLBACK_GAS_LIMIT).contains(&config.callback_gas_limit) {
        return Err(ContractError::InvalidCallbackGasLimit {
            limit: config.callback_gas_limit,
            min: MIN_CALLBACK_GAS_LIMIT,
            max: MAX_CALLBACK_GAS_LIMIT,
        });
    }
    if config.max_block_time_secs == 0 || config.max_block_time_secs > MAX_BLOCK_TIME_SECS {
        return Err(invalid(format!(
            "max block time must be 1 to {MAX_BLOCK_TIME_SECS} seconds"
        )));
    }
    if config.settlement_margin == 0 || config.settlement_margin > MAX_WINDOW_BLOCKS {
        return Err(invalid(format!(
            "settlement margin must be 1 to {MAX_WINDOW_BLOCKS} blocks"
        )));
    }
    if config.chain_id != env.block.chain_id {
        return Err(ContractError::WrongChainId {
            configured: config.chain_id.clone(),
            actual: env.block.chain_id.clone(),
        });
    }
    // Fees are paid into the staking contract's pools, so they must be in its bond denom.
    let (bond_denom, unbonding_period) =
        staking::bond_denom_and_unbonding(querier, &config.staking_contract)?;
    if bond_denom != config.fee_denom {
        return Err(invalid(format!(
            "fee denom {} differs from the staking bond denom {bond_denom}",
            config.fee_denom
        )));
    }
    // Slashes name the submission height, so stake that starts unbonding after the assignment
    // stays slashable, but only until it is claimed: the job must be settled before then.
    // Cannot overflow: windows and margin are at most 10^7 blocks, the block time 600 s.
    let job_secs = (config.commit_window + config.reveal_window + config.settlement_margin)
        * config.max_block_time_secs;
    if job_secs >= unbonding_period {
        return Err(ContractError::WindowsExceedUnbonding {
            commit_window: config.commit_window,
            reveal_window: config.reveal_window,
            settlement_margin: config.settlement_margin,
            max_block_time_secs: config.max_block_time_secs,
            job_secs,
            unbonding_period,
        });
    }
    Ok(())
}
