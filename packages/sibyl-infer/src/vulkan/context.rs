//! The one Vulkan device context of an engine: instance, device, its compute queue and the
//! allocators, with the device chosen by [`choose_device`].

use std::path::Path;
use std::sync::Arc;

use vulkano::command_buffer::allocator::StandardCommandBufferAllocator;
use vulkano::command_buffer::PrimaryAutoCommandBuffer;
use vulkano::descriptor_set::allocator::StandardDescriptorSetAllocator;
use vulkano::device::physical::{PhysicalDevice, PhysicalDeviceType};
use vulkano::device::{
    Device, DeviceCreateInfo, DeviceFeatures, Queue, QueueCreateInfo, QueueFlags,
};
use vulkano::instance::{Instance, InstanceCreateInfo};
use vulkano::library::DynamicLibraryLoader;
use vulkano::memory::allocator::StandardMemoryAllocator;
use vulkano::sync::{self, GpuFuture};
use vulkano::{Version, VulkanLibrary};

use crate::error::{EngineError, VulkanUnavailable};

/// The device features every Sibyl kernel may use: int8 element types, 8-bit storage buffers and
/// int64 arithmetic (for the requantization's 64-bit product).
pub(crate) const REQUIRED_FEATURES: DeviceFeatures = DeviceFeatures {
    shader_int8: true,
    storage_buffer8_bit_access: true,
    shader_int64: true,
    ..DeviceFeatures::empty()
};

/// Vulkan 1.2 made 8-bit storage and int8 arithmetic core features.
const MIN_API_VERSION: Version = Version::V1_2;

/// The device, its compute queue and the allocators every kernel launch uses.
pub struct VulkanContext {
    device: Arc<Device>,
    queue: Arc<Queue>,
    memory_allocator: Arc<StandardMemoryAllocator>,
    command_buffer_allocator: Arc<StandardCommandBufferAllocator>,
    descriptor_set_allocator: Arc<StandardDescriptorSetAllocator>,
    description: String,
}

/// Which Vulkan devices may run the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Devices {
    /// Any conformant device, CPU implementations such as lavapipe included (the tests use it).
    Any,
    /// GPUs only: a CPU implementation of Vulkan is slower than the CPU reference executor.
    Gpus,
}

impl VulkanContext {
    /// Opens the preferred device among `devices` through the system's Vulkan loader.
    pub fn open(devices: Devices) -> Result<VulkanContext, VulkanUnavailable> {
        let library =
            VulkanLibrary::new().map_err(|error| VulkanUnavailable::NoLoader(error.to_string()))?;
        VulkanContext::with_library(library, devices)
    }

    /// Opens the preferred device among `devices` through the Vulkan loader at `loader_path`.
    pub fn open_with_loader(
        loader_path: &Path,
        devices: Devices,
    ) -> Result<VulkanContext, VulkanUnavailable> {
        let no_loader = |error: &dyn std::fmt::Display| {
            VulkanUnavailable::NoLoader(format!("{}: {error}", loader_path.display()))
        };
        // SAFETY: loading a shared library runs its initialisers; the operator chose this path as
        // their Vulkan loader, the same trust the default loader gets.
        let loader =
            unsafe { DynamicLibraryLoader::new(loader_path) }.map_err(|error| no_loader(&error))?;
        let library = VulkanLibrary::with_loader(loader).map_err(|error| no_loader(&error))?;
        VulkanContext::with_library(library, devices)
    }

    fn with_library(
        library: Arc<VulkanLibrary>,
        devices: Devices,
    ) -> Result<VulkanContext, VulkanUnavailable> {
        let instance = Instance::new(library, InstanceCreateInfo::default())
            .map_err(|error| VulkanUnavailable::Instance(error.to_string()))?;
        let physical_devices: Vec<Arc<PhysicalDevice>> = instance
            .enumerate_physical_devices()
            .map_err(|error| VulkanUnavailable::Instance(error.to_string()))?
            .collect();
        let candidates: Vec<Candidate> = physical_devices
            .iter()
            .map(|physical| Candidate::new(physical, devices))
            .collect();
        let chosen = choose_device(&candidates)
            .ok_or_else(|| VulkanUnavailable::NoSuitableDevice(list_devices(&candidates)))?;
        let physical = Arc::clone(&physical_devices[chosen]);
        let queue_family_index = candidates[chosen]
            .compute_queue_family
            .ok_or_else(|| VulkanUnavailable::NoSuitableDevice(list_devices(&candidates)))?;
        let description = candidates[chosen].description.clone();
        let (device, mut queues) = Device::new(
            physical,
            DeviceCreateInfo {
                queue_create_infos: vec![QueueCreateInfo {
                    queue_family_index,
                    ..Default::default()
                }],
                enabled_features: REQUIRED_FEATURES,
                ..Default::default()
            },
        )
        .map_err(|error| VulkanUnavailable::DeviceCreation {
            device: description.clone(),
            reason: error.to_string(),
        })?;
        let queue = queues
            .next()
            .ok_or_else(|| VulkanUnavailable::DeviceCreation {
                device: description.clone(),
                reason: "the device returned no queue".to_owned(),
            })?;
        Ok(VulkanContext {
            memory_allocator: Arc::new(StandardMemoryAllocator::new_default(Arc::clone(&device))),
            command_buffer_allocator: Arc::new(StandardCommandBufferAllocator::new(
                Arc::clone(&device),
                Default::default(),
            )),
            descriptor_set_allocator: Arc::new(StandardDescriptorSetAllocator::new(
                Arc::clone(&device),
                Default::default(),
            )),
            device,
            queue,
            description,
        })
    }

    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    pub fn queue(&self) -> &Arc<Queue> {
        &self.queue
    }

    pub fn memory_allocator(&self) -> &Arc<StandardMemoryAllocator> {
        &self.memory_allocator
    }

    pub fn command_buffer_allocator(&self) -> &Arc<StandardCommandBufferAllocator> {
        &self.command_buffer_allocator
    }

    pub fn descriptor_set_allocator(&self) -> &Arc<StandardDescriptorSetAllocator> {
        &self.descriptor_set_allocator
    }

    /// The device in words: name, type, driver and Vulkan version, for example
    /// `"llvmpipe (LLVM 15.0.6, 256 bits) (CPU, llvmpipe, Vulkan 1.3.230)"`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Submits `commands` to the queue and blocks until the device has finished them (a fence
    /// wait: no future joins, see docs/vulkan.md).
    pub(crate) fn submit_and_wait(
        &self,
        commands: Arc<PrimaryAutoCommandBuffer>,
        action: &str,
    ) -> Result<(), EngineError> {
        let failed = |error: &dyn std::fmt::Display| EngineError::vulkan(action, error);
        sync::now(Arc::clone(&self.device))
            .then_execute(Arc::clone(&self.queue), commands)
            .map_err(|error| failed(&error))?
            .then_signal_fence_and_flush()
            .map_err(|error| failed(&error))?
            .wait(None)
            .map_err(|error| failed(&error))
    }

    /// The most workgroups one dispatch may have along each axis.
    pub fn max_workgroup_count(&self) -> [u32; 3] {
        self.device
            .physical_device()
            .properties()
            .max_compute_work_group_count
    }

    /// The largest storage buffer one descriptor may bind, in bytes.
    pub fn max_storage_buffer_range(&self) -> u64 {
        u64::from(
            self.device
                .physical_device()
                .properties()
                .max_storage_buffer_range,
        )
    }
}

/// What device selection needs to know about one physical device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub device_type: PhysicalDeviceType,
    pub description: String,
    /// Why the device cannot run the kernels, if it cannot.
    pub unusable: Option<String>,
    pub compute_queue_family: Option<u32>,
}

impl Candidate {
    fn new(physical: &Arc<PhysicalDevice>, devices: Devices) -> Candidate {
        let properties = physical.properties();
        let api_version = physical.api_version();
        let compute_queue_family = physical
            .queue_family_properties()
            .iter()
            .position(|family| family.queue_flags.intersects(QueueFlags::COMPUTE))
            .and_then(|index| u32::try_from(index).ok());
        let unusable =
            if devices == Devices::Gpus && properties.device_type == PhysicalDeviceType::Cpu {
                Some(
                    "is a CPU implementation of Vulkan, slower than the CPU reference executor \
                 (ask for the vulkan backend to use it)"
                        .to_owned(),
                )
            } else if api_version < MIN_API_VERSION {
                Some(format!("Vulkan {api_version} is below {MIN_API_VERSION}"))
            } else if !physical.supported_features().contains(&REQUIRED_FEATURES) {
                Some("lacks shaderInt8, storageBuffer8BitAccess or shaderInt64".to_owned())
            } else if compute_queue_family.is_none() {
                Some("has no compute queue".to_owned())
            } else {
                None
            };
        let driver = properties
            .driver_name
            .clone()
            .unwrap_or_else(|| "unknown driver".to_owned());
        Candidate {
            device_type: properties.device_type,
            description: format!(
                "{} ({}, {driver}, Vulkan {api_version})",
                properties.device_name,
                device_type_name(properties.device_type),
            ),
            unusable,
            compute_queue_family,
        }
    }
}

/// Preference among device types: discrete, then integrated, then virtual, then anything else,
/// with CPU implementations (lavapipe) last.
fn preference(device_type: PhysicalDeviceType) -> u8 {
    match device_type {
        PhysicalDeviceType::DiscreteGpu => 0,
        PhysicalDeviceType::IntegratedGpu => 1,
        PhysicalDeviceType::VirtualGpu => 2,
        PhysicalDeviceType::Cpu => 4,
        _ => 3,
    }
}

/// The index of the preferred usable device (the first one of the best type), if any.
pub(crate) fn choose_device(candidates: &[Candidate]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, candidate)| candidate.unusable.is_none())
        .min_by_key(|(index, candidate)| (preference(candidate.device_type), *index))
        .map(|(index, _)| index)
}

fn device_type_name(device_type: PhysicalDeviceType) -> &'static str {
    match device_type {
        PhysicalDeviceType::DiscreteGpu => "discrete GPU",
        PhysicalDeviceType::IntegratedGpu => "integrated GPU",
        PhysicalDeviceType::VirtualGpu => "virtual GPU",
        PhysicalDeviceType::Cpu => "CPU",
        _ => "other device",
    }
}

/// Every device and why it was rejected, for the error message.
fn list_devices(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        return "none".to_owned();
    }
    candidates
        .iter()
        .map(|candidate| match &candidate.unusable {
            Some(why) => format!("{} {why}", candidate.description),
            None => candidate.description.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(device_type: PhysicalDeviceType, usable: bool) -> Candidate {
        Candidate {
            device_type,
            description: format!("{device_type:?}"),
            unusable: (!usable).then(|| "lacks shaderInt8".to_owned()),
            compute_queue_family: Some(0),
        }
    }

    #[test]
    fn prefers_discrete_then_integrated_then_others_then_cpu() {
        use PhysicalDeviceType::*;
        let devices = [
            candidate(Cpu, true),
            candidate(Other, true),
            candidate(IntegratedGpu, true),
            candidate(DiscreteGpu, true),
        ];
        assert_eq!(choose_device(&devices), Some(3));
        assert_eq!(choose_device(&devices[..3]), Some(2));
        assert_eq!(choose_device(&devices[..2]), Some(1));
        assert_eq!(choose_device(&devices[..1]), Some(0));
    }

    #[test]
    fn skips_unusable_devices_and_keeps_enumeration_order_on_ties() {
        use PhysicalDeviceType::*;
        let devices = [
            candidate(DiscreteGpu, false),
            candidate(IntegratedGpu, true),
            candidate(IntegratedGpu, true),
        ];
        assert_eq!(choose_device(&devices), Some(1));
        assert_eq!(choose_device(&devices[..1]), None);
        assert_eq!(choose_device(&[]), None);
    }

    #[test]
    fn lists_rejected_devices_with_the_reason() {
        let devices = [candidate(PhysicalDeviceType::DiscreteGpu, false)];
        assert_eq!(list_devices(&devices), "DiscreteGpu lacks shaderInt8");
        assert_eq!(list_devices(&[]), "none");
    }
}
