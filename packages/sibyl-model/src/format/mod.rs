//! The binary model file, version 1 (byte layout in docs/model-format.md).
//!
//! ```text
//! magic "SIBYLMDL" | version u16 | input spec | output spec | layer count u32 | layers...
//! spec  = dtype u8 | rank u8 | rank × dim u32
//! layer = op code u8 | payload length u32 | payload
//! ```
//! All integers are little-endian. Every model has exactly one encoding: reserved values, unknown
//! codes and trailing bytes are rejected, so `encode(parse(bytes)) == bytes`.

mod reader;
mod writer;

pub(crate) use reader::parse_file;
pub use writer::encode_model;

/// Magic bytes that open a model file.
pub const MODEL_MAGIC: [u8; 8] = *b"SIBYLMDL";
/// The model format version this build reads and writes.
pub const MODEL_VERSION: u16 = 1;

/// Codes of the requantization kind that follows each output stage.
pub(crate) mod requant_kind {
    pub const PER_TENSOR: u8 = 0;
    pub const PER_CHANNEL: u8 = 1;
}
