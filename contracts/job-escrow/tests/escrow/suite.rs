//! A small harness around cw-multi-test's `App`: the real staking contract, the escrow, the
//! example consumer and a consumer contract that forwards messages to the escrow and rejects
//! every callback, with signing operators.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    coins, to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Env, HexBinary, MessageInfo,
    Response, StdError, StdResult, Uint128, WasmMsg,
};
use cw_multi_test::{App, AppResponse, BankSudo, ContractWrapper, Executor, SudoMsg};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use sibyl_api::attestation::{attestation_digest, commitment, input_hash, output_hash};
use sibyl_api::consumer::JobCallback;
use sibyl_api::escrow::{
    Config, ConfigUpdate, DType, ExecuteMsg, InstantiateMsg, JobInput, JobResponse, JobsFilter,
    JobsResponse, PendingWorkResponse, QueryMsg, SeedSource, TensorSpec, TreasuryResponse,
};
use sibyl_api::staking;
use sibyl_job_escrow::ContractError;

pub const DENOM: &str = "usibyl";
pub const PRICE_PER_UNIT: u128 = 100;
pub const COST_UNITS: u64 = 10;
pub const PROTOCOL_FEE_BPS: u16 = 500;
pub const STAKE: u128 = 1_000_000;
pub const COMMIT_WINDOW: u64 = 10;
pub const REVEAL_WINDOW: u64 = 10;
pub const USER_FUNDS: u128 = 1_000_000_000;
pub const MAX_INLINE_INPUT: u32 = 1024;
pub const MAX_OUTPUT: u32 = 1024;
pub const DECLINE_FEE_BPS: u16 = 2_000;
pub const MAX_BLOCK_TIME_SECS: u64 = 6;
pub const SETTLEMENT_MARGIN: u64 = 100;
/// An input of the suite model's size (i8 × 1 × 8 × 8).
pub const INPUT: &[u8] = &[7u8; 64];

pub fn wrong_result_slash() -> Decimal {
    Decimal::percent(10)
}

pub fn missed_job_slash() -> Decimal {
    Decimal::percent(1)
}

pub struct Operator {
    pub addr: Addr,
    pub key: SigningKey,
}

pub struct Suite {
    pub app: App,
    pub admin: Addr,
    pub treasury: Addr,
    pub slash_sink: Addr,
    pub user: Addr,
    pub staking: Addr,
    pub escrow: Addr,
    pub consumer: Addr,
    pub failing_consumer: Addr,
    pub operators: Vec<Operator>,
    pub model_hash: HexBinary,
}

/// What the failing consumer accepts: a message to forward (with the sender's funds) and the
/// escrow's callback, which it always rejects.
#[cw_serde]
pub enum ForwarderMsg {
    Forward { contract: String, msg: Binary },
    SibylCallback(JobCallback),
}

fn failing_execute(
    _deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: ForwarderMsg,
) -> StdResult<Response> {
    match msg {
        ForwarderMsg::Forward { contract, msg } => {
            Ok(Response::new().add_message(WasmMsg::Execute {
                contract_addr: contract,
                msg,
                funds: info.funds,
            }))
        }
        ForwarderMsg::SibylCallback(_) => {
            Err(StdError::msg("this consumer rejects every callback"))
        }
    }
}

fn failing_instantiate(
    _deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    _msg: cosmwasm_std::Empty,
) -> StdResult<Response> {
    Ok(Response::new())
}

fn failing_query(_deps: Deps, _env: Env, _msg: cosmwasm_std::Empty) -> StdResult<Binary> {
    Err(StdError::msg("no queries"))
}

pub fn operator_key(index: usize) -> SigningKey {
    let secret = Sha256::digest(format!("sibyl-suite-operator-{index}"));
    SigningKey::from_slice(&secret).expect("a sha256 output is a valid secp256k1 scalar")
}

pub fn pubkey(key: &SigningKey) -> Binary {
    Binary::from(key.verifying_key().to_encoded_point(true).as_bytes())
}

/// Seconds before new stake earns fees (the staking contract's JIT-delegation guard); short, so
/// that the suite's stake earns from its first job after one block.
pub const REWARD_WARMUP: u64 = 1;

/// The attestation key's proof of possession for `operator` in `staking`.
pub fn key_signature(app: &App, staking: &Addr, operator: &Addr, key: &SigningKey) -> Binary {
    let digest = sibyl_api::attestation::key_possession_digest(
        &app.block_info().chain_id,
        staking.as_str(),
        operator.as_str(),
        &pubkey(key),
    );
    Suite::sign(key, &digest)
}

impl Suite {
    pub fn new(operators: usize) -> Self {
        Self::with_stakes(&vec![STAKE; operators])
    }

    pub fn with_stakes(stakes: &[u128]) -> Self {
        let mut app = App::default();
        let api = app.api();
        let admin = api.addr_make("admin");
        let treasury = api.addr_make("treasury");
        let slash_sink = api.addr_make("slash-sink");
        let user = api.addr_make("user");
        let operator_addrs: Vec<Addr> = (0..stakes.len())
            .map(|i| api.addr_make(&format!("operator-{i}")))
            .collect();
        mint(&mut app, &user, USER_FUNDS);
        for (addr, stake) in operator_addrs.iter().zip(stakes) {
            mint(&mut app, addr, *stake);
        }

        let staking_code = app.store_code(Box::new(ContractWrapper::new(
            sibyl_staking::contract::execute,
            sibyl_staking::contract::instantiate,
            sibyl_staking::contract::query,
        )));
        let staking = app
            .instantiate_contract(
                staking_code,
                admin.clone(),
                &staking::InstantiateMsg {
                    admin: Some(admin.to_string()),
                    bond_denom: DENOM.to_string(),
                    min_self_bond: Uint128::new(1_000),
                    unbonding_period: 7 * 86_400,
                    max_active_operators: 20,
                    jail_duration: 3_600,
                    slashed_funds_destination: slash_sink.to_string(),
                    max_commission: Decimal::percent(20),
                    max_commission_change: Decimal::percent(5),
                    commission_change_period: 86_400,
                    max_unbonding_entries: 7,
                    reward_warmup: REWARD_WARMUP,
                },
                &[],
                "sibyl-staking",
                None,
            )
            .unwrap();

        let mut operators = Vec::new();
        for (index, (addr, stake)) in operator_addrs.into_iter().zip(stakes).enumerate() {
            let key = operator_key(index);
            app.execute_contract(
                addr.clone(),
                staking.clone(),
                &staking::ExecuteMsg::RegisterOperator {
                    moniker: format!("operator {index}"),
                    commission: Decimal::percent(10),
                    attestation_pubkey: pubkey(&key),
                    key_signature: key_signature(&app, &staking, &addr, &key),
                },
                &coins(*stake, DENOM),
            )
            .unwrap();
            operators.push(Operator { addr, key });
        }

        let escrow_code = app.store_code(escrow_contract());
        let chain_id = app.block_info().chain_id;
        let escrow = app
            .instantiate_contract(
                escrow_code,
                admin.clone(),
                &escrow_instantiate_msg(&staking, &treasury, chain_id),
                &[],
                "sibyl-job-escrow",
                Some(admin.to_string()),
            )
            .unwrap();
        // Deployment step 3: the staking admin lets the escrow slash.
        app.execute_contract(
            admin.clone(),
            staking.clone(),
            &staking::ExecuteMsg::UpdateSlashers {
                add: vec![escrow.to_string()],
                remove: vec![],
            },
            &[],
        )
        .unwrap();

        let model_hash = HexBinary::from(Sha256::digest(b"suite model").to_vec());
        app.execute_contract(
            admin.clone(),
            escrow.clone(),
            &ExecuteMsg::RegisterModel {
                model_hash: model_hash.clone(),
                uri: "file://models/suite.sibyl".to_string(),
                input_spec: TensorSpec {
                    dtype: DType::I8,
                    shape: vec![1, 8, 8],
                },
                output_spec: TensorSpec {
                    dtype: DType::I8,
                    shape: vec![1, 10],
                },
                cost_units: COST_UNITS,
                owner: None,
            },
            &[],
        )
        .unwrap();

        let consumer_code = app.store_code(consumer_contract());
        let consumer = app
            .instantiate_contract(
                consumer_code,
                admin.clone(),
                &consumer_instantiate_msg(&escrow, &model_hash),
                &[],
                "example-consumer",
                Some(admin.to_string()),
            )
            .unwrap();
        let failing_code = app.store_code(Box::new(ContractWrapper::new(
            failing_execute,
            failing_instantiate,
            failing_query,
        )));
        let failing_consumer = app
            .instantiate_contract(
                failing_code,
                admin.clone(),
                &cosmwasm_std::Empty {},
                &[],
                "failing-consumer",
                None,
            )
            .unwrap();

        Suite {
            app,
            admin,
            treasury,
            slash_sink,
            user,
            staking,
            escrow,
            consumer,
            failing_consumer,
            operators,
            model_hash,
        }
    }

    pub fn config(&self) -> Config {
        self.query(&QueryMsg::Config {})
    }

    /// The suite's escrow configuration, to instantiate another escrow from (with overrides).
    pub fn instantiate_msg(&self) -> InstantiateMsg {
        escrow_instantiate_msg(
            &self.staking,
            &self.treasury,
            self.app.block_info().chain_id,
        )
    }

    /// The admin instantiates a fresh escrow code with `msg`; returns its address.
    pub fn instantiate_escrow(&mut self, msg: &InstantiateMsg) -> StdResult<Addr> {
        let code = self.app.store_code(escrow_contract());
        self.app
            .instantiate_contract(code, self.admin.clone(), msg, &[], "escrow", None)
    }

    /// The admin updates the escrow's configuration.
    pub fn update_config(&mut self, update: ConfigUpdate) -> StdResult<AppResponse> {
        let admin = self.admin.clone();
        self.execute(&admin, &ExecuteMsg::UpdateConfig(update))
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app.wrap().query_wasm_smart(&self.escrow, msg).unwrap()
    }

    pub fn execute(&mut self, sender: &Addr, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.escrow.clone(), msg, &[])
    }

    pub fn execute_with_funds(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[cosmwasm_std::Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.escrow.clone(), msg, funds)
    }

    /// Price of a job of the suite's model with redundancy `k`.
    pub fn price(&self, k: u32) -> u128 {
        PRICE_PER_UNIT * u128::from(COST_UNITS) * u128::from(k)
    }

    pub fn submit_msg(&self, k: u32, m: u32, input: &[u8], callback: bool) -> ExecuteMsg {
        ExecuteMsg::SubmitJob {
            model_hash: self.model_hash.clone(),
            input: JobInput::Inline {
                data: Binary::from(input),
            },
            redundancy: Some(k),
            quorum: Some(m),
            callback,
        }
    }

    /// The user submits a job and pays exactly its price; returns the job id. With `via`, the
    /// user has that forwarding contract submit it with a callback (to that contract).
    pub fn submit(&mut self, k: u32, m: u32, via: Option<&Addr>) -> u64 {
        let user = self.user.clone();
        let price = coins(self.price(k), DENOM);
        let response = match via {
            None => {
                let msg = self.submit_msg(k, m, INPUT, false);
                self.execute_with_funds(&user, &msg, &price)
            }
            Some(forwarder) => {
                let msg = self.submit_msg(k, m, INPUT, true);
                self.forward(forwarder, &msg, &price)
            }
        }
        .unwrap();
        let job_id = job_id_of(&response);
        self.assign();
        job_id
    }

    /// The next block, in which anyone's `AssignJobs` draws the operators of every job submitted
    /// before it (what the operators' nodes do on a chain).
    pub fn assign(&mut self) -> AppResponse {
        self.advance(1);
        let keeper = self.app.api().addr_make("keeper");
        self.execute(&keeper, &ExecuteMsg::AssignJobs { limit: None })
            .unwrap()
    }

    /// The user has the forwarding contract `forwarder` send `msg` (and `funds`) to the escrow.
    pub fn forward(
        &mut self,
        forwarder: &Addr,
        msg: &ExecuteMsg,
        funds: &[cosmwasm_std::Coin],
    ) -> StdResult<AppResponse> {
        let forward = ForwarderMsg::Forward {
            contract: self.escrow.to_string(),
            msg: to_json_binary(msg)?,
        };
        self.app
            .execute_contract(self.user.clone(), forwarder.clone(), &forward, funds)
    }

    /// The user has the example consumer `consumer` request an inference of `INPUT` at the price
    /// of k = 3; returns the job id.
    pub fn request_inference(&mut self, consumer: &Addr) -> u64 {
        let response = self
            .app
            .execute_contract(
                self.user.clone(),
                consumer.clone(),
                &sibyl_example_consumer::msg::ExecuteMsg::RequestInference {
                    input: Binary::from(INPUT),
                },
                &coins(self.price(3), DENOM),
            )
            .unwrap();
        let job_id = job_id_of(&response);
        self.assign();
        job_id
    }

    /// The example consumer `consumer`'s record of its request for `job_id`.
    pub fn consumer_request(
        &self,
        consumer: &Addr,
        job_id: u64,
    ) -> sibyl_example_consumer::msg::RequestResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                consumer,
                &sibyl_example_consumer::msg::QueryMsg::Request { job_id },
            )
            .unwrap()
    }

    /// A suite operator that is not among `assigned`.
    pub fn unassigned_operator(&self, assigned: &[Addr]) -> Addr {
        self.operators
            .iter()
            .map(|op| op.addr.clone())
            .find(|addr| !assigned.contains(addr))
            .expect("an operator outside the assignment")
    }

    pub fn assigned(&self, job_id: u64) -> Vec<Addr> {
        self.job(job_id)
            .assignments
            .into_iter()
            .map(|assignment| assignment.operator)
            .collect()
    }

    pub fn job(&self, job_id: u64) -> JobResponse {
        self.query(&QueryMsg::Job { job_id })
    }

    pub fn jobs(&self, filter: JobsFilter) -> JobsResponse {
        self.query(&QueryMsg::Jobs {
            filter,
            start_after: None,
            limit: Some(30),
        })
    }

    pub fn pending_work(&self, operator: &Addr) -> PendingWorkResponse {
        self.query(&QueryMsg::PendingWork {
            operator: operator.to_string(),
            start_after: None,
            limit: None,
        })
    }

    pub fn treasury_pending(&self) -> u128 {
        let response: TreasuryResponse = self.query(&QueryMsg::Treasury {});
        Uint128::try_from(response.pending.amount).unwrap().u128()
    }

    pub fn key_of(&self, operator: &Addr) -> &SigningKey {
        &self
            .operators
            .iter()
            .find(|op| op.addr == *operator)
            .expect("operator of the suite")
            .key
    }

    /// The salt an operator uses for a job in these tests (16 to 64 bytes).
    pub fn salt(job_id: u64, operator: &Addr) -> Vec<u8> {
        Sha256::digest(format!("salt {job_id} {operator}")).to_vec()
    }

    pub fn commitment_for(job_id: u64, operator: &Addr, output: &[u8]) -> Binary {
        let salt = Self::salt(job_id, operator);
        Binary::from(commitment(job_id, &output_hash(output), &salt, operator.as_str()).to_vec())
    }

    pub fn commit(
        &mut self,
        job_id: u64,
        operator: &Addr,
        output: &[u8],
    ) -> StdResult<AppResponse> {
        let msg = ExecuteMsg::Commit {
            job_id,
            commitment: Self::commitment_for(job_id, operator, output),
        };
        self.execute(&operator.clone(), &msg)
    }

    /// The attestation digest of `output` for `job_id` under this escrow and chain.
    pub fn digest(&self, job_id: u64, output: &[u8]) -> [u8; 32] {
        self.digest_for(
            &self.config().chain_id,
            self.escrow.as_str(),
            job_id,
            output,
        )
    }

    pub fn digest_for(&self, chain_id: &str, escrow: &str, job_id: u64, output: &[u8]) -> [u8; 32] {
        let model_hash: [u8; 32] = self.model_hash.as_slice().try_into().unwrap();
        attestation_digest(
            chain_id,
            escrow,
            job_id,
            &model_hash,
            &input_hash(INPUT),
            &output_hash(output),
        )
    }

    pub fn sign(key: &SigningKey, digest: &[u8; 32]) -> Binary {
        let signature: Signature = key.sign_prehash(digest).unwrap();
        Binary::from(signature.to_bytes().to_vec())
    }

    /// A well-formed reveal by `operator` (posted by `relayer` in the caller's choice).
    pub fn reveal_msg(&self, job_id: u64, operator: &Addr, output: &[u8]) -> ExecuteMsg {
        let signature = Self::sign(self.key_of(operator), &self.digest(job_id, output));
        ExecuteMsg::Reveal {
            job_id,
            operator: operator.to_string(),
            output: Binary::from(output),
            salt: Binary::from(Self::salt(job_id, operator)),
            signature,
        }
    }

    pub fn reveal(
        &mut self,
        job_id: u64,
        operator: &Addr,
        output: &[u8],
    ) -> StdResult<AppResponse> {
        let msg = self.reveal_msg(job_id, operator, output);
        let relayer = self.app.api().addr_make("relayer");
        self.execute(&relayer, &msg)
    }

    pub fn decline(
        &mut self,
        job_id: u64,
        operator: &Addr,
        reason: sibyl_api::escrow::DeclineReason,
    ) -> StdResult<AppResponse> {
        self.execute(&operator.clone(), &ExecuteMsg::Decline { job_id, reason })
    }

    pub fn settle(&mut self, job_id: u64) -> StdResult<AppResponse> {
        let anyone = self.app.api().addr_make("anyone");
        self.execute(&anyone, &ExecuteMsg::Settle { job_id })
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|block| {
            block.height += blocks;
            block.time = block.time.plus_seconds(5 * blocks);
        });
    }

    pub fn balance(&self, addr: &Addr) -> u128 {
        let coin = self.app.wrap().query_balance(addr, DENOM).unwrap();
        Uint128::try_from(coin.amount).unwrap().u128()
    }

    pub fn operator_info(&self, operator: &Addr) -> staking::OperatorResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.staking,
                &staking::QueryMsg::Operator {
                    address: operator.to_string(),
                },
            )
            .unwrap()
    }
}

/// The escrow configuration the suite deploys, against `staking` and paying `treasury`.
pub fn escrow_instantiate_msg(staking: &Addr, treasury: &Addr, chain_id: String) -> InstantiateMsg {
    InstantiateMsg {
        admin: None,
        staking_contract: staking.to_string(),
        fee_denom: DENOM.to_string(),
        price_per_unit: Uint128::new(PRICE_PER_UNIT),
        protocol_fee_bps: PROTOCOL_FEE_BPS,
        treasury: treasury.to_string(),
        commit_window: COMMIT_WINDOW,
        reveal_window: REVEAL_WINDOW,
        default_redundancy: 3,
        max_redundancy: 7,
        max_inline_input_bytes: MAX_INLINE_INPUT,
        max_output_bytes: MAX_OUTPUT,
        wrong_result_slash: wrong_result_slash(),
        missed_job_slash: missed_job_slash(),
        chain_id,
        callback_gas_limit: 200_000,
        seed_source: SeedSource::BlockData,
        decline_fee_bps: DECLINE_FEE_BPS,
        max_block_time_secs: MAX_BLOCK_TIME_SECS,
        settlement_margin: SETTLEMENT_MARGIN,
    }
}

/// The example consumer's configuration in the suite: the suite model, k = 3 and m = 2.
pub fn consumer_instantiate_msg(
    escrow: &Addr,
    model_hash: &HexBinary,
) -> sibyl_example_consumer::msg::InstantiateMsg {
    sibyl_example_consumer::msg::InstantiateMsg {
        escrow: escrow.to_string(),
        model_hash: model_hash.clone(),
        redundancy: Some(3),
        quorum: Some(2),
    }
}

pub fn escrow_contract() -> Box<dyn cw_multi_test::Contract<cosmwasm_std::Empty>> {
    Box::new(
        ContractWrapper::new(
            sibyl_job_escrow::contract::execute,
            sibyl_job_escrow::contract::instantiate,
            sibyl_job_escrow::contract::query,
        )
        .with_reply(sibyl_job_escrow::contract::reply)
        .with_migrate(sibyl_job_escrow::contract::migrate),
    )
}

pub fn consumer_contract() -> Box<dyn cw_multi_test::Contract<cosmwasm_std::Empty>> {
    Box::new(
        ContractWrapper::new(
            sibyl_example_consumer::contract::execute,
            sibyl_example_consumer::contract::instantiate,
            sibyl_example_consumer::contract::query,
        )
        .with_reply(sibyl_example_consumer::contract::reply)
        .with_migrate(sibyl_example_consumer::contract::migrate),
    )
}

pub fn mint(app: &mut App, to: &Addr, amount: u128) {
    app.sudo(SudoMsg::Bank(BankSudo::Mint {
        to_address: to.to_string(),
        amount: coins(amount, DENOM),
    }))
    .unwrap();
}

/// The job id from the escrow's `sibyl_submit` event.
pub fn job_id_of(response: &AppResponse) -> u64 {
    event_attr(response, "wasm-sibyl_submit", "job_id")
        .expect("a sibyl_submit event")
        .parse()
        .unwrap()
}

pub fn event_attr(response: &AppResponse, ty: &str, key: &str) -> Option<String> {
    response
        .events
        .iter()
        .filter(|event| event.ty == ty)
        .flat_map(|event| &event.attributes)
        .find(|attribute| attribute.key == key)
        .map(|attribute| attribute.value.clone())
}

pub fn events_of<'a>(
    response: &'a AppResponse,
    ty: &'a str,
) -> impl Iterator<Item = &'a cosmwasm_std::Event> {
    response.events.iter().filter(move |event| event.ty == ty)
}

/// Asserts that `result` failed with exactly `expected`'s message.
pub fn assert_error(result: StdResult<AppResponse>, expected: ContractError) {
    let error = result
        .expect_err("the message should have failed")
        .to_string();
    let expected = expected.to_string();
    assert!(
        error.contains(&expected),
        "expected error {expected:?}, got {error:?}"
    );
}
