//! A dishonest executor for demos and tests of slashing: it runs the real model, then changes
//! the answer. Chosen by `execution.test_fault_skew`; a node using it gets slashed and jailed.

use std::sync::Arc;

use sibyl_model::Tensor;

use super::executor::{Execution, ExecutionError, Executor};

/// Returns a wrong but well-formed output: the output tensor's last element shifted by `skew`
/// (each faulty operator gets its own skew, so faulty operators never agree with each other).
pub struct FaultyExecutor {
    honest: Arc<dyn Executor>,
    skew: u8,
}

impl FaultyExecutor {
    pub fn new(honest: Arc<dyn Executor>, skew: u8) -> Self {
        FaultyExecutor {
            honest,
            skew: skew.max(1),
        }
    }
}

impl Executor for FaultyExecutor {
    fn execute(
        &self,
        model_hash: &[u8; 32],
        model_bytes: &[u8],
        input: &[u8],
    ) -> Result<Execution, ExecutionError> {
        let honest = self.honest.execute(model_hash, model_bytes, input)?;
        let mut tensor = Tensor::from_canonical_bytes(&honest.output)
            .map_err(|e| ExecutionError::Failed(e.to_string()))?;
        // The first byte of the last element: for every dtype a changed byte is a changed value.
        let element = tensor.dtype.size_bytes();
        if let Some(index) = tensor.data.len().checked_sub(element) {
            tensor.data[index] = tensor.data[index].wrapping_add(self.skew);
        }
        Ok(Execution {
            output: tensor.canonical_bytes(),
            output_hash: tensor.hash(),
            engine_time: honest.engine_time,
        })
    }

    fn device(&self) -> String {
        format!("{} (faulty)", self.honest.device())
    }

    fn backend(&self) -> &'static str {
        self.honest.backend()
    }
}
