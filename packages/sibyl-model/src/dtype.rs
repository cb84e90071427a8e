//! Element types of tensors.

use core::fmt;

/// The element type of a tensor. The discriminant is the code stored in model files and in the
/// canonical tensor encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DType {
    /// Signed 8-bit: activations and weights.
    I8 = 1,
    /// Unsigned 8-bit: raw model inputs (for example pixels).
    U8 = 2,
    /// Signed 32-bit little-endian: biases, accumulators and indices (argmax).
    I32 = 3,
}

impl DType {
    /// The byte code of this type in model files and canonical tensors.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The type with byte code `code`, if there is one.
    pub const fn from_code(code: u8) -> Option<DType> {
        match code {
            1 => Some(DType::I8),
            2 => Some(DType::U8),
            3 => Some(DType::I32),
            _ => None,
        }
    }

    /// Bytes per element.
    pub const fn size_bytes(self) -> usize {
        match self {
            DType::I8 | DType::U8 => 1,
            DType::I32 => 4,
        }
    }

    /// Smallest and largest representable value.
    pub const fn value_range(self) -> (i32, i32) {
        match self {
            DType::I8 => (i8::MIN as i32, i8::MAX as i32),
            DType::U8 => (u8::MIN as i32, u8::MAX as i32),
            DType::I32 => (i32::MIN, i32::MAX),
        }
    }

    /// Whether `value` is representable in this type.
    pub const fn contains(self, value: i32) -> bool {
        let (min, max) = self.value_range();
        value >= min && value <= max
    }

    /// Whether this is one of the 8-bit quantized activation types (I8 or U8).
    pub const fn is_8bit(self) -> bool {
        matches!(self, DType::I8 | DType::U8)
    }

    /// Lower-case name, as used in documents and error messages.
    pub const fn name(self) -> &'static str {
        match self {
            DType::I8 => "int8",
            DType::U8 => "uint8",
            DType::I32 => "int32",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
