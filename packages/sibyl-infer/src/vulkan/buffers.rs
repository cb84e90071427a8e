//! Buffer allocation. Every buffer has one owner: a prepared model owns its tensors' buffers and
//! its layers' constants; the run that reads or writes them holds the engine's lock.

use vulkano::buffer::{Buffer, BufferContents, BufferCreateInfo, BufferUsage, Subbuffer};
use vulkano::command_buffer::{AutoCommandBufferBuilder, CopyBufferInfo, PrimaryAutoCommandBuffer};
use vulkano::memory::allocator::{AllocationCreateInfo, MemoryTypeFilter};

use crate::error::EngineError;
use crate::vulkan::context::VulkanContext;

/// Buffer sizes are rounded up to whole 32-bit words (and at least one), so that any tensor,
/// including a one-byte one, can be bound as a storage buffer.
fn storage_size(bytes: u64) -> u64 {
    bytes.max(1).div_ceil(4) * 4
}

/// An uninitialised device-local buffer of at least `bytes` bytes for a kernel's tensor.
pub(crate) fn device_bytes(
    context: &VulkanContext,
    bytes: u64,
) -> Result<Subbuffer<[u8]>, EngineError> {
    check_binding_size(context, bytes)?;
    Buffer::new_slice::<u8>(
        context.memory_allocator().clone(),
        BufferCreateInfo {
            usage: BufferUsage::STORAGE_BUFFER
                | BufferUsage::TRANSFER_SRC
                | BufferUsage::TRANSFER_DST,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_DEVICE,
            ..Default::default()
        },
        storage_size(bytes),
    )
    .map_err(|error| EngineError::vulkan(format!("allocating a {bytes}-byte tensor buffer"), error))
}

/// A host-visible buffer of `bytes` bytes (rounded up to words) that the host writes
/// (`HostAccess::Write`, the input) or reads (`HostAccess::Read`, the output).
pub(crate) fn host_bytes(
    context: &VulkanContext,
    bytes: u64,
    access: HostAccess,
) -> Result<Subbuffer<[u8]>, EngineError> {
    let (usage, pattern) = match access {
        HostAccess::Write => (
            BufferUsage::TRANSFER_SRC,
            MemoryTypeFilter::HOST_SEQUENTIAL_WRITE,
        ),
        HostAccess::Read => (
            BufferUsage::TRANSFER_DST,
            MemoryTypeFilter::HOST_RANDOM_ACCESS,
        ),
    };
    Buffer::new_slice::<u8>(
        context.memory_allocator().clone(),
        BufferCreateInfo {
            usage,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_HOST | pattern,
            ..Default::default()
        },
        storage_size(bytes),
    )
    .map_err(|error| EngineError::vulkan(format!("allocating a {bytes}-byte host buffer"), error))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostAccess {
    Write,
    Read,
}

/// A device-local buffer holding `data` (at least one element), filled by a copy that is recorded
/// into `builder` from a host-visible staging buffer. The staging buffer lives as long as the
/// command buffer that reads it.
pub(crate) fn upload<T: BufferContents + Copy + Default>(
    context: &VulkanContext,
    builder: &mut AutoCommandBufferBuilder<PrimaryAutoCommandBuffer>,
    data: &[T],
    what: &str,
) -> Result<Subbuffer<[T]>, EngineError> {
    let failed =
        |error: &dyn std::fmt::Display| EngineError::vulkan(format!("uploading {what}"), error);
    // A constant of length 0 never reaches a kernel, but buffers cannot be empty.
    let padded: Vec<T> = if data.is_empty() {
        vec![T::default()]
    } else {
        data.to_vec()
    };
    let bytes = (padded.len() * size_of::<T>()) as u64;
    check_binding_size(context, bytes)?;
    let staging = Buffer::from_iter(
        context.memory_allocator().clone(),
        BufferCreateInfo {
            usage: BufferUsage::TRANSFER_SRC,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_HOST
                | MemoryTypeFilter::HOST_SEQUENTIAL_WRITE,
            ..Default::default()
        },
        padded.iter().copied(),
    )
    .map_err(|error| failed(&error))?;
    let device = Buffer::new_slice::<T>(
        context.memory_allocator().clone(),
        BufferCreateInfo {
            usage: BufferUsage::STORAGE_BUFFER | BufferUsage::TRANSFER_DST,
            ..Default::default()
        },
        AllocationCreateInfo {
            memory_type_filter: MemoryTypeFilter::PREFER_DEVICE,
            ..Default::default()
        },
        padded.len() as u64,
    )
    .map_err(|error| failed(&error))?;
    builder
        .copy_buffer(CopyBufferInfo::buffers(staging, device.clone()))
        .map_err(|error| failed(&error))?;
    Ok(device)
}

/// Refuses buffers one storage-buffer binding cannot cover. This also keeps every element index a
/// kernel computes below 2^32 (the range limit is a u32).
fn check_binding_size(context: &VulkanContext, bytes: u64) -> Result<(), EngineError> {
    let limit = context.max_storage_buffer_range();
    if storage_size(bytes) > limit {
        return Err(EngineError::vulkan(
            format!("allocating a {bytes}-byte buffer"),
            format!("the device binds at most {limit} bytes per storage buffer"),
        ));
    }
    Ok(())
}
