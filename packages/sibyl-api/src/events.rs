//! Typed contract events: one struct per event, with `to_event()` (what a contract emits) and
//! `TryFrom<&Event>` (what the oracle, an indexer or a test reads back), declared with
//! [`typed_event!`](crate::typed_event).
//!
//! A contract emits each as a custom event of type [`TypedEvent::TYPE`]; the chain shows it as
//! `wasm-<TYPE>`, and `TryFrom` accepts both spellings. Attributes are named after the fields; an
//! absent optional value (or an empty list) is an absent attribute, because wasmd refuses empty
//! attribute values. Lists are comma-separated, times are nanoseconds since the epoch, binaries
//! base64, hashes lowercase hex.

use cosmwasm_std::{Addr, Binary, Decimal, Event, HexBinary, Timestamp, Uint128};

/// Why an [`Event`] could not be read as a typed event.
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

pub fn required<'a>(key: &'static str, value: Option<&'a str>) -> Result<&'a str, EventError> {
    value.ok_or(EventError::Missing { key })
}

pub fn invalid(key: &'static str, value: &str) -> EventError {
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

parsed_value!(String, u32, u64, Uint128, Decimal);

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

impl AttributeValue for HexBinary {
    fn encode(&self) -> Option<String> {
        Some(self.to_hex())
    }
    fn decode(key: &'static str, value: Option<&str>) -> Result<Self, EventError> {
        let value = required(key, value)?;
        HexBinary::from_hex(value).map_err(|_| invalid(key, value))
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

/// A typed contract event.
pub trait TypedEvent: Sized {
    /// The event type the contract emits (the chain prefixes it with `wasm-`).
    const TYPE: &'static str;
    fn to_event(&self) -> Event;
}

pub fn check_type(event: &Event, expected: &'static str) -> Result<(), EventError> {
    let ty = event.ty.strip_prefix("wasm-").unwrap_or(&event.ty);
    if ty != expected {
        return Err(EventError::WrongType {
            expected,
            got: event.ty.clone(),
        });
    }
    Ok(())
}

pub fn attribute<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// Declares a typed event: `typed_event!(/// doc\n Name = "event_type" { field: Type, ... });`.
#[macro_export]
macro_rules! typed_event {
    ($(#[$doc:meta])* $name:ident = $ty:literal { $($(#[$fdoc:meta])* $field:ident : $fty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $fty,)*
        }

        impl $crate::events::TypedEvent for $name {
            const TYPE: &'static str = $ty;

            fn to_event(&self) -> cosmwasm_std::Event {
                let mut event = cosmwasm_std::Event::new(Self::TYPE);
                $(
                    if let Some(value) = $crate::events::AttributeValue::encode(&self.$field) {
                        event = event.add_attribute(stringify!($field), value);
                    }
                )*
                event
            }
        }

        impl TryFrom<&cosmwasm_std::Event> for $name {
            type Error = $crate::events::EventError;

            fn try_from(event: &cosmwasm_std::Event) -> Result<Self, $crate::events::EventError> {
                $crate::events::check_type(event, $ty)?;
                Ok($name {
                    $($field: <$fty as $crate::events::AttributeValue>::decode(
                        stringify!($field),
                        $crate::events::attribute(event, stringify!($field)),
                    )?,)*
                })
            }
        }
    };
}

/// Checks shared by the tests of every contract's events.
#[cfg(test)]
pub(crate) mod testing {
    use super::{EventError, TypedEvent};
    use cosmwasm_std::Event;

    /// `event` survives `to_event` and `TryFrom`, under its own type and as the chain shows it.
    pub fn round_trip<E>(event: E)
    where
        E: TypedEvent + PartialEq + std::fmt::Debug,
        for<'a> E: TryFrom<&'a Event, Error = EventError>,
    {
        let emitted = event.to_event();
        assert_eq!(emitted.ty, E::TYPE);
        assert!(emitted.attributes.iter().all(|a| !a.value.is_empty()));
        assert_eq!(E::try_from(&emitted).unwrap(), event);
        let mut on_chain = emitted.clone();
        on_chain.ty = format!("wasm-{}", E::TYPE);
        assert_eq!(E::try_from(&on_chain).unwrap(), event);
    }
}
