//! Operator lifecycle: register, edit, rotate the attestation key, leave, unjail.

use cosmwasm_std::{Binary, Decimal, DepsMut, Env, MessageInfo, Response, Uint128, Uint256};

use crate::active_set::{rerank, self_bond};
use crate::error::ContractError;
use crate::execute::delegation::{bond, unbond};
use crate::execute::load_pool;
use crate::funds::{must_pay, nonpayable};
use crate::state::{OperatorPool, OperatorProfile, ATTESTATION_KEYS, CONFIG, POOLS, PROFILES};
use crate::validation::{validate_attestation_pubkey, validate_commission, validate_moniker};

pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    moniker: String,
    commission: Decimal,
    attestation_pubkey: Binary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let amount = must_pay(&info, &config.bond_denom)?;
    validate_moniker(&moniker)?;
    validate_commission(commission, config.max_commission)?;
    validate_attestation_pubkey(deps.api, &attestation_pubkey)?;
    let operator = info.sender;

    let existing = POOLS.may_load(deps.storage, &operator)?;
    if existing.as_ref().is_some_and(|pool| !pool.left) {
        return Err(ContractError::AlreadyRegistered {
            address: operator.to_string(),
        });
    }
    // Leaving withdrew the whole self-bond, so the new self-bond is exactly what is sent now.
    if amount < config.min_self_bond {
        return Err(ContractError::BelowMinSelfBond {
            min: config.min_self_bond,
            got: amount,
        });
    }
    if let Some(previous) = PROFILES.may_load(deps.storage, &operator)? {
        ATTESTATION_KEYS.remove(deps.storage, previous.attestation_pubkey.as_slice());
    }
    claim_attestation_key(deps.storage, &operator, &attestation_pubkey)?;
    PROFILES.save(
        deps.storage,
        &operator,
        &OperatorProfile {
            moniker: moniker.clone(),
            commission,
            attestation_pubkey,
            commission_changed_at: env.block.time,
        },
    )?;
    let mut pool = existing.unwrap_or(OperatorPool {
        tokens: Uint128::zero(),
        shares: Uint128::zero(),
        self_shares: Uint128::zero(),
        jailed_until: None,
        left: false,
        reward_per_share: Uint256::zero(),
        reward_carry: Uint256::zero(),
        unclaimed_commission: Uint128::zero(),
        ranked_stake: None,
    });
    pool.left = false;
    bond(
        deps.storage,
        &config,
        &operator,
        &operator,
        &mut pool,
        amount,
    )?;
    Ok(Response::new()
        .add_attribute("action", "register_operator")
        .add_attribute("operator", operator)
        .add_attribute("moniker", moniker)
        .add_attribute("commission", commission.to_string())
        .add_attribute("self_bond", amount))
}

/// Maps `key` to `operator`, refusing a key another operator (or this one) already uses.
fn claim_attestation_key(
    storage: &mut dyn cosmwasm_std::Storage,
    operator: &cosmwasm_std::Addr,
    key: &Binary,
) -> Result<(), ContractError> {
    if let Some(owner) = ATTESTATION_KEYS.may_load(storage, key.as_slice())? {
        return Err(ContractError::AttestationKeyInUse {
            owner: owner.to_string(),
        });
    }
    ATTESTATION_KEYS.save(storage, key.as_slice(), operator)?;
    Ok(())
}

fn load_profile(
    storage: &dyn cosmwasm_std::Storage,
    operator: &cosmwasm_std::Addr,
) -> Result<OperatorProfile, ContractError> {
    PROFILES
        .may_load(storage, operator)?
        .ok_or_else(|| ContractError::UnknownOperator {
            address: operator.to_string(),
        })
}

pub fn edit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    moniker: Option<String>,
    commission: Option<Decimal>,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let mut profile = load_profile(deps.storage, &info.sender)?;
    if moniker.is_none() && commission.is_none() {
        return Err(ContractError::NothingToEdit);
    }
    let mut response = Response::new()
        .add_attribute("action", "edit_operator")
        .add_attribute("operator", info.sender.as_str());
    if let Some(moniker) = moniker {
        validate_moniker(&moniker)?;
        response = response.add_attribute("moniker", moniker.as_str());
        profile.moniker = moniker;
    }
    if let Some(commission) = commission.filter(|c| *c != profile.commission) {
        validate_commission(commission, config.max_commission)?;
        let change = commission.abs_diff(profile.commission);
        if change > config.max_commission_change {
            return Err(ContractError::CommissionChangeTooLarge {
                max_change: config.max_commission_change,
            });
        }
        let next_change_at = profile
            .commission_changed_at
            .plus_seconds(config.commission_change_period);
        if env.block.time < next_change_at {
            return Err(ContractError::CommissionChangeTooSoon { next_change_at });
        }
        profile.commission = commission;
        profile.commission_changed_at = env.block.time;
        response = response.add_attribute("commission", commission.to_string());
    }
    PROFILES.save(deps.storage, &info.sender, &profile)?;
    Ok(response)
}

pub fn rotate_attestation_key(
    deps: DepsMut,
    info: MessageInfo,
    attestation_pubkey: Binary,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let mut profile = load_profile(deps.storage, &info.sender)?;
    validate_attestation_pubkey(deps.api, &attestation_pubkey)?;
    claim_attestation_key(deps.storage, &info.sender, &attestation_pubkey)?;
    ATTESTATION_KEYS.remove(deps.storage, profile.attestation_pubkey.as_slice());
    profile.attestation_pubkey = attestation_pubkey.clone();
    PROFILES.save(deps.storage, &info.sender, &profile)?;
    Ok(Response::new()
        .add_attribute("action", "rotate_attestation_key")
        .add_attribute("operator", info.sender)
        .add_attribute("attestation_pubkey", attestation_pubkey.to_base64()))
}

pub fn leave(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let operator = info.sender;
    let mut pool = load_pool(deps.storage, &operator)?;
    if pool.left {
        return Err(ContractError::OperatorLeft {
            address: operator.to_string(),
        });
    }
    // Marked first so that the re-ranking inside `unbond` already drops the operator.
    pool.left = true;
    let (released, entry_id) = if pool.self_shares.is_zero() {
        rerank(
            deps.storage,
            config.max_active_operators,
            config.min_self_bond,
            &operator,
            &mut pool,
        )?;
        POOLS.save(deps.storage, &operator, &pool)?;
        (Uint128::zero(), None)
    } else {
        unbond(
            deps.storage,
            &config,
            &env,
            &operator,
            &operator,
            &mut pool,
            None,
        )?
    };
    let mut response = Response::new()
        .add_attribute("action", "leave_operator")
        .add_attribute("operator", operator)
        .add_attribute("amount", released);
    if let Some(id) = entry_id {
        response = response.add_attribute("unbonding_entry", id.to_string());
    }
    Ok(response)
}

pub fn unjail(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let operator = info.sender;
    let mut pool = load_pool(deps.storage, &operator)?;
    let until = pool.jailed_until.ok_or(ContractError::NotJailed)?;
    if env.block.time < until {
        return Err(ContractError::StillJailed { until });
    }
    let own = self_bond(&pool)?;
    if own < config.min_self_bond {
        return Err(ContractError::BelowMinSelfBond {
            min: config.min_self_bond,
            got: own,
        });
    }
    pool.jailed_until = None;
    rerank(
        deps.storage,
        config.max_active_operators,
        config.min_self_bond,
        &operator,
        &mut pool,
    )?;
    POOLS.save(deps.storage, &operator, &pool)?;
    Ok(Response::new()
        .add_attribute("action", "unjail")
        .add_attribute("operator", operator))
}
