//! Operator lifecycle: register, edit, rotate the attestation key, leave, unjail.

use cosmwasm_std::{
    Binary, Decimal, DepsMut, Env, MessageInfo, Response, Timestamp, Uint128, Uint256,
};

use sibyl_api::staking::events::{
    AttestationKeyRotated, Delegated, OperatorEdited, OperatorLeft, OperatorRegistered, TypedEvent,
    Unjailed,
};

use crate::active_set::{rerank, self_bond};
use crate::error::ContractError;
use crate::execute::admin::later;
use crate::execute::delegation::{bond, unbond};
use crate::execute::load_pool;
use crate::funds::{must_pay, nonpayable};
use crate::state::{
    Config, OperatorPool, OperatorProfile, ATTESTATION_KEYS, CONFIG, POOLS, PROFILES,
};
use crate::validation::{validate_commission, validate_moniker, verify_attestation_key};
use crate::warmup::warm_at;

pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    moniker: String,
    commission: Decimal,
    attestation_pubkey: Binary,
    key_signature: Binary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let amount = must_pay(&info, &config.bond_denom)?;
    validate_moniker(&moniker)?;
    validate_commission(commission, config.max_commission)?;
    let operator = info.sender;
    verify_attestation_key(
        deps.api,
        &env,
        &operator,
        &attestation_pubkey,
        &key_signature,
    )?;

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
    // Registration counts as a commission change. An operator that left and registers again keeps
    // its delegators, so it re-registers under the same limits as an edit: otherwise leaving and
    // registering in one block would move its commission arbitrarily far at once.
    let mut commission_changed_at = env.block.time;
    if let Some(previous) = PROFILES.may_load(deps.storage, &operator)? {
        if commission == previous.commission {
            commission_changed_at = previous.commission_changed_at;
        } else {
            check_commission_change(&config, &previous, commission, env.block.time)?;
        }
        ATTESTATION_KEYS.remove(deps.storage, previous.attestation_pubkey.as_slice());
    }
    claim_attestation_key(deps.storage, &operator, &attestation_pubkey)?;
    let attestation_pubkey_for_event = attestation_pubkey.clone();
    PROFILES.save(
        deps.storage,
        &operator,
        &OperatorProfile {
            moniker: moniker.clone(),
            commission,
            attestation_pubkey,
            commission_changed_at,
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
    let shares = bond(
        deps.storage,
        &config,
        &env,
        &operator,
        &operator,
        &mut pool,
        amount,
    )?;
    let registered = OperatorRegistered {
        operator: operator.clone(),
        moniker: moniker.clone(),
        commission,
        attestation_pubkey: attestation_pubkey_for_event,
        self_bond: amount,
    };
    let delegated = Delegated {
        delegator: operator.clone(),
        operator: operator.clone(),
        amount,
        shares,
        warm_at: Timestamp::from_seconds(warm_at(env.block.time.seconds(), config.reward_warmup)?),
    };
    Ok(Response::new()
        .add_event(registered.to_event())
        .add_event(delegated.to_event())
        .add_attribute("action", "register_operator")
        .add_attribute("operator", operator)
        .add_attribute("moniker", moniker)
        .add_attribute("commission", commission.to_string())
        .add_attribute("self_bond", amount))
}

/// A commission change from `profile.commission` to `commission` at `now`: at most
/// `max_commission_change`, and not before `commission_change_period` has passed since the last.
fn check_commission_change(
    config: &Config,
    profile: &OperatorProfile,
    commission: Decimal,
    now: Timestamp,
) -> Result<(), ContractError> {
    if commission.abs_diff(profile.commission) > config.max_commission_change {
        return Err(ContractError::CommissionChangeTooLarge {
            max_change: config.max_commission_change,
        });
    }
    let next_change_at = later(
        profile.commission_changed_at,
        config.commission_change_period,
        "the commission change period",
    )?;
    if now < next_change_at {
        return Err(ContractError::CommissionChangeTooSoon { next_change_at });
    }
    Ok(())
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
    let mut event = OperatorEdited {
        operator: info.sender.clone(),
        moniker: None,
        commission: None,
    };
    if let Some(moniker) = moniker {
        validate_moniker(&moniker)?;
        response = response.add_attribute("moniker", moniker.as_str());
        event.moniker = Some(moniker.clone());
        profile.moniker = moniker;
    }
    if let Some(commission) = commission.filter(|c| *c != profile.commission) {
        validate_commission(commission, config.max_commission)?;
        check_commission_change(&config, &profile, commission, env.block.time)?;
        profile.commission = commission;
        profile.commission_changed_at = env.block.time;
        response = response.add_attribute("commission", commission.to_string());
        event.commission = Some(commission);
    }
    PROFILES.save(deps.storage, &info.sender, &profile)?;
    Ok(response.add_event(event.to_event()))
}

pub fn rotate_attestation_key(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    attestation_pubkey: Binary,
    key_signature: Binary,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let mut profile = load_profile(deps.storage, &info.sender)?;
    verify_attestation_key(
        deps.api,
        &env,
        &info.sender,
        &attestation_pubkey,
        &key_signature,
    )?;
    claim_attestation_key(deps.storage, &info.sender, &attestation_pubkey)?;
    ATTESTATION_KEYS.remove(deps.storage, profile.attestation_pubkey.as_slice());
    profile.attestation_pubkey = attestation_pubkey.clone();
    PROFILES.save(deps.storage, &info.sender, &profile)?;
    let event = AttestationKeyRotated {
        operator: info.sender.clone(),
        attestation_pubkey: attestation_pubkey.clone(),
    };
    Ok(Response::new()
        .add_event(event.to_event())
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
    let event = OperatorLeft {
        operator: operator.clone(),
        amount: released,
        unbonding_entry: entry_id,
    };
    let mut response = Response::new()
        .add_event(event.to_event())
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
    let event = Unjailed {
        operator: operator.clone(),
    };
    Ok(Response::new()
        .add_event(event.to_event())
        .add_attribute("action", "unjail")
        .add_attribute("operator", operator))
}
