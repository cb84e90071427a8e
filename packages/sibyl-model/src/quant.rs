//! The pinned integer requantization: gemmlowp's double rounding (see docs/integer-ops.md).

/// Smallest valid requantization multiplier: multipliers are normalised into [2^30, 2^31).
pub const MULTIPLIER_MIN: i32 = 1 << 30;
/// Smallest valid shift (a right shift by 31).
pub const SHIFT_MIN: i32 = -31;
/// Largest valid shift (a left shift by 30); the validator also proves the shifted value fits.
pub const SHIFT_MAX: i32 = 30;

/// A real multiplier `multiplier / 2^31 * 2^shift`, stored as integers.
/// `shift > 0` shifts left before the multiply, `shift < 0` rounds right after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Requant {
    /// In [2^30, 2^31).
    pub multiplier: i32,
    /// In [-31, 30].
    pub shift: i32,
}

impl Requant {
    pub const fn new(multiplier: i32, shift: i32) -> Requant {
        Requant { multiplier, shift }
    }

    /// Whether the multiplier and shift are in their valid ranges.
    pub const fn is_valid(self) -> bool {
        self.multiplier >= MULTIPLIER_MIN && self.shift >= SHIFT_MIN && self.shift <= SHIFT_MAX
    }

    /// The left shift applied before the multiply (0 when `shift <= 0`).
    pub const fn left_shift(self) -> u32 {
        if self.shift > 0 {
            self.shift as u32
        } else {
            0
        }
    }

    /// The rounding right shift applied after the multiply (0 when `shift >= 0`).
    pub const fn right_shift(self) -> u32 {
        if self.shift < 0 {
            self.shift.unsigned_abs()
        } else {
            0
        }
    }
}

/// Requantization of an operator's output channels: one multiplier for all, or one per channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChannelRequant {
    PerTensor(Requant),
    PerChannel(Vec<Requant>),
}

impl ChannelRequant {
    /// The multiplier of output channel `channel`.
    ///
    /// # Panics
    /// If `channel` is out of range for a per-channel requantization (validated models never ask).
    pub fn for_channel(&self, channel: usize) -> Requant {
        match self {
            ChannelRequant::PerTensor(requant) => *requant,
            ChannelRequant::PerChannel(requants) => requants[channel],
        }
    }

    /// All stored multipliers (one for per-tensor).
    pub fn as_slice(&self) -> &[Requant] {
        match self {
            ChannelRequant::PerTensor(requant) => core::slice::from_ref(requant),
            ChannelRequant::PerChannel(requants) => requants,
        }
    }
}

/// An activation clamp `[min, max]` on the output values (fuses ReLU / ReLU6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Clamp {
    pub min: i32,
    pub max: i32,
}

impl Clamp {
    pub const fn new(min: i32, max: i32) -> Clamp {
        Clamp { min, max }
    }

    /// The whole int8 range: no activation.
    pub const INT8: Clamp = Clamp::new(-128, 127);

    pub const fn apply(self, value: i32) -> i32 {
        if value < self.min {
            self.min
        } else if value > self.max {
            self.max
        } else {
            value
        }
    }
}

/// The requantization stage shared by fully-connected and convolution layers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutputStage {
    pub requant: ChannelRequant,
    pub zero_point: i32,
    pub clamp: Clamp,
}

impl OutputStage {
    /// One multiplier for every channel.
    pub fn per_tensor(requant: Requant, zero_point: i32, clamp: Clamp) -> OutputStage {
        OutputStage {
            requant: ChannelRequant::PerTensor(requant),
            zero_point,
            clamp,
        }
    }
}

/// The multiplier 1.0 (`2^30 / 2^31 × 2^1`): `multiply_by_quantized_multiplier(x, IDENTITY) == x`
/// for |x| < 2^30.
pub const IDENTITY: Requant = Requant::new(MULTIPLIER_MIN, 1);

/// gemmlowp `SaturatingRoundingDoublingHighMul`: `round(a * b / 2^31)` with ties away from zero,
/// saturating the single overflowing case `a == b == i32::MIN` to `i32::MAX`.
pub const fn srdhm(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Division truncates toward zero, as in gemmlowp; the quotient always fits in i32.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away from zero.
/// `exponent` must be in 0..=31 (validated models never use more).
pub const fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + if x < 0 { 1 } else { 0 };
    (x >> exponent) + if remainder > threshold { 1 } else { 0 }
}

/// `RoundingDivideByPOT(SRDHM(x << left_shift, multiplier), right_shift)`.
/// The left shift keeps the low 32 bits; the validator proves no bits are lost in valid models.
pub const fn multiply_by_quantized_multiplier(x: i32, requant: Requant) -> i32 {
    let shifted = x.wrapping_shl(requant.left_shift());
    rounding_divide_by_pot(srdhm(shifted, requant.multiplier), requant.right_shift())
}

/// The whole requantization of an int32 accumulator to an output value:
/// `clamp(MultiplyByQuantizedMultiplier(acc) + zero_point, min, max)`.
/// The zero-point addition is exact (it saturates, which cannot change the clamped result).
pub const fn requantize(acc: i32, requant: Requant, output_zero_point: i32, clamp: Clamp) -> i32 {
    let scaled = multiply_by_quantized_multiplier(acc, requant);
    clamp.apply(scaled.saturating_add(output_zero_point))
}
