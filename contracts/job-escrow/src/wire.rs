//! The JSON decoding of the wasm entry points' messages, through one merged field table.
//!
//! `#[derive(Deserialize)]` writes a struct decoder (field matcher, map and sequence visitors,
//! error paths) for every struct variant of `ExecuteMsg` and `QueryMsg` and for `InstantiateMsg`,
//! `ConfigUpdate` and `MigrateMsg`: 20 near-copies in the wasm. Here every field name of those
//! messages is in one table and one map visitor fills a typed slot per field; each message is a
//! [`Shape`] listing the fields it allows, those it requires and those that are not `Option`s.
//! The wasm exports in `contract.rs` decode [`Execute`], [`Query`], [`Instantiate`] and
//! [`Migrate`] and hand the `sibyl_api::escrow` message they hold to the usual handlers, which
//! multi-test calls with the typed messages directly.
//!
//! It accepts what the derived decoders accept: a duplicate field, a missing required field and
//! `null` for a non-`Option` field are refused; `null` or absence of an `Option` field is `None`,
//! an absent `callback` is `false`; a field the message does not have (a field of another message
//! included) is skipped, as `cw_serde` 3 does not deny unknown fields. The one difference is
//! outside the JSON schema (schema/job-escrow): serde's derived decoders also take a struct as a
//! JSON array of its field values (`{"settle": [7]}`); this decoder takes objects only. `tests`
//! checks the equivalence on every message and on mutations of each.

use std::fmt;

use cosmwasm_std::{Binary, Decimal, HexBinary, Uint128};
use serde::de::{
    DeserializeSeed, EnumAccess, Error, IgnoredAny, MapAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer};
use sibyl_api::escrow::{
    ConfigUpdate, DeclineReason, ExecuteMsg, InstantiateMsg, JobInput, JobsFilter, MigrateMsg,
    QueryMsg, SeedSource, TensorSpec,
};

/// Every field name of the entry points' messages; a field's index is its bit in [`Fields::seen`].
const NAMES: [&str; 40] = [
    "model_hash",             // 0
    "uri",                    // 1
    "input_spec",             // 2
    "output_spec",            // 3
    "cost_units",             // 4
    "owner",                  // 5
    "input",                  // 6
    "redundancy",             // 7
    "quorum",                 // 8
    "callback",               // 9
    "job_id",                 // 10
    "commitment",             // 11
    "reason",                 // 12
    "operator",               // 13
    "output",                 // 14
    "salt",                   // 15
    "signature",              // 16
    "start_after",            // 17
    "limit",                  // 18
    "filter",                 // 19
    "admin",                  // 20
    "staking_contract",       // 21
    "fee_denom",              // 22
    "price_per_unit",         // 23
    "protocol_fee_bps",       // 24
    "treasury",               // 25
    "commit_window",          // 26
    "reveal_window",          // 27
    "default_redundancy",     // 28
    "max_redundancy",         // 29
    "max_inline_input_bytes", // 30
    "max_output_bytes",       // 31
    "wrong_result_slash",     // 32
    "missed_job_slash",       // 33
    "chain_id",               // 34
    "callback_gas_limit",     // 35
    "seed_source",            // 36
    "decline_fee_bps",        // 37
    "max_block_time_secs",    // 38
    "settlement_margin",      // 39
];

/// The parameters of `InstantiateMsg`, in order; `ConfigUpdate` has the same but
/// `staking_contract` and `fee_denom`.
const CONFIG_FIELDS: [&str; 20] = [
    "admin",
    "staking_contract",
    "fee_denom",
    "price_per_unit",
    "protocol_fee_bps",
    "treasury",
    "commit_window",
    "reveal_window",
    "default_redundancy",
    "max_redundancy",
    "max_inline_input_bytes",
    "max_output_bytes",
    "wrong_result_slash",
    "missed_job_slash",
    "chain_id",
    "callback_gas_limit",
    "seed_source",
    "decline_fee_bps",
    "max_block_time_secs",
    "settlement_margin",
];
const UPDATE_FIELDS: [&str; 18] = [
    "admin",
    "price_per_unit",
    "protocol_fee_bps",
    "treasury",
    "commit_window",
    "reveal_window",
    "default_redundancy",
    "max_redundancy",
    "max_inline_input_bytes",
    "max_output_bytes",
    "wrong_result_slash",
    "missed_job_slash",
    "chain_id",
    "callback_gas_limit",
    "seed_source",
    "decline_fee_bps",
    "max_block_time_secs",
    "settlement_margin",
];
const MIGRATE_FIELDS: [&str; 3] = [
    "decline_fee_bps",
    "max_block_time_secs",
    "settlement_margin",
];

/// One message: the fields it allows (in declaration order, for error messages), those that must
/// be present, and those decoded as the plain type rather than as an `Option` (`null` refused).
struct Shape {
    name: &'static str,
    fields: &'static [&'static str],
    required: &'static [&'static str],
    plain: &'static [&'static str],
}

impl Shape {
    const fn new(
        name: &'static str,
        fields: &'static [&'static str],
        required: &'static [&'static str],
    ) -> Shape {
        Shape {
            name,
            fields,
            required,
            plain: required,
        }
    }
}

const EXECUTE: [Shape; 12] = [
    Shape::new(
        "register_model",
        &[
            "model_hash",
            "uri",
            "input_spec",
            "output_spec",
            "cost_units",
            "owner",
        ],
        &[
            "model_hash",
            "uri",
            "input_spec",
            "output_spec",
            "cost_units",
        ],
    ),
    Shape::new(
        "update_model_uri",
        &["model_hash", "uri"],
        &["model_hash", "uri"],
    ),
    Shape::new("deprecate_model", &["model_hash"], &["model_hash"]),
    Shape {
        name: "submit_job",
        fields: &["model_hash", "input", "redundancy", "quorum", "callback"],
        required: &["model_hash", "input"],
        // `callback` is `#[serde(default)] bool`: may be absent, may not be null.
        plain: &["model_hash", "input", "callback"],
    },
    Shape::new("assign_jobs", &["limit"], &[]),
    Shape::new(
        "commit",
        &["job_id", "commitment"],
        &["job_id", "commitment"],
    ),
    Shape::new("decline", &["job_id", "reason"], &["job_id", "reason"]),
    Shape::new(
        "reveal",
        &["job_id", "operator", "output", "salt", "signature"],
        &["job_id", "operator", "output", "salt", "signature"],
    ),
    Shape::new("settle", &["job_id"], &["job_id"]),
    Shape::new("cancel", &["job_id"], &["job_id"]),
    Shape::new("withdraw_treasury", &[], &[]),
    Shape::new("update_config", &UPDATE_FIELDS, &[]),
];
const EXECUTE_VARIANTS: [&str; 12] = [
    "register_model",
    "update_model_uri",
    "deprecate_model",
    "submit_job",
    "assign_jobs",
    "commit",
    "decline",
    "reveal",
    "settle",
    "cancel",
    "withdraw_treasury",
    "update_config",
];

const QUERY: [Shape; 8] = [
    Shape::new("config", &[], &[]),
    Shape::new("model", &["model_hash"], &["model_hash"]),
    Shape::new("models", &["start_after", "limit"], &[]),
    Shape::new("price", &["model_hash", "redundancy"], &["model_hash"]),
    Shape::new("job", &["job_id"], &["job_id"]),
    Shape::new("jobs", &["filter", "start_after", "limit"], &["filter"]),
    Shape::new(
        "pending_work",
        &["operator", "start_after", "limit"],
        &["operator"],
    ),
    Shape::new("treasury", &[], &[]),
];
const QUERY_VARIANTS: [&str; 8] = [
    "config",
    "model",
    "models",
    "price",
    "job",
    "jobs",
    "pending_work",
    "treasury",
];

const MIGRATE: Shape = Shape::new("", &MIGRATE_FIELDS, &[]);

const INSTANTIATE: Shape = Shape::new(
    "",
    &CONFIG_FIELDS,
    &[
        "staking_contract",
        "fee_denom",
        "price_per_unit",
        "protocol_fee_bps",
        "treasury",
        "commit_window",
        "reveal_window",
        "default_redundancy",
        "max_redundancy",
        "max_inline_input_bytes",
        "max_output_bytes",
        "wrong_result_slash",
        "missed_job_slash",
        "chain_id",
        "callback_gas_limit",
        "seed_source",
        "decline_fee_bps",
        "max_block_time_secs",
        "settlement_margin",
    ],
);

/// One typed slot per field name (two for `start_after`: hex in `models`, a job id elsewhere).
#[derive(Default)]
struct Fields {
    seen: u64,
    model_hash: Option<HexBinary>,
    uri: Option<String>,
    input_spec: Option<TensorSpec>,
    output_spec: Option<TensorSpec>,
    cost_units: Option<u64>,
    owner: Option<String>,
    input: Option<JobInput>,
    redundancy: Option<u32>,
    quorum: Option<u32>,
    callback: Option<bool>,
    job_id: Option<u64>,
    commitment: Option<Binary>,
    reason: Option<DeclineReason>,
    operator: Option<String>,
    output: Option<Binary>,
    salt: Option<Binary>,
    signature: Option<Binary>,
    start_after_hash: Option<HexBinary>,
    start_after_id: Option<u64>,
    limit: Option<u32>,
    filter: Option<JobsFilter>,
    admin: Option<String>,
    staking_contract: Option<String>,
    fee_denom: Option<String>,
    price_per_unit: Option<Uint128>,
    protocol_fee_bps: Option<u16>,
    treasury: Option<String>,
    commit_window: Option<u64>,
    reveal_window: Option<u64>,
    default_redundancy: Option<u32>,
    max_redundancy: Option<u32>,
    max_inline_input_bytes: Option<u32>,
    max_output_bytes: Option<u32>,
    wrong_result_slash: Option<Decimal>,
    missed_job_slash: Option<Decimal>,
    chain_id: Option<String>,
    callback_gas_limit: Option<u64>,
    seed_source: Option<SeedSource>,
    decline_fee_bps: Option<u16>,
    max_block_time_secs: Option<u64>,
    settlement_margin: Option<u64>,
}

/// Decodes a field's value: the plain type when `plain` (so `null` is refused), else an `Option`.
fn value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    plain: bool,
) -> Result<Option<T>, A::Error> {
    if plain {
        map.next_value::<T>().map(Some)
    } else {
        map.next_value::<Option<T>>()
    }
}

/// A required field's value, or serde's `missing field` error.
fn req<T, E: Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

/// Decodes the fields of one [`Shape`] from a JSON object.
struct FieldsSeed(&'static Shape);

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Fields;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Fields, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let shape = self.0;
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let key = key.as_str();
            if !shape.fields.contains(&key) {
                // As the derived decoders (`cw_serde` does not deny unknown fields).
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // Every name of every shape is in NAMES (tests::every_shape_field_is_named).
            let index = NAMES.iter().position(|name| *name == key).unwrap_or(0);
            let bit = 1u64 << index;
            if f.seen & bit != 0 {
                return Err(A::Error::duplicate_field(NAMES[index]));
            }
            f.seen |= bit;
            let plain = shape.plain.contains(&key);
            let m = &mut map;
            match index {
                0 => f.model_hash = value(m, plain)?,
                1 => f.uri = value(m, plain)?,
                2 => f.input_spec = value(m, plain)?,
                3 => f.output_spec = value(m, plain)?,
                4 => f.cost_units = value(m, plain)?,
                5 => f.owner = value(m, plain)?,
                6 => f.input = value(m, plain)?,
                7 => f.redundancy = value(m, plain)?,
                8 => f.quorum = value(m, plain)?,
                9 => f.callback = value(m, plain)?,
                10 => f.job_id = value(m, plain)?,
                11 => f.commitment = value(m, plain)?,
                12 => f.reason = value(m, plain)?,
                13 => f.operator = value(m, plain)?,
                14 => f.output = value(m, plain)?,
                15 => f.salt = value(m, plain)?,
                16 => f.signature = value(m, plain)?,
                17 if shape.name == "models" => f.start_after_hash = value(m, plain)?,
                17 => f.start_after_id = value(m, plain)?,
                18 => f.limit = value(m, plain)?,
                19 => f.filter = value(m, plain)?,
                20 => f.admin = value(m, plain)?,
                21 => f.staking_contract = value(m, plain)?,
                22 => f.fee_denom = value(m, plain)?,
                23 => f.price_per_unit = value(m, plain)?,
                24 => f.protocol_fee_bps = value(m, plain)?,
                25 => f.treasury = value(m, plain)?,
                26 => f.commit_window = value(m, plain)?,
                27 => f.reveal_window = value(m, plain)?,
                28 => f.default_redundancy = value(m, plain)?,
                29 => f.max_redundancy = value(m, plain)?,
                30 => f.max_inline_input_bytes = value(m, plain)?,
                31 => f.max_output_bytes = value(m, plain)?,
                32 => f.wrong_result_slash = value(m, plain)?,
                33 => f.missed_job_slash = value(m, plain)?,
                34 => f.chain_id = value(m, plain)?,
                35 => f.callback_gas_limit = value(m, plain)?,
                36 => f.seed_source = value(m, plain)?,
                37 => f.decline_fee_bps = value(m, plain)?,
                38 => f.max_block_time_secs = value(m, plain)?,
                _ => f.settlement_margin = value(m, plain)?,
            }
        }
        for name in shape.required {
            let index = NAMES.iter().position(|n| n == name).unwrap_or(0);
            if f.seen & (1u64 << index) == 0 {
                return Err(A::Error::missing_field(name));
            }
        }
        Ok(f)
    }
}

/// Reads `{"<variant>": {<fields>}}` the way serde_json reads an externally tagged enum.
struct EnumVisitor {
    name: &'static str,
    shapes: &'static [Shape],
    variants: &'static [&'static str],
}

impl<'de> Visitor<'de> for EnumVisitor {
    type Value = (&'static Shape, Fields);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "enum {}", self.name)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let (variant, access) = data.variant::<String>()?;
        let shape = self
            .shapes
            .iter()
            .find(|shape| shape.name == variant)
            .ok_or_else(|| A::Error::unknown_variant(&variant, self.variants))?;
        Ok((shape, access.newtype_variant_seed(FieldsSeed(shape))?))
    }
}

fn decode_enum<'de, D: Deserializer<'de>>(
    deserializer: D,
    name: &'static str,
    shapes: &'static [Shape],
    variants: &'static [&'static str],
) -> Result<(&'static Shape, Fields), D::Error> {
    deserializer.deserialize_enum(
        name,
        variants,
        EnumVisitor {
            name,
            shapes,
            variants,
        },
    )
}

/// `ExecuteMsg`, decoded through the merged field table.
pub struct Execute(pub ExecuteMsg);

impl<'de> Deserialize<'de> for Execute {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Execute, D::Error> {
        let (shape, f) = decode_enum(deserializer, "ExecuteMsg", &EXECUTE, &EXECUTE_VARIANTS)?;
        Ok(Execute(match shape.name {
            "register_model" => ExecuteMsg::RegisterModel {
                model_hash: req(f.model_hash, "model_hash")?,
                uri: req(f.uri, "uri")?,
                input_spec: req(f.input_spec, "input_spec")?,
                output_spec: req(f.output_spec, "output_spec")?,
                cost_units: req(f.cost_units, "cost_units")?,
                owner: f.owner,
            },
            "update_model_uri" => ExecuteMsg::UpdateModelUri {
                model_hash: req(f.model_hash, "model_hash")?,
                uri: req(f.uri, "uri")?,
            },
            "deprecate_model" => ExecuteMsg::DeprecateModel {
                model_hash: req(f.model_hash, "model_hash")?,
            },
            "submit_job" => ExecuteMsg::SubmitJob {
                model_hash: req(f.model_hash, "model_hash")?,
                input: req(f.input, "input")?,
                redundancy: f.redundancy,
                quorum: f.quorum,
                callback: f.callback.unwrap_or(false),
            },
            "assign_jobs" => ExecuteMsg::AssignJobs { limit: f.limit },
            "commit" => ExecuteMsg::Commit {
                job_id: req(f.job_id, "job_id")?,
                commitment: req(f.commitment, "commitment")?,
            },
            "decline" => ExecuteMsg::Decline {
                job_id: req(f.job_id, "job_id")?,
                reason: req(f.reason, "reason")?,
            },
            "reveal" => ExecuteMsg::Reveal {
                job_id: req(f.job_id, "job_id")?,
                operator: req(f.operator, "operator")?,
                output: req(f.output, "output")?,
                salt: req(f.salt, "salt")?,
                signature: req(f.signature, "signature")?,
            },
            "settle" => ExecuteMsg::Settle {
                job_id: req(f.job_id, "job_id")?,
            },
            "cancel" => ExecuteMsg::Cancel {
                job_id: req(f.job_id, "job_id")?,
            },
            "withdraw_treasury" => ExecuteMsg::WithdrawTreasury {},
            _ => ExecuteMsg::UpdateConfig(ConfigUpdate {
                admin: f.admin,
                price_per_unit: f.price_per_unit,
                protocol_fee_bps: f.protocol_fee_bps,
                treasury: f.treasury,
                commit_window: f.commit_window,
                reveal_window: f.reveal_window,
                default_redundancy: f.default_redundancy,
                max_redundancy: f.max_redundancy,
                max_inline_input_bytes: f.max_inline_input_bytes,
                max_output_bytes: f.max_output_bytes,
                wrong_result_slash: f.wrong_result_slash,
                missed_job_slash: f.missed_job_slash,
                chain_id: f.chain_id,
                callback_gas_limit: f.callback_gas_limit,
                seed_source: f.seed_source,
                decline_fee_bps: f.decline_fee_bps,
                max_block_time_secs: f.max_block_time_secs,
                settlement_margin: f.settlement_margin,
            }),
        }))
    }
}

/// `QueryMsg`, decoded through the merged field table.
pub struct Query(pub QueryMsg);

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Query, D::Error> {
        let (shape, f) = decode_enum(deserializer, "QueryMsg", &QUERY, &QUERY_VARIANTS)?;
        Ok(Query(match shape.name {
            "config" => QueryMsg::Config {},
            "model" => QueryMsg::Model {
                model_hash: req(f.model_hash, "model_hash")?,
            },
            "models" => QueryMsg::Models {
                start_after: f.start_after_hash,
                limit: f.limit,
            },
            "price" => QueryMsg::Price {
                model_hash: req(f.model_hash, "model_hash")?,
                redundancy: f.redundancy,
            },
            "job" => QueryMsg::Job {
                job_id: req(f.job_id, "job_id")?,
            },
            "jobs" => QueryMsg::Jobs {
                filter: req(f.filter, "filter")?,
                start_after: f.start_after_id,
                limit: f.limit,
            },
            "pending_work" => QueryMsg::PendingWork {
                operator: req(f.operator, "operator")?,
                start_after: f.start_after_id,
                limit: f.limit,
            },
            _ => QueryMsg::Treasury {},
        }))
    }
}

/// `InstantiateMsg`, decoded through the merged field table.
pub struct Instantiate(pub InstantiateMsg);

impl<'de> Deserialize<'de> for Instantiate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Instantiate, D::Error> {
        let f = deserializer.deserialize_map(FieldsSeed(&INSTANTIATE))?;
        Ok(Instantiate(InstantiateMsg {
            admin: f.admin,
            staking_contract: req(f.staking_contract, "staking_contract")?,
            fee_denom: req(f.fee_denom, "fee_denom")?,
            price_per_unit: req(f.price_per_unit, "price_per_unit")?,
            protocol_fee_bps: req(f.protocol_fee_bps, "protocol_fee_bps")?,
            treasury: req(f.treasury, "treasury")?,
            commit_window: req(f.commit_window, "commit_window")?,
            reveal_window: req(f.reveal_window, "reveal_window")?,
            default_redundancy: req(f.default_redundancy, "default_redundancy")?,
            max_redundancy: req(f.max_redundancy, "max_redundancy")?,
            max_inline_input_bytes: req(f.max_inline_input_bytes, "max_inline_input_bytes")?,
            max_output_bytes: req(f.max_output_bytes, "max_output_bytes")?,
            wrong_result_slash: req(f.wrong_result_slash, "wrong_result_slash")?,
            missed_job_slash: req(f.missed_job_slash, "missed_job_slash")?,
            chain_id: req(f.chain_id, "chain_id")?,
            callback_gas_limit: req(f.callback_gas_limit, "callback_gas_limit")?,
            seed_source: req(f.seed_source, "seed_source")?,
            decline_fee_bps: req(f.decline_fee_bps, "decline_fee_bps")?,
            max_block_time_secs: req(f.max_block_time_secs, "max_block_time_secs")?,
            settlement_margin: req(f.settlement_margin, "settlement_margin")?,
        }))
    }
}

/// `MigrateMsg`, decoded through the merged field table.
pub struct Migrate(pub MigrateMsg);

impl<'de> Deserialize<'de> for Migrate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Migrate, D::Error> {
        let f = deserializer.deserialize_map(FieldsSeed(&MIGRATE))?;
        Ok(Migrate(MigrateMsg {
            decline_fee_bps: f.decline_fee_bps,
            max_block_time_secs: f.max_block_time_secs,
            settlement_margin: f.settlement_margin,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{from_json, to_json_vec};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use serde_json::{json, Map, Value};
    use sibyl_api::escrow::{DType, JobStatus};
    use std::fmt::Debug;

    #[test]
    fn every_shape_field_is_named() {
        let shapes = EXECUTE.iter().chain(&QUERY).chain([&INSTANTIATE, &MIGRATE]);
        for shape in shapes {
            for name in shape.fields.iter().chain(shape.required).chain(shape.plain) {
                assert!(NAMES.contains(name), "{name}");
                assert!(shape.fields.contains(name), "{name}");
            }
        }
        let names = |shapes: &[Shape]| shapes.iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(&EXECUTE), EXECUTE_VARIANTS);
        assert_eq!(names(&QUERY), QUERY_VARIANTS);
        // Every `Option` field of the derived messages may be absent; the others must be present
        // (or defaulted): the mutation tests below check this against serde's derive.
    }

    fn hash(byte: u8) -> HexBinary {
        HexBinary::from(vec![byte; 32])
    }

    fn spec() -> TensorSpec {
        TensorSpec {
            dtype: DType::I8,
            shape: vec![1, 64],
        }
    }

    fn execute_samples() -> Vec<ExecuteMsg> {
        vec![
            ExecuteMsg::RegisterModel {
                model_hash: hash(1),
                uri: "ipfs://model".to_string(),
                input_spec: spec(),
                output_spec: spec(),
                cost_units: 10,
                owner: Some("owner".to_string()),
            },
            ExecuteMsg::RegisterModel {
                model_hash: hash(1),
                uri: "ipfs://model".to_string(),
                input_spec: spec(),
                output_spec: spec(),
                cost_units: 10,
                owner: None,
            },
            ExecuteMsg::UpdateModelUri {
                model_hash: hash(2),
                uri: "https://m".to_string(),
            },
            ExecuteMsg::DeprecateModel {
                model_hash: hash(3),
            },
            ExecuteMsg::SubmitJob {
                model_hash: hash(4),
                input: JobInput::Inline {
                    data: Binary::from(vec![7; 64]),
                },
                redundancy: Some(3),
                quorum: Some(2),
                callback: true,
            },
            ExecuteMsg::SubmitJob {
                model_hash: hash(4),
                input: JobInput::Remote {
                    hash: hash(5),
                    uri: "https://input".to_string(),
                    size: 64,
                },
                redundancy: None,
                quorum: None,
                callback: false,
            },
            ExecuteMsg::AssignJobs { limit: Some(3) },
            ExecuteMsg::AssignJobs { limit: None },
            ExecuteMsg::Commit {
                job_id: 7,
                commitment: Binary::from(vec![1; 32]),
            },
            ExecuteMsg::Decline {
                job_id: 8,
                reason: DeclineReason::InputHashMismatch,
            },
            ExecuteMsg::Reveal {
                job_id: 9,
                operator: "op".to_string(),
                output: Binary::from(vec![2; 40]),
                salt: Binary::from(vec![3; 32]),
                signature: Binary::from(vec![4; 64]),
            },
            ExecuteMsg::Settle { job_id: 10 },
            ExecuteMsg::Cancel { job_id: 11 },
            ExecuteMsg::WithdrawTreasury {},
            ExecuteMsg::UpdateConfig(ConfigUpdate::default()),
            ExecuteMsg::UpdateConfig(ConfigUpdate {
                admin: Some("admin".to_string()),
                price_per_unit: Some(Uint128::new(100)),
                protocol_fee_bps: Some(500),
                treasury: Some("treasury".to_string()),
                commit_window: Some(10),
                reveal_window: Some(11),
                default_redundancy: Some(3),
                max_redundancy: Some(5),
                max_inline_input_bytes: Some(4096),
                max_output_bytes: Some(1024),
                wrong_result_slash: Some(Decimal::percent(10)),
                missed_job_slash: Some(Decimal::percent(1)),
                chain_id: Some("neutron-1".to_string()),
                callback_gas_limit: Some(500_000),
                seed_source: Some(SeedSource::BlockData),
                decline_fee_bps: Some(2000),
                max_block_time_secs: Some(6),
                settlement_margin: Some(100),
            }),
        ]
    }

    fn query_samples() -> Vec<QueryMsg> {
        vec![
            QueryMsg::Config {},
            QueryMsg::Model {
                model_hash: hash(1),
            },
            QueryMsg::Models {
                start_after: Some(hash(2)),
                limit: Some(5),
            },
            QueryMsg::Models {
                start_after: None,
                limit: None,
            },
            QueryMsg::Price {
                model_hash: hash(3),
                redundancy: Some(3),
            },
            QueryMsg::Price {
                model_hash: hash(3),
                redundancy: None,
            },
            QueryMsg::Job { job_id: 4 },
            QueryMsg::Jobs {
                filter: JobsFilter::Consumer {
                    address: "consumer".to_string(),
                },
                start_after: Some(3),
                limit: Some(30),
            },
            QueryMsg::Jobs {
                filter: JobsFilter::Status {
                    status: JobStatus::Open,
                },
                start_after: None,
                limit: None,
            },
            QueryMsg::Jobs {
                filter: JobsFilter::AwaitingAssignment {},
                start_after: None,
                limit: Some(2),
            },
            QueryMsg::PendingWork {
                operator: "op".to_string(),
                start_after: Some(1),
                limit: None,
            },
            QueryMsg::Treasury {},
        ]
    }

    fn instantiate_sample() -> InstantiateMsg {
        InstantiateMsg {
            admin: Some("admin".to_string()),
            staking_contract: "staking".to_string(),
            fee_denom: "untrn".to_string(),
            price_per_unit: Uint128::new(100),
            protocol_fee_bps: 500,
            treasury: "treasury".to_string(),
            commit_window: 10,
            reveal_window: 10,
            default_redundancy: 3,
            max_redundancy: 5,
            max_inline_input_bytes: 4096,
            max_output_bytes: 1024,
            wrong_result_slash: Decimal::percent(10),
            missed_job_slash: Decimal::percent(1),
            chain_id: "neutron-1".to_string(),
            callback_gas_limit: 500_000,
            seed_source: SeedSource::BlockData,
            decline_fee_bps: 2000,
            max_block_time_secs: 6,
            settlement_margin: 100,
        }
    }

    fn json_of<T: Serialize>(value: &T) -> Value {
        serde_json::from_slice(&to_json_vec(value).unwrap()).unwrap()
    }

    /// Values to try for a field: every value that name has in the samples, and one of each JSON
    /// type.
    fn value_pool(samples: &[Value]) -> Vec<(String, Value)> {
        fn collect(value: &Value, out: &mut Vec<(String, Value)>) {
            if let Value::Object(map) = value {
                for (key, inner) in map {
                    out.push((key.clone(), inner.clone()));
                    collect(inner, out);
                }
            }
        }
        let mut pool = vec![];
        for sample in samples {
            collect(sample, &mut pool);
        }
        for name in NAMES {
            for other in [
                Value::Null,
                json!("x"),
                json!(3),
                json!(-1),
                json!(true),
                json!([]),
                json!({}),
            ] {
                pool.push((name.to_string(), other));
            }
        }
        pool
    }

    /// The derived decoder and the wire decoder agree on `text`: same message, or both refuse.
    fn agree<T, W>(text: &str, unwrap: fn(W) -> T) -> bool
    where
        T: DeserializeOwned + PartialEq + Debug,
        W: DeserializeOwned,
    {
        let derived = from_json::<T>(text).ok();
        let wire = from_json::<W>(text).ok().map(unwrap);
        assert_eq!(derived, wire, "{text}");
        derived.is_some()
    }

    /// Mutations of one object of fields: each field removed, set to `null` or to another value,
    /// every field name added with every pooled value, the first field duplicated.
    fn mutations(fields: &Map<String, Value>, pool: &[(String, Value)]) -> Vec<String> {
        let mut out = vec![];
        for key in fields.keys() {
            let mut removed = fields.clone();
            removed.remove(key);
            out.push(Value::Object(removed).to_string());
        }
        for (name, value) in pool {
            let mut changed = fields.clone();
            changed.insert(name.clone(), value.clone());
            out.push(Value::Object(changed).to_string());
        }
        if let Some((key, value)) = fields.iter().next() {
            let body = Value::Object(fields.clone()).to_string();
            out.push(format!("{{\"{key}\":{value},{}", &body[1..]));
        }
        out.push("null".to_string());
        out.push("\"x\"".to_string());
        out
    }

    fn check_enum<T, W>(samples: &[T], unwrap: fn(W) -> T)
    where
        T: DeserializeOwned + Serialize + PartialEq + Debug,
        W: DeserializeOwned,
    {
        let values: Vec<Value> = samples.iter().map(json_of).collect();
        let pool = value_pool(&values);
        let mut accepted = 0;
        let mut refused = 0;
        for (sample, value) in samples.iter().zip(&values) {
            let text = value.to_string();
            assert!(agree(&text, unwrap), "{text}");
            let wire = from_json::<W>(&text).map(unwrap).unwrap();
            assert_eq!(&wire, sample);
            let (variant, inner) = value.as_object().unwrap().iter().next().unwrap();
            let fields = inner.as_object().unwrap();
            let mut texts: Vec<String> = mutations(fields, &pool)
                .into_iter()
                .map(|inner| format!("{{\"{variant}\":{inner}}}"))
                .collect();
            texts.push(format!("\"{variant}\""));
            texts.push(format!("{{\"{variant}\":{inner},\"extra\":{{}}}}"));
            texts.push(format!("{{\"{variant}x\":{inner}}}"));
            texts.push(format!("{{\"{variant}\":{inner},\"{variant}\":{inner}}}"));
            for text in texts {
                if agree(&text, unwrap) {
                    accepted += 1;
                } else {
                    refused += 1;
                }
            }
            // The derived decoder also reads a struct variant from an array of its values; the
            // wire decoder, like the schema, takes objects only.
            let array = Value::Array(fields.values().cloned().collect()).to_string();
            let text = format!("{{\"{variant}\":{array}}}");
            assert!(from_json::<W>(&text).is_err(), "{text}");
        }
        assert!(accepted > samples.len() && refused > 10 * samples.len());
    }

    fn check_struct<T, W>(sample: &T, unwrap: fn(W) -> T)
    where
        T: DeserializeOwned + Serialize + PartialEq + Debug,
        W: DeserializeOwned,
    {
        let value = json_of(sample);
        let text = value.to_string();
        assert_eq!(&from_json::<W>(&text).map(unwrap).unwrap(), sample);
        let pool = value_pool(std::slice::from_ref(&value));
        for text in mutations(value.as_object().unwrap(), &pool) {
            agree(&text, unwrap);
        }
        let array = Value::Array(value.as_object().unwrap().values().cloned().collect());
        assert!(from_json::<W>(array.to_string()).is_err());
    }

    #[test]
    fn execute_decodes_as_the_derived_decoder() {
        check_enum(&execute_samples(), |w: Execute| w.0);
    }

    #[test]
    fn query_decodes_as_the_derived_decoder() {
        check_enum(&query_samples(), |w: Query| w.0);
    }

    #[test]
    fn instantiate_decodes_as_the_derived_decoder() {
        check_struct(&instantiate_sample(), |w: Instantiate| w.0);
        let mut sample = instantiate_sample();
        sample.admin = None;
        check_struct(&sample, |w: Instantiate| w.0);
    }

    #[test]
    fn migrate_decodes_as_the_derived_decoder() {
        check_struct(&MigrateMsg::default(), |w: Migrate| w.0);
        let full = MigrateMsg {
            decline_fee_bps: Some(1),
            max_block_time_secs: Some(2),
            settlement_margin: Some(3),
        };
        check_struct(&full, |w: Migrate| w.0);
    }

    #[test]
    fn errors_name_the_field() {
        let error = |text: &str| from_json::<Execute>(text).err().unwrap().to_string();
        assert!(error(r#"{"settle":{}}"#).contains("missing field `job_id`"));
        assert!(error(r#"{"settle":{"job_id":1,"job_id":2}}"#).contains("duplicate field `job_id`"));
        assert!(error(r#"{"setle":{"job_id":1}}"#).contains("unknown variant `setle`"));
    }
}
