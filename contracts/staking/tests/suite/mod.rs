//! A small multi-test harness around the staking contract.
#![allow(dead_code)] // Each test binary uses a different part of the suite.

use std::fmt::Debug;

use cosmwasm_std::{coin, Addr, Binary, Coin, Decimal, Empty, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, BankSudo, Contract, ContractWrapper, Executor, SudoMsg};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use sibyl_api::attestation::key_possession_digest;
use sibyl_api::staking::{
    ActiveSetResponse, ConfigResponse, DelegationResponse, DelegationsResponse, ExecuteMsg,
    InstantiateMsg, OperatorResponse, OperatorsResponse, PendingRewardsResponse, QueryMsg,
    SlashersResponse, UnbondingEntriesResponse,
};
use sibyl_staking::ContractError;

pub const DENOM: &str = "ustake";
/// 1 600 s, so unbonding buckets are 100 s long.
pub const UNBONDING_PERIOD: u64 = 1_600;
pub const JAIL_DURATION: u64 = 600;
pub const MIN_SELF_BOND: u128 = 1_000;
pub const MAX_ACTIVE: u32 = 3;
pub const MAX_UNBONDING_ENTRIES: u32 = 4;
pub const COMMISSION_CHANGE_PERIOD: u64 = 100;
/// Shares start to earn at the first 25-second boundary at least 100 s after they were bonded.
pub const REWARD_WARMUP: u64 = 100;
/// Long enough for any share bonded now to earn.
pub const WARMED_UP: u64 = REWARD_WARMUP + REWARD_WARMUP / 4;

/// Compressed secp256k1 points k*G for k = 1..=12.
const PUBKEYS: [&str; 12] = [
    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
    "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
    "02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13",
    "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4",
    "03fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556",
    "025cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc",
    "022f01e5e15cca351daff3843fb70f3c2f0a1bdd05e5af888a67784ef3e10a2a01",
    "03acd484e2f0c7f65309ad178a9f559abde09796974c57e714c35f110dfc27ccbe",
    "03a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c7",
    "03774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cb",
    "03d01115d548e7561b15c38f004d734633687cf4419620095bc5b0f47070afe85a",
];

pub fn pubkey(index: usize) -> Binary {
    Binary::new(hex::decode(PUBKEYS[index]).expect("valid hex"))
}

/// The secret key of `pubkey(index)`: the scalar `index + 1`.
pub fn signing_key(index: usize) -> SigningKey {
    let mut secret = [0u8; 32];
    secret[31] = u8::try_from(index + 1).expect("small index");
    SigningKey::from_bytes(&secret.into()).expect("valid scalar")
}

/// Proof of possession of `pubkey(index)` for `operator` at `contract` on `chain_id`.
pub fn key_signature(chain_id: &str, contract: &Addr, operator: &Addr, index: usize) -> Binary {
    let digest = key_possession_digest(
        chain_id,
        contract.as_str(),
        operator.as_str(),
        &pubkey(index),
    );
    let signature: Signature = signing_key(index)
        .sign_prehash(&digest)
        .expect("signing works");
    Binary::new(signature.to_bytes().to_vec())
}

pub fn staking_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            sibyl_staking::contract::execute,
            sibyl_staking::contract::instantiate,
            sibyl_staking::contract::query,
        )
        .with_migrate(sibyl_staking::contract::migrate),
    )
}

pub fn stake(amount: u128) -> Vec<Coin> {
    vec![coin(amount, DENOM)]
}

/// Multi-test turns contract errors into text: check that `result` failed with `expected`.
#[track_caller]
pub fn assert_error<T: Debug>(result: StdResult<T>, expected: ContractError) {
    let err = result.expect_err("the call should fail");
    let (got, want) = (err.to_string(), expected.to_string());
    assert!(got.contains(&want), "expected error `{want}`, got `{got}`");
}

pub struct Suite {
    pub app: App,
    pub contract: Addr,
    pub admin: Addr,
    pub slasher: Addr,
    pub destination: Addr,
}

pub fn default_instantiate(admin: &Addr, destination: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        admin: Some(admin.to_string()),
        bond_denom: DENOM.to_string(),
        min_self_bond: Uint128::new(MIN_SELF_BOND),
        unbonding_period: UNBONDING_PERIOD,
        max_active_operators: MAX_ACTIVE,
        jail_duration: JAIL_DURATION,
        slashed_funds_destination: destination.to_string(),
        max_commission: Decimal::percent(20),
        max_commission_change: Decimal::percent(5),
        commission_change_period: COMMISSION_CHANGE_PERIOD,
        max_unbonding_entries: MAX_UNBONDING_ENTRIES,
        reward_warmup: REWARD_WARMUP,
    }
}

impl Suite {
    pub fn new() -> Self {
        Self::with_config(|_| {})
    }

    pub fn with_config(adjust: impl FnOnce(&mut InstantiateMsg)) -> Self {
        let mut app = App::default();
        let admin = app.api().addr_make("admin");
        let slasher = app.api().addr_make("slasher");
        let destination = app.api().addr_make("community-pool");
        let code_id = app.store_code(staking_contract());
        let mut msg = default_instantiate(&admin, &destination);
        adjust(&mut msg);
        let contract = app
            .instantiate_contract(
                code_id,
                admin.clone(),
                &msg,
                &[],
                "sibyl-staking",
                Some(admin.to_string()),
            )
            .expect("instantiate");
        let mut suite = Suite {
            app,
            contract,
            admin,
            slasher,
            destination,
        };
        let (admin, slasher) = (suite.admin.clone(), suite.slasher.to_string());
        suite
            .execute(
                &admin,
                ExecuteMsg::UpdateSlashers {
                    add: vec![slasher],
                    remove: vec![],
                },
                &[],
            )
            .expect("add slasher");
        suite
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn mint(&mut self, to: &Addr, amount: u128) {
        self.app
            .sudo(SudoMsg::Bank(BankSudo::Mint {
                to_address: to.to_string(),
                amount: stake(amount),
            }))
            .expect("mint");
    }

    pub fn execute(
        &mut self,
        sender: &Addr,
        msg: ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let contract = self.contract.clone();
        self.app
            .execute_contract(sender.clone(), contract, &msg, funds)
    }

    /// Mints `amount` to `sender` and sends it with `msg`.
    pub fn execute_paid(
        &mut self,
        sender: &Addr,
        msg: ExecuteMsg,
        amount: u128,
    ) -> StdResult<AppResponse> {
        self.mint(sender, amount);
        self.execute(sender, msg, &stake(amount))
    }

    /// Proof of possession of `pubkey(key)` for `operator` in this suite's contract.
    pub fn sign_key(&self, operator: &Addr, key: usize) -> Binary {
        key_signature(
            &self.app.block_info().chain_id,
            &self.contract,
            operator,
            key,
        )
    }

    /// A `RegisterOperator` for `operator` with `pubkey(key)` and its proof of possession.
    pub fn register_msg(
        &self,
        operator: &Addr,
        moniker: &str,
        commission: Decimal,
        key: usize,
    ) -> ExecuteMsg {
        ExecuteMsg::RegisterOperator {
            moniker: moniker.to_string(),
            commission,
            attestation_pubkey: pubkey(key),
            key_signature: self.sign_key(operator, key),
        }
    }

    /// A `RotateAttestationKey` for `operator` to `pubkey(key)` with its proof of possession.
    pub fn rotate_msg(&self, operator: &Addr, key: usize) -> ExecuteMsg {
        ExecuteMsg::RotateAttestationKey {
            attestation_pubkey: pubkey(key),
            key_signature: self.sign_key(operator, key),
        }
    }

    pub fn register(
        &mut self,
        operator: &Addr,
        self_bond: u128,
        key: usize,
    ) -> StdResult<AppResponse> {
        let msg = self.register_msg(operator, "gpu-node", Decimal::percent(10), key);
        self.execute_paid(operator, msg, self_bond)
    }

    pub fn delegate(
        &mut self,
        delegator: &Addr,
        operator: &Addr,
        amount: u128,
    ) -> StdResult<AppResponse> {
        self.execute_paid(
            delegator,
            ExecuteMsg::Delegate {
                operator: operator.to_string(),
            },
            amount,
        )
    }

    pub fn undelegate(
        &mut self,
        delegator: &Addr,
        operator: &Addr,
        amount: u128,
    ) -> StdResult<AppResponse> {
        self.execute(
            delegator,
            ExecuteMsg::Undelegate {
                operator: operator.to_string(),
                amount: Uint128::new(amount),
            },
            &[],
        )
    }

    pub fn claim(&mut self, delegator: &Addr) -> StdResult<AppResponse> {
        self.execute(delegator, ExecuteMsg::Claim {}, &[])
    }

    pub fn withdraw(&mut self, delegator: &Addr, operator: &Addr) -> StdResult<AppResponse> {
        self.execute(
            delegator,
            ExecuteMsg::WithdrawRewards {
                operator: operator.to_string(),
            },
            &[],
        )
    }

    pub fn distribute(&mut self, operator: &Addr, amount: u128) -> StdResult<AppResponse> {
        let payer = self.addr("escrow");
        self.execute_paid(
            &payer,
            ExecuteMsg::Distribute {
                operator: operator.to_string(),
            },
            amount,
        )
    }

    pub fn slash(
        &mut self,
        operator: &Addr,
        fraction: Decimal,
        infraction_height: u64,
        jail: bool,
    ) -> StdResult<AppResponse> {
        let slasher = self.slasher.clone();
        self.execute(
            &slasher,
            ExecuteMsg::Slash {
                operator: operator.to_string(),
                fraction,
                infraction_height,
                jail,
            },
            &[],
        )
    }

    /// Moves the chain `seconds` forward, one block per 5 seconds (at least one block).
    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|block| {
            block.time = block.time.plus_seconds(seconds);
            block.height += (seconds / 5).max(1);
        });
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn balance(&self, address: &Addr) -> u128 {
        let amount = self
            .app
            .wrap()
            .query_balance(address, DENOM)
            .expect("balance")
            .amount;
        Uint128::try_from(amount).expect("fits").u128()
    }

    fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, msg)
            .expect("query")
    }

    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {})
    }

    pub fn operator(&self, operator: &Addr) -> OperatorResponse {
        self.query(&QueryMsg::Operator {
            address: operator.to_string(),
        })
    }

    pub fn operators(&self, start_after: Option<&Addr>, limit: Option<u32>) -> OperatorsResponse {
        self.query(&QueryMsg::Operators {
            start_after: start_after.map(Addr::to_string),
            limit,
        })
    }

    pub fn delegation(&self, delegator: &Addr, operator: &Addr) -> DelegationResponse {
        self.query(&QueryMsg::Delegation {
            delegator: delegator.to_string(),
            operator: operator.to_string(),
        })
    }

    pub fn delegations(
        &self,
        delegator: &Addr,
        start_after: Option<&Addr>,
        limit: Option<u32>,
    ) -> DelegationsResponse {
        self.query(&QueryMsg::Delegations {
            delegator: delegator.to_string(),
            start_after: start_after.map(Addr::to_string),
            limit,
        })
    }

    pub fn entries(&self, delegator: &Addr) -> UnbondingEntriesResponse {
        self.query(&QueryMsg::UnbondingEntries {
            delegator: delegator.to_string(),
            start_after: None,
            limit: None,
        })
    }

    pub fn pending(&self, delegator: &Addr, operator: &Addr) -> PendingRewardsResponse {
        self.query(&QueryMsg::PendingRewards {
            delegator: delegator.to_string(),
            operator: operator.to_string(),
        })
    }

    pub fn slashers(&self) -> SlashersResponse {
        self.query(&QueryMsg::Slashers {})
    }

    pub fn active_set(&self) -> ActiveSetResponse {
        self.query(&QueryMsg::ActiveSet {})
    }
}
