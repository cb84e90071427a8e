//! Which executor an [`crate::Engine`] uses.

use core::fmt;

/// The executor an engine is asked to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A Vulkan GPU when a usable one exists, otherwise the CPU reference executor (the engine
    /// then carries a [`crate::Engine::fallback_notice`] saying why). A CPU implementation of
    /// Vulkan (lavapipe) is never chosen: the CPU reference executor outruns it.
    #[default]
    Auto,
    /// Vulkan only, on the best usable device, CPU implementations included: fails when none
    /// exists.
    Vulkan,
    /// The CPU reference executor.
    Cpu,
}

/// The executor an engine actually runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendKind {
    Vulkan,
    Cpu,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Vulkan => "vulkan",
            BackendKind::Cpu => "cpu",
        })
    }
}
