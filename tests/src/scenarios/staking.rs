//! The staking contract: its deployment in a realistic state and every message measured.

use cosmwasm_std::Checksum;
use cosmwasm_std::{Addr, Binary, Decimal};
use sibyl_api::attestation::key_possession_digest;
use sibyl_api::staking::{ExecuteMsg, InstantiateMsg, QueryMsg};

use super::attestation_key::AttestationKey;
use super::{coins, uint, Measurements, ScenarioError};
use crate::chain::Chain;

/// Operators registered before anything is measured: more than the active set holds, so that
/// ranking, eviction and promotion are exercised.
pub const OPERATORS: usize = 24;
/// Delegators of each of those operators.
pub const DELEGATORS_PER_OPERATOR: usize = 3;
pub const MAX_ACTIVE_OPERATORS: u32 = 16;
/// 1 000 NTRN.
pub const MIN_SELF_BOND: u128 = 1_000_000_000;
/// Operators bond twice the minimum, so that a slash leaves them eligible.
pub const SELF_BOND: u128 = 2 * MIN_SELF_BOND;
pub const DELEGATION: u128 = 250_000_000;
pub const UNBONDING_PERIOD: u64 = 21 * 24 * 3600;
pub const JAIL_DURATION: u64 = 24 * 3600;
pub const COMMISSION_CHANGE_PERIOD: u64 = 24 * 3600;
/// Longer than the escrow's jobs (minutes), so that only stake bonded before a job earns from it.
pub const REWARD_WARMUP: u64 = 3600;

pub struct Operator {
    pub address: Addr,
    pub key: AttestationKey,
}

/// A staking contract with `OPERATORS` operators, each with `DELEGATORS_PER_OPERATOR` delegators.
pub struct StakingDeployment {
    pub contract: Addr,
    pub admin: Addr,
    pub operators: Vec<Operator>,
}

pub fn instantiate_msg(chain: &Chain, admin: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        admin: Some(admin.to_string()),
        bond_denom: super::DENOM.to_string(),
        min_self_bond: uint(MIN_SELF_BOND),
        unbonding_period: UNBONDING_PERIOD,
        max_active_operators: MAX_ACTIVE_OPERATORS,
        jail_duration: JAIL_DURATION,
        slashed_funds_destination: chain.account("community-pool").to_string(),
        max_commission: Decimal::percent(20),
        max_commission_change: Decimal::percent(2),
        commission_change_period: COMMISSION_CHANGE_PERIOD,
        max_unbonding_entries: 7,
        reward_warmup: REWARD_WARMUP,
    }
}

pub fn operator(chain: &Chain, index: usize) -> Operator {
    Operator {
        address: chain.account(&format!("operator-{index}")),
        key: AttestationKey::from_seed(&format!("attestation-{index}")),
    }
}

pub fn delegator(chain: &Chain, operator: usize, index: usize) -> Addr {
    chain.account(&format!("delegator-{operator}-{index}"))
}

/// The attestation key's proof of possession for `operator` in `contract`.
fn key_signature(chain: &Chain, contract: &Addr, operator: &Addr, key: &AttestationKey) -> Binary {
    let digest = key_possession_digest(
        &chain.block().chain_id,
        contract.as_str(),
        operator.as_str(),
        &key.public_key(),
    );
    key.sign_digest(&digest)
}

fn register_msg(chain: &Chain, contract: &Addr, op: &Operator, index: usize) -> ExecuteMsg {
    ExecuteMsg::RegisterOperator {
        moniker: format!("sibyl-gpu-{index:02}"),
        commission: Decimal::percent(5),
        attestation_pubkey: op.key.public_key(),
        key_signature: key_signature(chain, contract, &op.address, &op.key),
    }
}

/// Registers the operators and their delegators on an instantiated contract.
pub fn populate(chain: &Chain, contract: &Addr) -> Result<Vec<Operator>, ScenarioError> {
    let mut operators = Vec::with_capacity(OPERATORS);
    for index in 0..OPERATORS {
        let op = operator(chain, index);
        chain.execute(
            &op.address,
            contract,
            &register_msg(chain, contract, &op, index),
            &coins(SELF_BOND),
        )?;
        for d in 0..DELEGATORS_PER_OPERATOR {
            let msg = ExecuteMsg::Delegate {
                operator: op.address.to_string(),
            };
            // Different amounts give the operators different stakes, as on a real network.
            let amount = DELEGATION * (1 + ((index + d) % 4) as u128);
            chain.execute(&delegator(chain, index, d), contract, &msg, &coins(amount))?;
        }
        operators.push(op);
    }
    Ok(operators)
}

pub fn deploy(chain: &Chain, code: &Checksum) -> Result<StakingDeployment, ScenarioError> {
    let admin = chain.account("staking-admin");
    let msg = instantiate_msg(chain, &admin);
    let (contract, _) = chain.instantiate(code, "staking", &admin, &msg, &[])?;
    let operators = populate(chain, &contract)?;
    Ok(StakingDeployment {
        contract,
        admin,
        operators,
    })
}

/// Runs every staking message once, in a contract that already holds `OPERATORS` operators.
pub fn measure(chain: &Chain, code: &Checksum) -> Result<Measurements, ScenarioError> {
    let mut rows = Measurements::default();
    let admin = chain.account("staking-admin");
    let (contract, receipt) = chain.instantiate(
        code,
        "staking",
        &admin,
        &instantiate_msg(chain, &admin),
        &[],
    )?;
    rows.push("Instantiate", receipt);
    let operators = populate(chain, &contract)?;
    let exec = |sender: &Addr, msg: &ExecuteMsg, funds: u128| {
        let funds = if funds == 0 { vec![] } else { coins(funds) };
        chain.execute(sender, &contract, msg, &funds)
    };

    let newcomer = operator(chain, OPERATORS);
    let receipt = exec(
        &newcomer.address,
        &register_msg(chain, &contract, &newcomer, OPERATORS),
        SELF_BOND,
    )?;
    rows.push("RegisterOperator", receipt);

    let op0 = &operators[0].address;
    let fresh_delegator = chain.account("fresh-delegator");
    let delegate = ExecuteMsg::Delegate {
        operator: op0.to_string(),
    };
    rows.push(
        "Delegate (first delegation)",
        exec(&fresh_delegator, &delegate, DELEGATION)?,
    );
    rows.push(
        "Delegate (top-up)",
        exec(&fresh_delegator, &delegate, DELEGATION)?,
    );

    // Past the warm-up (at most 1.25 of it), so the new delegation earns from the income below and
    // its withdrawal takes the costlier path that reads the accumulator snapshot at `warm_at`.
    chain.advance_seconds(REWARD_WARMUP * 5 / 4 + 1);
    let distribute = ExecuteMsg::Distribute {
        operator: op0.to_string(),
    };
    let payer = chain.account("fee-payer");
    rows.push("Distribute", exec(&payer, &distribute, 3_000_000)?);

    let withdraw = ExecuteMsg::WithdrawRewards {
        operator: op0.to_string(),
    };
    rows.push(
        "WithdrawRewards (delegator)",
        exec(&fresh_delegator, &withdraw, 0)?,
    );
    rows.push(
        "WithdrawRewards (operator, with commission)",
        exec(op0, &withdraw, 0)?,
    );

    chain.advance_seconds(COMMISSION_CHANGE_PERIOD);
    let op1 = &operators[1];
    let edit = ExecuteMsg::EditOperator {
        moniker: Some("sibyl-gpu-renamed".to_string()),
        commission: Some(Decimal::percent(6)),
    };
    rows.push("EditOperator", exec(&op1.address, &edit, 0)?);
    let rotated = AttestationKey::from_seed("rotated-1");
    let rotate = ExecuteMsg::RotateAttestationKey {
        attestation_pubkey: rotated.public_key(),
        key_signature: key_signature(chain, &contract, &op1.address, &rotated),
    };
    rows.push("RotateAttestationKey", exec(&op1.address, &rotate, 0)?);

    let undelegate = ExecuteMsg::Undelegate {
        operator: op0.to_string(),
        amount: uint(DELEGATION / 2),
    };
    rows.push("Undelegate", exec(&fresh_delegator, &undelegate, 0)?);
    chain.advance_seconds(UNBONDING_PERIOD);
    rows.push("Claim", exec(&fresh_delegator, &ExecuteMsg::Claim {}, 0)?);

    let slasher = chain.account("escrow-as-slasher");
    let add_slasher = ExecuteMsg::UpdateSlashers {
        add: vec![slasher.to_string()],
        remove: vec![],
    };
    rows.push("UpdateSlashers", exec(&admin, &add_slasher, 0)?);
    let op2 = &operators[2].address;
    let slash = ExecuteMsg::Slash {
        operator: op2.to_string(),
        fraction: Decimal::percent(1),
        infraction_height: chain.block().height,
        jail: true,
    };
    rows.push("Slash (and jail)", exec(&slasher, &slash, 0)?);
    chain.advance_seconds(JAIL_DURATION);
    rows.push("Unjail", exec(op2, &ExecuteMsg::Unjail {}, 0)?);

    let op3 = &operators[3].address;
    rows.push(
        "LeaveOperator",
        exec(op3, &ExecuteMsg::LeaveOperator {}, 0)?,
    );

    let update_config = ExecuteMsg::UpdateConfig {
        jail_duration: Some(2 * JAIL_DURATION),
        slashed_funds_destination: None,
        max_commission: Some(Decimal::percent(25)),
        max_commission_change: None,
        commission_change_period: None,
        max_unbonding_entries: None,
    };
    rows.push("UpdateConfig", exec(&admin, &update_config, 0)?);

    measure_queries(chain, &contract, &operators, &fresh_delegator, &mut rows)?;

    let new_admin = chain.account("staking-admin-2");
    let update_admin = ExecuteMsg::UpdateAdmin {
        admin: Some(new_admin.to_string()),
    };
    rows.push("UpdateAdmin", exec(&admin, &update_admin, 0)?);
    Ok(rows)
}

fn measure_queries(
    chain: &Chain,
    contract: &Addr,
    operators: &[Operator],
    delegator: &Addr,
    rows: &mut Measurements,
) -> Result<(), ScenarioError> {
    let op0 = operators[0].address.to_string();
    let queries = [
        ("query Config", QueryMsg::Config {}),
        (
            "query Operator",
            QueryMsg::Operator {
                address: op0.clone(),
            },
        ),
        (
            "query Operators (30)",
            QueryMsg::Operators {
                start_after: None,
                limit: Some(30),
            },
        ),
        (
            "query Delegation",
            QueryMsg::Delegation {
                delegator: delegator.to_string(),
                operator: op0.clone(),
            },
        ),
        (
            "query Delegations",
            QueryMsg::Delegations {
                delegator: delegator.to_string(),
                start_after: None,
                limit: None,
            },
        ),
        (
            "query UnbondingEntries",
            QueryMsg::UnbondingEntries {
                delegator: delegator.to_string(),
                start_after: None,
                limit: None,
            },
        ),
        (
            "query PendingRewards",
            QueryMsg::PendingRewards {
                delegator: delegator.to_string(),
                operator: op0,
            },
        ),
        ("query Slashers", QueryMsg::Slashers {}),
        ("query ActiveSet", QueryMsg::ActiveSet {}),
    ];
    for (name, query) in queries {
        rows.push(name, chain.query_receipt(contract, &query)?);
    }
    Ok(())
}
