//! Events as the oracle sees them: a type, its attributes and the block that emitted them.

use serde::{Deserialize, Serialize};

/// One event emitted by a transaction in a finished block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEvent {
    /// Height of the block whose transaction emitted the event.
    pub height: u64,
    /// Event type, e.g. `wasm-sibyl_assign` for a custom contract event.
    pub kind: String,
    /// Attributes in emission order (keys may repeat).
    pub attributes: Vec<(String, String)>,
}

impl ChainEvent {
    /// The first value of attribute `key`, if present.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The address of the contract that emitted this event (wasmd's `_contract_address`).
    pub fn contract(&self) -> Option<&str> {
        self.attribute("_contract_address")
    }

    /// The event as CosmWasm models it, for the typed events of `sibyl_api`.
    pub fn to_cosmwasm(&self) -> cosmwasm_std::Event {
        let mut event = cosmwasm_std::Event::new(&self.kind);
        // Field by field: `Attribute::new` refuses keys such as wasmd's `_contract_address`.
        event.attributes = self
            .attributes
            .iter()
            .map(|(key, value)| cosmwasm_std::Attribute {
                key: key.clone(),
                value: value.clone(),
            })
            .collect();
        event
    }

    /// Converts a CosmWasm event observed at `height`.
    pub fn from_cosmwasm(height: u64, event: &cosmwasm_std::Event) -> Self {
        ChainEvent {
            height,
            kind: event.ty.clone(),
            attributes: event
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lookup_returns_first_match_or_none() {
        let event = ChainEvent {
            height: 3,
            kind: "wasm-sibyl_assign".into(),
            attributes: vec![
                ("_contract_address".into(), "escrow".into()),
                ("job_id".into(), "7".into()),
                ("job_id".into(), "8".into()),
            ],
        };
        assert_eq!(event.attribute("job_id"), Some("7"));
        assert_eq!(event.contract(), Some("escrow"));
        assert_eq!(event.attribute("operator"), None);
    }

    #[test]
    fn converts_cosmwasm_events() {
        let event = cosmwasm_std::Event::new("wasm-x").add_attribute("a", "b");
        let converted = ChainEvent::from_cosmwasm(9, &event);
        assert_eq!(converted.height, 9);
        assert_eq!(converted.kind, "wasm-x");
        assert_eq!(converted.attribute("a"), Some("b"));
    }

    #[test]
    fn a_chain_event_with_wasmd_attributes_reads_as_a_typed_event() {
        let committed = sibyl_api::escrow::events::Committed {
            job_id: 7,
            operator: cosmwasm_std::Addr::unchecked("op"),
        };
        let mut event = ChainEvent::from_cosmwasm(
            3,
            &sibyl_api::escrow::events::TypedEvent::to_event(&committed),
        );
        event.kind = format!("wasm-{}", event.kind);
        event
            .attributes
            .insert(0, ("_contract_address".into(), "escrow".into()));
        let cosmwasm = event.to_cosmwasm();
        assert_eq!(cosmwasm.attributes.len(), 3);
        assert_eq!(
            sibyl_api::escrow::events::Committed::try_from(&cosmwasm).unwrap(),
            committed
        );
    }
}
