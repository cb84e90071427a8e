//! The compact byte encoding of stored records, and the storage layer both contracts keep them in.
//!
//! JSON state costs twice: every record type adds its own serde_json decoder to the wasm (the
//! contract must stay under the 400 KiB upload budget), and field names and decimal digits are
//! written (30 gas per byte) on every save. Records are therefore written field by field in a fixed
//! order ([`Writer`], [`Reader`]): integers as LEB128 varints, byte strings and text as a varint
//! length then the bytes, options and enums as a one-byte tag. Each [`Record`] starts with its own
//! format version byte, so a later layout can be told apart from this one. [`RecordItem`] and
//! [`RecordMap`] store records under exactly the keys a cw-storage-plus `Item` or `Map` with the
//! same name uses, so moving a value from JSON to this encoding leaves the key layout unchanged.

mod encoding;
pub mod record;
mod storage;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use encoding::{Reader, Writer};
pub use record::Record;
pub use storage::{RecordItem, RecordMap, RecordPrefix};
