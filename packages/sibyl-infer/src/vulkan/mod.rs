//! The Vulkan executor: integer compute shaders (`shaders/*.comp`, compiled by build.rs) launched
//! through vulkano. See docs/vulkan.md for the kernels, device selection and why the results are
//! bit-exact.

mod buffers;
mod context;
mod dispatch;
mod executor;
mod gemm_benchmark;
mod kernels;
mod prepared;
#[cfg(test)]
mod requantize_probe;
mod shaders;

pub use context::{Devices, VulkanContext};
pub use executor::VulkanExecutor;
pub use gemm_benchmark::GemmBenchmark;
pub use kernels::GemmKernel;
