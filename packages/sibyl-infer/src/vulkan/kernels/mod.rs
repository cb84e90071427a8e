//! One launch function per kernel: each checks the layer's shapes against its tensors' buffers,
//! then returns a [`Dispatch`] ready to record.

mod add;
mod arg_max;
mod conv2d;
mod gemm;
mod pool;

pub(crate) use add::add;
pub(crate) use arg_max::arg_max;
pub(crate) use conv2d::conv2d;
pub use gemm::GemmKernel;
pub(crate) use gemm::{fully_connected, GemmConstants, GemmShape};
pub(crate) use pool::{avg_pool, max_pool};

use sibyl_model::{DType, TensorSpec};
use vulkano::buffer::Subbuffer;

use crate::error::EngineError;

/// A tensor on the device: its spec and the buffer holding its little-endian elements.
#[derive(Clone)]
pub(crate) struct TensorBuffer {
    pub spec: TensorSpec,
    pub buffer: Subbuffer<[u8]>,
}

impl TensorBuffer {
    /// 1 for int8 elements, 0 for uint8 (the shaders' `*_signed` push constants).
    fn signed_flag(&self) -> u32 {
        u32::from(self.spec.dtype == DType::I8)
    }
}

/// The layer a launch belongs to, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LayerRef {
    pub index: usize,
    pub op: &'static str,
}

impl LayerRef {
    /// Fails with a shape mismatch unless `ok`.
    fn ensure(self, ok: bool, detail: impl FnOnce() -> String) -> Result<(), EngineError> {
        if ok {
            Ok(())
        } else {
            Err(EngineError::ShapeMismatch {
                layer: self.index,
                op: self.op,
                detail: detail(),
            })
        }
    }

    /// The tensor's element count, checked to match its buffer (so that every index the kernel
    /// computes from the shape stays inside the buffer) and to fit in u32.
    fn elements(self, tensor: &TensorBuffer, name: &str) -> Result<u32, EngineError> {
        let elements = tensor.spec.element_count().unwrap_or(u64::MAX);
        let bytes = tensor.spec.byte_len().unwrap_or(u64::MAX);
        self.ensure(bytes <= tensor.buffer.len(), || {
            format!(
                "the {name} {} needs {bytes} bytes but its buffer has {}",
                tensor.spec,
                tensor.buffer.len()
            )
        })?;
        u32::try_from(elements)
            .map_err(|_| self.device_limit(format!("the {name} has {elements} elements")))
    }

    /// Fails unless `tensor` is int8 or uint8.
    fn ensure_8bit(self, tensor: &TensorBuffer, name: &str) -> Result<(), EngineError> {
        self.ensure(tensor.spec.dtype.is_8bit(), || {
            format!("the {name} {} is not an 8-bit tensor", tensor.spec)
        })
    }

    fn device_limit(self, detail: String) -> EngineError {
        EngineError::DeviceLimit {
            layer: self.index,
            op: self.op,
            detail,
        }
    }
}
