//! Typed events of the staking contract: one struct per event, with `to_event()` (what the
//! contract emits) and `TryFrom<&Event>` (what an indexer or the oracle reads back).
//!
//! The contract emits each as a custom event of type [`StakingEvent::TYPE`]; the chain shows it
//! as `wasm-<TYPE>`, and `TryFrom` accepts both spellings. Attributes are named after the fields;
//! an absent optional value (or an empty list) is an absent attribute, because wasmd refuses
//! empty attribute values. Lists are comma-separated, times are nanoseconds since the epoch,
//! binaries base64.

use cosmwasm_std::{Addr, Binary, Decimal, Event, Timestamp, Uint128};

/// Why an [`Event`] could not be read as a typed staking event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// The event has another type.
    WrongType { expected: &'static str, got: String },
    /// A required attribute is missing.
    Missing { key: &'static str },
    /// An attribute does not parse as its field's type.
    Invalid { key: &'static str, value: String },
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::WrongType { expected, got } => {
                write!(f, "expected a {expected} event, got {got}")
            }
            EventError::Missing { key } => write!(f, "attribute {key} is missing"),
            EventError::Invalid { key, value } => {
                write!(f, "attribute {key} = {value:?} is invalid")
            }
        }
    }
}

impl std::error::Error for EventError {}

/// A field that travels as one event attribute.
pub trait AttributeValue: Sized {
    /// `None`: no attribute.
    fn encode(&self) -> Option<String>;
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError>;
}

fn required<'a>(key: &'static str, value: Option<&'a str>) -> Result<&'a str, EventError> {
    value.ok_or(EventError::Missing { key })
}

fn invalid(key: &'static str, value: &str) -> EventError {
    EventError::Invalid {
        key,
        value: value.to_string(),
    }
}

macro_rules! parsed_value {
    ($($ty:ty),*) => {$(
        impl AttributeValue for $ty {
            fn encode(&self) -> Option<String> {
                Some(self.to_string())
            }
            fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
                let value = required(key, value)?;
                value.parse().map_err(|_| invalid(key, value))
            }
        }
    )*};
}

parsed_value!(String, u64, Uint128, Decimal);

impl AttributeValue for Addr {
    fn encode(&self) -> Option<String> {
        Some(self.to_string())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        Ok(Addr::unchecked(required(key, value)?))
    }
}

impl AttributeValue for Timestamp {
    fn encode(&self) -> Option<String> {
        Some(self.nanos().to_string())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        u64::decode(key, value).map(Timestamp::from_nanos)
    }
}

impl AttributeValue for Binary {
    fn encode(&self) -> Option<String> {
        Some(self.to_base64())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        let value = required(key, value)?;
        Binary::from_base64(value).map_err(|_| invalid(key, value))
    }
}

impl<T: AttributeValue> AttributeValue for Option<T> {
    fn encode(&self) -> Option<String> {
        self.as_ref().and_then(T::encode)
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        value.map(|v| T::decode(key, Some(v))).transpose()
    }
}

impl AttributeValue for Vec<Addr> {
    fn encode(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.iter().map(Addr::as_str).collect::<Vec<_>>().join(","))
    }
    fn decode(_key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        Ok(value.map_or_else(Vec::new, |v| v.split(',').map(Addr::unchecked).collect()))
    }
}

/// A typed staking event.
pub trait StakingEvent: Sized {
    /// The event type the contract emits (the chain prefixes it with `wasm-`).
    const TYPE: &'static str;
    fn to_event(&self) -> Event;
}

fn check_type(event: &Event, expected: &'static str) -> Result<(), EventError> {
    let ty = event.ty.strip_prefix("wasm-").unwrap_or(&event.ty);
    if ty != expected {
        return Err(EventError::WrongType {
            expected,
            got: event.ty.clone(),
        });
    }
    Ok(())
}

fn attribute<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

macro_rules! staking_event {
    ($(#[$doc:meta])* $name:ident = $ty:literal { $($(#[$fdoc:meta])* $field:ident : $fty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $fty,)*
        }

        impl StakingEvent for $name {
            const TYPE: &'static str = $ty;

            fn to_event(&self) -> Event {
                let mut event = Event::new(Self::TYPE);
                $(
                    if let Some(value) = AttributeValue::encode(&self.$field) {
                        event = event.add_attribute(stringify!($field), value);
                    }
                )*
                event
            }
        }

        impl TryFrom<&Event> for $name {
            type Error = EventError;

            fn try_from(event: &Event) -> Result<Self, EventError> {
                check_type(event, $ty)?;
                Ok($name {
                    $($field: <$fty as AttributeValue>::decode(
                        stringify!($field),
                        attribute(event, stringify!($field)),
                    )?,)*
                })
            }
        }
    };
}

staking_event!(
    /// `RegisterOperator`.
    OperatorRegistered = "sibyl_staking_operator_registered" {
        operator: Addr,
        moniker: String,
        commission: Decimal,
        attestation_pubkey: Binary,
        self_bond: Uint128,
    }
);

staking_event!(
    /// `EditOperator`: the fields that changed.
    OperatorEdited = "sibyl_staking_operator_edited" {
        operator: Addr,
        moniker: Option<String>,
        commission: Option<Decimal>,
    }
);

staking_event!(
    /// `RotateAttestationKey`.
    AttestationKeyRotated = "sibyl_staking_attestation_key_rotated" {
        operator: Addr,
        attestation_pubkey: Binary,
    }
);

staking_event!(
    /// `LeaveOperator`: the self-bond that started unbonding.
    OperatorLeft = "sibyl_staking_operator_left" {
        operator: Addr,
        amount: Uint128,
        unbonding_entry: Option<u64>,
    }
);

staking_event!(
    /// `Delegate` (and the self-bond of `RegisterOperator`).
    Delegated = "sibyl_staking_delegated" {
        delegator: Addr,
        operator: Addr,
        amount: Uint128,
        shares: Uint128,
        /// When the delegation's warming shares start to earn rewards.
        warm_at: Timestamp,
    }
);

staking_event!(
    /// `Undelegate`.
    Undelegated = "sibyl_staking_undelegated" {
        delegator: Addr,
        operator: Addr,
        amount: Uint128,
        unbonding_entry: Option<u64>,
    }
);

staking_event!(
    /// `Claim`: `amount` to the delegator, `slashed` (partial slashes of the claimed entries)
    /// to the slashed-funds destination.
    Claimed = "sibyl_staking_claimed" {
        delegator: Addr,
        amount: Uint128,
        slashed: Uint128,
    }
);

staking_event!(
    /// `WithdrawRewards`.
    RewardsWithdrawn = "sibyl_staking_rewards_withdrawn" {
        delegator: Addr,
        operator: Addr,
        rewards: Uint128,
        commission: Uint128,
    }
);

staking_event!(
    /// `Distribute`.
    Distributed = "sibyl_staking_distributed" {
        operator: Addr,
        amount: Uint128,
        commission: Uint128,
    }
);

staking_event!(
    /// `Slash`: `slashed_bonded` and `slashed_unbonding` are sent to the destination now.
    Slashed = "sibyl_staking_slashed" {
        operator: Addr,
        fraction: Decimal,
        infraction_height: u64,
        slashed_bonded: Uint128,
        slashed_unbonding: Uint128,
        jailed_until: Option<Timestamp>,
    }
);

staking_event!(
    /// `Unjail`.
    Unjailed = "sibyl_staking_unjailed" {
        operator: Addr,
    }
);

staking_event!(
    /// `UpdateSlashers`.
    SlashersUpdated = "sibyl_staking_slashers_updated" {
        added: Vec<Addr>,
        removed: Vec<Addr>,
    }
);

staking_event!(
    /// `UpdateAdmin`; `None` when the admin was removed.
    AdminUpdated = "sibyl_staking_admin_updated" {
        admin: Option<Addr>,
    }
);

staking_event!(
    /// `UpdateConfig`.
    ConfigUpdated = "sibyl_staking_config_updated" {
        admin: Addr,
    }
);

staking_event!(
    /// `migrate`.
    Migrated = "sibyl_staking_migrated" {
        from_version: String,
        to_version: String,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<E>(event: E)
    where
        E: StakingEvent + PartialEq + std::fmt::Debug,
        for<'a> E: TryFrom<&'a Event, Error = EventError>,
    {
        let emitted = event.to_event();
        assert_eq!(emitted.ty, E::TYPE);
        assert!(emitted.attributes.iter().all(|a| !a.value.is_empty()));
        assert_eq!(E::try_from(&emitted).unwrap(), event);
        // As the chain shows it.
        let mut on_chain = emitted.clone();
        on_chain.ty = format!("wasm-{}", E::TYPE);
        assert_eq!(E::try_from(&on_chain).unwrap(), event);
    }

    #[test]
    fn every_event_round_trips() {
        let a = Addr::unchecked("cosmwasm1a");
        let b = Addr::unchecked("cosmwasm1b");
        round_trip(OperatorRegistered {
            operator: a.clone(),
            moniker: "gpu, farm=1".to_string(),
            commission: Decimal::percent(5),
            attestation_pubkey: Binary::new(vec![2; 33]),
            self_bond: Uint128::new(1_000),
        });
        for (moniker, commission) in [(None, None), (Some("x".to_string()), Some(Decimal::one()))] {
            round_trip(OperatorEdited {
                operator: a.clone(),
                moniker,
                commission,
            });
        }
        round_trip(AttestationKeyRotated {
            operator: a.clone(),
            attestation_pubkey: Binary::new(vec![3; 33]),
        });
        for unbonding_entry in [None, Some(7)] {
            round_trip(OperatorLeft {
                operator: a.clone(),
                amount: Uint128::new(5),
                unbonding_entry,
            });
            round_trip(Undelegated {
                delegator: b.clone(),
                operator: a.clone(),
                amount: Uint128::MAX,
                unbonding_entry,
            });
        }
        round_trip(Delegated {
            delegator: b.clone(),
            operator: a.clone(),
            amount: Uint128::new(10),
            shares: Uint128::new(10_000_000),
            warm_at: Timestamp::from_seconds(1_700_000_000),
        });
        round_trip(Claimed {
            delegator: b.clone(),
            amount: Uint128::new(9),
            slashed: Uint128::zero(),
        });
        round_trip(RewardsWithdrawn {
            delegator: b.clone(),
            operator: a.clone(),
            rewards: Uint128::new(3),
            commission: Uint128::new(1),
        });
        round_trip(Distributed {
            operator: a.clone(),
            amount: Uint128::new(903),
            commission: Uint128::new(90),
        });
        for jailed_until in [None, Some(Timestamp::from_nanos(u64::MAX))] {
            round_trip(Slashed {
                operator: a.clone(),
                fraction: Decimal::permille(1),
                infraction_height: 12,
                slashed_bonded: Uint128::new(2),
                slashed_unbonding: Uint128::new(1),
                jailed_until,
            });
        }
        round_trip(Unjailed {
            operator: a.clone(),
        });
        for (added, removed) in [
            (vec![], vec![]),
            (vec![a.clone(), b.clone()], vec![b.clone()]),
        ] {
            round_trip(SlashersUpdated { added, removed });
        }
        for admin in [None, Some(a.clone())] {
            round_trip(AdminUpdated { admin });
        }
        round_trip(ConfigUpdated { admin: a.clone() });
        round_trip(Migrated {
            from_version: "0.1.0".to_string(),
            to_version: "0.2.0".to_string(),
        });
    }

    #[test]
    fn wrong_types_and_bad_attributes_are_errors() {
        let event = Unjailed {
            operator: Addr::unchecked("x"),
        }
        .to_event();
        assert_eq!(
            Distributed::try_from(&event).unwrap_err(),
            EventError::WrongType {
                expected: Distributed::TYPE,
                got: Unjailed::TYPE.to_string(),
            }
        );
        let missing = Event::new(Distributed::TYPE).add_attribute("operator", "x");
        assert_eq!(
            Distributed::try_from(&missing).unwrap_err(),
            EventError::Missing { key: "amount" }
        );
        let bad = missing
            .add_attribute("amount", "12x")
            .add_attribute("commission", "0");
        assert_eq!(
            Distributed::try_from(&bad).unwrap_err(),
            EventError::Invalid {
                key: "amount",
                value: "12x".to_string(),
            }
        );
    }
}
