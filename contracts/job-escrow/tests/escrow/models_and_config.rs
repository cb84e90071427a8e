//! The model registry, pricing, configuration and instantiation checks.

use cosmwasm_std::{HexBinary, Uint128};
use sibyl_api::escrow::{
    ConfigUpdate, DType, ExecuteMsg, ModelResponse, ModelsResponse, PriceResponse, QueryMsg,
    TensorSpec,
};
use sibyl_job_escrow::ContractError;

use crate::suite::*;

fn spec() -> TensorSpec {
    TensorSpec {
        dtype: DType::U8,
        shape: vec![4],
    }
}

fn register_msg(hash: u8, owner: Option<String>) -> ExecuteMsg {
    ExecuteMsg::RegisterModel {
        model_hash: HexBinary::from(vec![hash; 32]),
        uri: format!("https://models.example/{hash}"),
        input_spec: spec(),
        output_spec: spec(),
        cost_units: 3,
        owner,
    }
}

#[test]
fn models_register_list_update_and_deprecate() {
    let mut suite = Suite::new(1);
    let admin = suite.admin.clone();
    let owner = suite.app.api().addr_make("model-owner");
    suite
        .execute(&admin, &register_msg(1, Some(owner.to_string())))
        .unwrap();
    suite.execute(&admin, &register_msg(2, None)).unwrap();

    let model: ModelResponse = suite.query(&QueryMsg::Model {
        model_hash: HexBinary::from(vec![1; 32]),
    });
    assert_eq!(model.owner, owner);
    assert_eq!(model.cost_units, 3);
    assert!(!model.deprecated);

    let all: ModelsResponse = suite.query(&QueryMsg::Models {
        start_after: None,
        limit: None,
    });
    assert_eq!(all.models.len(), 3);
    let page: ModelsResponse = suite.query(&QueryMsg::Models {
        start_after: Some(HexBinary::from(vec![1; 32])),
        limit: Some(1),
    });
    assert_eq!(page.models.len(), 1);
    assert_eq!(page.models[0].model_hash, HexBinary::from(vec![2; 32]));

    let hash = HexBinary::from(vec![1; 32]);
    suite
        .execute(
            &owner,
            &ExecuteMsg::UpdateModelUri {
                model_hash: hash.clone(),
                uri: "ipfs://new".to_string(),
            },
        )
        .unwrap();
    let stranger = suite.app.api().addr_make("stranger");
    assert_error(
        suite.execute(
            &stranger,
            &ExecuteMsg::DeprecateModel {
                model_hash: hash.clone(),
            },
        ),
        ContractError::NotModelOwner {
            model_hash: hash.to_hex(),
        },
    );
    suite
        .execute(
            &admin,
            &ExecuteMsg::DeprecateModel {
                model_hash: hash.clone(),
            },
        )
        .unwrap();
    let model: ModelResponse = suite.query(&QueryMsg::Model { model_hash: hash });
    assert_eq!(model.uri, "ipfs://new");
    assert!(model.deprecated);
}

#[test]
fn model_registration_errors() {
    let mut suite = Suite::new(1);
    let admin = suite.admin.clone();
    let user = suite.user.clone();
    assert_error(
        suite.execute(&user, &register_msg(1, None)),
        ContractError::NotAdmin,
    );
    let existing = suite.model_hash.clone();
    let bad = |edit: &dyn Fn(&mut ExecuteMsg)| {
        let mut msg = register_msg(5, None);
        edit(&mut msg);
        msg
    };
    let cases = [
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { model_hash, .. } = msg {
                    *model_hash = HexBinary::from(vec![1; 20]);
                }
            }),
            ContractError::InvalidHash {
                field: "model_hash",
                len: 20,
            },
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { uri, .. } = msg {
                    *uri = "x".repeat(513);
                }
            }),
            ContractError::InvalidUri { len: 513, max: 512 },
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { input_spec, .. } = msg {
                    input_spec.shape = vec![];
                }
            }),
            ContractError::InvalidTensorSpec {
                reason: "rank must be 1 to 8".to_string(),
            },
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { output_spec, .. } = msg {
                    output_spec.shape = vec![3, 0];
                }
            }),
            ContractError::InvalidTensorSpec {
                reason: "every dimension must be at least 1".to_string(),
            },
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { output_spec, .. } = msg {
                    output_spec.shape = vec![1 << 20, 1 << 20];
                }
            }),
            ContractError::InvalidTensorSpec {
                reason: "tensor has more than 2^32 elements".to_string(),
            },
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { cost_units, .. } = msg {
                    *cost_units = 0;
                }
            }),
            ContractError::ZeroCost,
        ),
        (
            bad(&|msg| {
                if let ExecuteMsg::RegisterModel { model_hash, .. } = msg {
                    *model_hash = existing.clone();
                }
            }),
            ContractError::ModelExists {
                model_hash: existing.to_hex(),
            },
        ),
    ];
    for (msg, expected) in cases {
        assert_error(suite.execute(&admin, &msg), expected);
    }
    let unknown = HexBinary::from(vec![9; 32]);
    assert_error(
        suite.execute(
            &admin,
            &ExecuteMsg::UpdateModelUri {
                model_hash: unknown.clone(),
                uri: "ipfs://x".to_string(),
            },
        ),
        ContractError::UnknownModel {
            model_hash: unknown.to_hex(),
        },
    );
}

#[test]
fn price_query_matches_what_submit_charges() {
    let suite = Suite::new(3);
    let price: PriceResponse = suite.query(&QueryMsg::Price {
        model_hash: suite.model_hash.clone(),
        redundancy: Some(3),
    });
    let total = suite.price(3);
    let fee = total * u128::from(PROTOCOL_FEE_BPS) / 10_000;
    assert_eq!(price.total.amount, cosmwasm_std::Uint256::from(total));
    assert_eq!(price.total.denom, DENOM);
    assert_eq!(price.protocol_fee, Uint128::new(fee));
    assert_eq!(price.per_operator, Uint128::new((total - fee) / 3));
    assert_eq!(price.remainder, Uint128::new((total - fee) % 3));
    assert_eq!(
        price.decline_fee,
        Uint128::new((total - fee) / 3 * u128::from(DECLINE_FEE_BPS) / 10_000)
    );
    // The default redundancy applies when none is given.
    let default: PriceResponse = suite.query(&QueryMsg::Price {
        model_hash: suite.model_hash.clone(),
        redundancy: None,
    });
    assert_eq!(default, price);
}

#[test]
fn config_updates_are_admin_only_and_validated() {
    let mut suite = Suite::new(1);
    let user = suite.user.clone();
    let update = ConfigUpdate {
        price_per_unit: Some(Uint128::new(7)),
        commit_window: Some(20),
        ..ConfigUpdate::default()
    };
    assert_error(
        suite.execute(&user, &ExecuteMsg::UpdateConfig(update.clone())),
        ContractError::NotAdmin,
    );
    suite.update_config(update).unwrap();
    let config = suite.config();
    assert_eq!(config.price_per_unit, Uint128::new(7));
    assert_eq!(config.commit_window, 20);

    let invalid = [
        ConfigUpdate {
            protocol_fee_bps: Some(10_001),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            decline_fee_bps: Some(10_001),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            max_block_time_secs: Some(0),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            max_block_time_secs: Some(601),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            settlement_margin: Some(0),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            max_redundancy: Some(2),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            reveal_window: Some(0),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            price_per_unit: Some(Uint128::zero()),
            ..ConfigUpdate::default()
        },
        ConfigUpdate {
            max_output_bytes: Some(0),
            ..ConfigUpdate::default()
        },
    ];
    for update in invalid {
        let error = suite.update_config(update).unwrap_err();
        assert!(
            error.to_string().contains("invalid configuration"),
            "{error}"
        );
    }
    let update = ConfigUpdate {
        chain_id: Some("other-chain".to_string()),
        ..ConfigUpdate::default()
    };
    let error = suite.update_config(update).unwrap_err();
    assert!(
        error.to_string().contains("differs from this chain's id"),
        "{error}"
    );
}

#[test]
fn instantiate_checks_denom_and_chain_id() {
    let mut suite = Suite::new(1);
    let mut msg = suite.instantiate_msg();
    suite.instantiate_escrow(&msg).unwrap();
    msg.fee_denom = "uother".to_string();
    let error = suite.instantiate_escrow(&msg).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("differs from the staking bond denom"),
        "{error}"
    );
    msg.fee_denom = DENOM.to_string();
    msg.chain_id = "other".to_string();
    let error = suite.instantiate_escrow(&msg).unwrap_err();
    assert!(
        error.to_string().contains("differs from this chain's id"),
        "{error}"
    );
}
