//! A square int8 GEMM on the device, for benchmarks: the fully-connected kernel with random
//! operands, uploaded once and launched on its own.

use std::sync::Arc;

use sibyl_model::quant::{Clamp, OutputStage, Requant};
use sibyl_model::{DType, TensorSpec};
use vulkano::command_buffer::CopyBufferInfo;

use crate::error::EngineError;
use crate::vulkan::buffers::{device_bytes, host_bytes, upload, HostAccess};
use crate::vulkan::dispatch::Dispatch;
use crate::vulkan::executor::VulkanExecutor;
use crate::vulkan::kernels::{self, GemmConstants, GemmKernel, GemmShape, LayerRef, TensorBuffer};
use crate::vulkan::prepared::command_buffer;
use crate::vulkan::shaders::{compute_pipeline, NAIVE_GEMM};

/// `[size, size] x [size, size]^T` with int8 operands, int32 accumulation and requantization.
pub struct GemmBenchmark<'a> {
    executor: &'a VulkanExecutor,
    dispatch: Dispatch,
    output: TensorBuffer,
    size: u32,
}

impl<'a> GemmBenchmark<'a> {
    /// Uploads random operands (seeded, values over the whole int8 range) for `kernel`.
    pub fn new(
        executor: &'a VulkanExecutor,
        kernel: GemmKernel,
        size: u32,
        seed: u64,
    ) -> Result<GemmBenchmark<'a>, EngineError> {
        let context = executor.context();
        let pipeline = match kernel {
            GemmKernel::Tiled => Arc::clone(&executor.pipelines().fully_connected),
            GemmKernel::Naive => compute_pipeline(context, NAIVE_GEMM)?,
        };
        let elements = size as usize * size as usize;
        let mut random = SplitMix64(seed);
        let activations: Vec<i8> = (0..elements).map(|_| random.next_i8()).collect();
        let weights: Vec<i8> = (0..elements).map(|_| random.next_i8().max(-127)).collect();
        let bias = vec![0i32; size as usize];
        let stage = OutputStage::per_tensor(Requant::new(1 << 30, -12), 0, Clamp::INT8);

        let mut builder = command_buffer(context)?;
        let input_buffer = upload(context, &mut builder, &activations, "activations")?;
        let constants =
            GemmConstants::upload(context, &mut builder, &weights, &bias, &stage, size, 0)?;
        let commands = builder
            .build()
            .map_err(|error| EngineError::vulkan("building the GEMM upload", error))?;
        context.submit_and_wait(commands, "uploading the GEMM operands")?;

        let spec = |dtype| TensorSpec::new(dtype, vec![size, size]);
        let input = TensorBuffer {
            spec: spec(DType::I8),
            buffer: input_buffer.into_bytes(),
        };
        let output = TensorBuffer {
            spec: spec(DType::I8),
            buffer: device_bytes(context, elements as u64)?,
        };
        let shape = GemmShape {
            batch: size,
            in_features: size,
            out_features: size,
            input_zero_point: 0,
        };
        let layer = LayerRef {
            index: 0,
            op: "fully_connected",
        };
        let dispatch = kernels::fully_connected(
            context, &pipeline, kernel, layer, shape, &constants, &input, &output,
        )?;
        Ok(GemmBenchmark {
            executor,
            dispatch,
            output,
            size,
        })
    }

    /// Multiply-accumulates of one launch.
    pub fn macs(&self) -> u64 {
        u64::from(self.size).pow(3)
    }

    /// One launch: record, submit, wait.
    pub fn run(&self) -> Result<(), EngineError> {
        let context = self.executor.context();
        let mut builder = command_buffer(context)?;
        self.dispatch.record(&mut builder)?;
        let commands = builder
            .build()
            .map_err(|error| EngineError::vulkan("building the GEMM launch", error))?;
        context.submit_and_wait(commands, "running the GEMM")
    }

    /// The requantized int8 output of the last launch, row-major.
    pub fn output(&self) -> Result<Vec<u8>, EngineError> {
        let context = self.executor.context();
        let len = u64::from(self.size).pow(2);
        let readback = host_bytes(context, len, HostAccess::Read)?;
        let mut builder = command_buffer(context)?;
        builder
            .copy_buffer(CopyBufferInfo::buffers(
                self.output.buffer.clone().slice(..len),
                readback.clone().slice(..len),
            ))
            .map_err(|error| EngineError::vulkan("reading the GEMM output", error))?;
        let commands = builder
            .build()
            .map_err(|error| EngineError::vulkan("reading the GEMM output", error))?;
        context.submit_and_wait(commands, "reading the GEMM output")?;
        let bytes = readback
            .read()
            .map_err(|error| EngineError::vulkan("reading the GEMM output", error))?;
        Ok(bytes[..len as usize].to_vec())
    }
}

/// SplitMix64: a tiny, seedable generator for benchmark operands (no dependency needed).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_i8(&mut self) -> i8 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z >> 56) as u8 as i8
    }
}
