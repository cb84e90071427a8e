//! Errors of the inference engine.

use sibyl_model::ExecError;
use thiserror::Error;

/// Why no Vulkan executor could be opened. [`crate::Backend::Auto`] turns this into a fallback to
/// the CPU executor; [`crate::Backend::Vulkan`] returns it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum VulkanUnavailable {
    #[error(
        "the Vulkan loader (libvulkan) could not be loaded: {0}; install libvulkan1 and a driver \
         (mesa-vulkan-drivers provides the lavapipe CPU driver)"
    )]
    NoLoader(String),

    #[error(
        "the Vulkan instance could not be created: {0}; check that a Vulkan driver (ICD) is \
         installed and that VK_ICD_FILENAMES, if set, names an existing driver manifest"
    )]
    Instance(String),

    #[error(
        "no Vulkan device can run Sibyl's kernels (they need Vulkan 1.2, 8-bit storage buffers, \
         int8 and int64 shader arithmetic and a compute queue); devices seen: {0}"
    )]
    NoSuitableDevice(String),

    #[error("the Vulkan device {device} could not be opened: {reason}")]
    DeviceCreation { device: String, reason: String },

    #[error("the compute pipeline for shader {shader} could not be created on {device}: {reason}")]
    Pipeline {
        shader: &'static str,
        device: String,
        reason: String,
    },
}

/// Why a model could not be run.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EngineError {
    #[error("Vulkan is not available: {0}")]
    VulkanUnavailable(#[from] VulkanUnavailable),

    #[error(transparent)]
    Exec(#[from] ExecError),

    #[error(
        "layer {layer} ({op}) is too large for the Vulkan device: {detail}; run this model with \
         the CPU backend"
    )]
    DeviceLimit {
        layer: usize,
        op: &'static str,
        detail: String,
    },

    #[error(
        "layer {layer} ({op}) does not match its tensors: {detail}; this is a bug in sibyl-infer, \
         please report it with the model"
    )]
    ShapeMismatch {
        layer: usize,
        op: &'static str,
        detail: String,
    },

    #[error("Vulkan failed while {action}: {reason}")]
    Vulkan { action: String, reason: String },
}

impl EngineError {
    /// A Vulkan call failed: `action` says what the engine was doing, in words.
    pub(crate) fn vulkan(action: impl Into<String>, reason: impl ToString) -> EngineError {
        EngineError::Vulkan {
            action: action.into(),
            reason: reason.to_string(),
        }
    }
}
