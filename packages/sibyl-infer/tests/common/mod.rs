//! Shared by the integration tests: one Vulkan engine per test binary, and the comparison of
//! both executors.

use std::sync::OnceLock;

use sibyl_infer::{Backend, BackendKind, Engine};
use sibyl_model::{reference, Model};

/// The Vulkan engine (lavapipe on machines without a GPU). These tests need a Vulkan device.
pub fn vulkan() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let engine = Engine::new(Backend::Vulkan)
            .expect("these tests need a Vulkan device: install mesa-vulkan-drivers (lavapipe)");
        assert_eq!(engine.backend_kind(), BackendKind::Vulkan);
        engine
    })
}

/// Runs `model` on both executors and returns the Vulkan output bytes after checking that they
/// equal the CPU reference's, and that the hashes agree.
pub fn assert_same_output(model: &Model, input: &[u8]) -> Vec<u8> {
    let expected = reference::run(model, input).expect("the reference runs");
    let output = vulkan().run(model, input).expect("Vulkan runs");
    assert_eq!(
        output.tensor, expected,
        "Vulkan differs from the CPU reference"
    );
    assert_eq!(output.output_hash, expected.hash());
    output.tensor.data
}
