//! The model registry: content-addressed models that jobs name by hash.

use cosmwasm_std::{Deps, DepsMut, HexBinary, MessageInfo, Order, Response};
use cw_storage_plus::Bound;
use sibyl_api::escrow::events::{ModelRegistered, TypedEvent};
use sibyl_api::escrow::{ModelResponse, ModelsResponse, TensorSpec};

use crate::config::ensure_admin;
use crate::error::ContractError;
use crate::state::{Model, CONFIG, MODELS};

pub const MAX_URI_LEN: usize = 512;
const MAX_TENSOR_RANK: usize = 8;
/// Bound on elements per tensor, far above what an on-chain-priced model can use.
const MAX_TENSOR_ELEMENTS: u64 = 1 << 32;

pub struct NewModel {
    pub model_hash: HexBinary,
    pub uri: String,
    pub input_spec: TensorSpec,
    pub output_spec: TensorSpec,
    pub cost_units: u64,
    pub owner: Option<String>,
}

/// Admin only: the cost units fix what operators earn per inference, and operators cannot refuse
/// an assigned job, so an unvetted registration could make them work at a loss.
pub fn register(
    deps: DepsMut,
    info: MessageInfo,
    model: NewModel,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?.0;
    ensure_admin(&config, &info.sender)?;
    let hash = hash32(&model.model_hash, "model_hash")?;
    validate_uri(&model.uri)?;
    validate_spec(&model.input_spec)?;
    validate_spec(&model.output_spec)?;
    if model.cost_units == 0 {
        return Err(ContractError::ZeroCost);
    }
    if MODELS.has(deps.storage, &hash) {
        return Err(ContractError::ModelExists {
            model_hash: model.model_hash.to_hex(),
        });
    }
    let owner = match model.owner {
        Some(owner) => deps.api.addr_validate(&owner)?,
        None => info.sender,
    };
    MODELS.save(
        deps.storage,
        &hash,
        &Model {
            uri: model.uri.clone(),
            input_spec: model.input_spec,
            output_spec: model.output_spec,
            cost_units: model.cost_units,
            owner: owner.clone(),
            deprecated: false,
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "register_model")
        .add_event(
            ModelRegistered {
                model_hash: model.model_hash,
                uri: model.uri,
                cost_units: model.cost_units,
                owner,
            }
            .to_event(),
        ))
}

pub fn update_uri(
    deps: DepsMut,
    info: MessageInfo,
    model_hash: HexBinary,
    uri: String,
) -> Result<Response, ContractError> {
    let (hash, mut model) = load_for_owner(deps.as_ref(), &info, &model_hash)?;
    validate_uri(&uri)?;
    model.uri = uri.clone();
    MODELS.save(deps.storage, &hash, &model)?;
    Ok(Response::new()
        .add_attribute("action", "update_model_uri")
        .add_attribute("model_hash", model_hash.to_hex())
        .add_attribute("uri", uri))
}

pub fn deprecate(
    deps: DepsMut,
    info: MessageInfo,
    model_hash: HexBinary,
) -> Result<Response, ContractError> {
    let (hash, mut model) = load_for_owner(deps.as_ref(), &info, &model_hash)?;
    model.deprecated = true;
    MODELS.save(deps.storage, &hash, &model)?;
    Ok(Response::new()
        .add_attribute("action", "deprecate_model")
        .add_attribute("model_hash", model_hash.to_hex()))
}

/// Loads a registered model by its hex hash, or says it is unknown.
pub fn load(deps: Deps, model_hash: &HexBinary) -> Result<([u8; 32], Model), ContractError> {
    let hash = hash32(model_hash, "model_hash")?;
    let model =
        MODELS
            .may_load(deps.storage, &hash)?
            .ok_or_else(|| ContractError::UnknownModel {
                model_hash: model_hash.to_hex(),
            })?;
    Ok((hash, model))
}

pub fn query_model(deps: Deps, model_hash: HexBinary) -> Result<ModelResponse, ContractError> {
    let (hash, model) = load(deps, &model_hash)?;
    Ok(response(&hash, model))
}

pub fn query_models(
    deps: Deps,
    start_after: Option<HexBinary>,
    limit: Option<u32>,
) -> Result<ModelsResponse, ContractError> {
    let limit = limit
        .unwrap_or(sibyl_api::escrow::DEFAULT_QUERY_LIMIT)
        .min(sibyl_api::escrow::MAX_QUERY_LIMIT) as usize;
    let start = start_after.as_deref().map(Bound::exclusive);
    let mut models = Vec::new();
    for item in MODELS
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit)
    {
        let (hash, model) = item?;
        models.push(response(&hash, model));
    }
    Ok(ModelsResponse { models })
}

fn response(hash: &[u8], model: Model) -> ModelResponse {
    ModelResponse {
        model_hash: HexBinary::from(hash),
        uri: model.uri,
        input_spec: model.input_spec,
        output_spec: model.output_spec,
        cost_units: model.cost_units,
        owner: model.owner,
        deprecated: model.deprecated,
    }
}

fn load_for_owner(
    deps: Deps,
    info: &MessageInfo,
    model_hash: &HexBinary,
) -> Result<([u8; 32], Model), ContractError> {
    let (hash, model) = load(deps, model_hash)?;
    let config = CONFIG.load(deps.storage)?.0;
    if info.sender != model.owner && info.sender != config.admin {
        return Err(ContractError::NotModelOwner {
            model_hash: model_hash.to_hex(),
        });
    }
    Ok((hash, model))
}

/// A sha256 hash given as bytes must be exactly 32 bytes.
pub fn hash32(bytes: &[u8], field: &'static str) -> Result<[u8; 32], ContractError> {
    bytes.try_into().map_err(|_| ContractError::InvalidHash {
        field,
        len: bytes.len(),
    })
}

pub fn validate_uri(uri: &str) -> Result<(), ContractError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(ContractError::InvalidUri {
            len: uri.len(),
            max: MAX_URI_LEN,
        });
    }
    Ok(())
}

fn validate_spec(spec: &TensorSpec) -> Result<(), ContractError> {
    let invalid = |reason: &str| ContractError::InvalidTensorSpec {
        reason: reason.to_string(),
    };
    if spec.shape.is_empty() || spec.shape.len() > MAX_TENSOR_RANK {
        return Err(invalid("rank must be 1 to 8"));
    }
    let mut elements: u64 = 1;
    for &dim in &spec.shape {
        if dim == 0 {
            return Err(invalid("every dimension must be at least 1"));
        }
        elements = elements.saturating_mul(u64::from(dim));
    }
    if elements > MAX_TENSOR_ELEMENTS {
        return Err(invalid("tensor has more than 2^32 elements"));
    }
    Ok(())
}
