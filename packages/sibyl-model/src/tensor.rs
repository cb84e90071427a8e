//! Tensor specifications, tensors, and the canonical tensor encoding whose sha256 is the output hash.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::dtype::DType;
use crate::error::TensorError;

/// Magic bytes that open a canonical tensor encoding.
pub const CANONICAL_MAGIC: [u8; 4] = *b"SIBT";
/// Version of the canonical tensor encoding.
pub const CANONICAL_VERSION: u8 = 1;
/// Largest rank a tensor may have (in model files and canonical encodings).
pub const MAX_RANK: usize = 8;

/// The type and shape of a tensor. Layout is row-major (the last dimension varies fastest);
/// image tensors are NHWC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorSpec {
    pub dtype: DType,
    pub shape: Vec<u32>,
}

impl TensorSpec {
    pub fn new(dtype: DType, shape: Vec<u32>) -> TensorSpec {
        TensorSpec { dtype, shape }
    }

    /// Number of elements, or `None` if the product does not fit in u64.
    pub fn element_count(&self) -> Option<u64> {
        element_count(&self.shape)
    }

    /// Number of data bytes, or `None` if it does not fit in u64.
    pub fn byte_len(&self) -> Option<u64> {
        self.element_count()?
            .checked_mul(self.dtype.size_bytes() as u64)
    }
}

impl fmt::Display for TensorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:?}", self.dtype, self.shape)
    }
}

/// Product of the dimensions, or `None` on overflow. The empty shape (a scalar) has one element.
pub fn element_count(shape: &[u32]) -> Option<u64> {
    shape
        .iter()
        .try_fold(1u64, |count, &dim| count.checked_mul(u64::from(dim)))
}

/// A tensor: type, shape and little-endian element bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tensor {
    pub dtype: DType,
    pub shape: Vec<u32>,
    pub data: Vec<u8>,
}

impl Tensor {
    /// A tensor, checking that `data` holds exactly the elements the shape asks for.
    pub fn new(dtype: DType, shape: Vec<u32>, data: Vec<u8>) -> Result<Tensor, TensorError> {
        let spec = TensorSpec::new(dtype, shape);
        let expected = spec.byte_len().ok_or(TensorError::ShapeTooLarge)?;
        if expected != data.len() as u64 {
            return Err(TensorError::DataLength {
                spec: spec.to_string(),
                expected,
                found: data.len(),
            });
        }
        Ok(Tensor {
            dtype: spec.dtype,
            shape: spec.shape,
            data,
        })
    }

    /// An int8 tensor.
    pub fn from_i8(shape: Vec<u32>, values: &[i8]) -> Result<Tensor, TensorError> {
        Tensor::new(DType::I8, shape, values.iter().map(|&v| v as u8).collect())
    }

    /// An int32 tensor.
    pub fn from_i32(shape: Vec<u32>, values: &[i32]) -> Result<Tensor, TensorError> {
        let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Tensor::new(DType::I32, shape, data)
    }

    /// The type and shape.
    pub fn spec(&self) -> TensorSpec {
        TensorSpec::new(self.dtype, self.shape.clone())
    }

    /// The elements widened to i32 (sign-extended for int8, zero-extended for uint8).
    pub fn values_i32(&self) -> Vec<i32> {
        match self.dtype {
            DType::I8 => self.data.iter().map(|&b| i32::from(b as i8)).collect(),
            DType::U8 => self.data.iter().map(|&b| i32::from(b)).collect(),
            DType::I32 => self
                .data
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        }
    }

    /// The canonical encoding (see docs/model-format.md):
    /// `"SIBT" | version u8 = 1 | dtype u8 | rank u8 | rank × dim u32 LE | data (elements LE)`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(7 + 4 * self.shape.len() + self.data.len());
        out.extend_from_slice(&CANONICAL_MAGIC);
        out.push(CANONICAL_VERSION);
        out.push(self.dtype.code());
        // A rank above 255 cannot be encoded; such a tensor never comes out of a valid model,
        // whose ranks are at most MAX_RANK.
        out.push(u8::try_from(self.shape.len()).unwrap_or(u8::MAX));
        for dim in &self.shape {
            out.extend_from_slice(&dim.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }

    /// sha256 of the canonical encoding: the output hash operators commit to.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Parses a canonical encoding, rejecting anything that `canonical_bytes` would not produce.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Tensor, TensorError> {
        let header = bytes.get(..7).ok_or(TensorError::Truncated)?;
        if header[..4] != CANONICAL_MAGIC {
            return Err(TensorError::BadMagic);
        }
        if header[4] != CANONICAL_VERSION {
            return Err(TensorError::UnsupportedVersion(header[4]));
        }
        let dtype = DType::from_code(header[5]).ok_or(TensorError::UnknownDType(header[5]))?;
        let rank = usize::from(header[6]);
        if rank > MAX_RANK {
            return Err(TensorError::RankTooLarge(rank));
        }
        let dims_end = 7 + 4 * rank;
        let dims = bytes.get(7..dims_end).ok_or(TensorError::Truncated)?;
        let shape = dims
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Tensor::new(dtype, shape, bytes[dims_end..].to_vec())
    }
}
