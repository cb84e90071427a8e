//! `Backend::Auto` runs on a Vulkan GPU when there is one and on the CPU reference executor
//! otherwise: never on a CPU implementation of Vulkan (lavapipe), which `Backend::Vulkan` still
//! reaches. Needs a Vulkan device (lavapipe in CI).

use sibyl_infer::{Backend, BackendKind, Engine};

#[test]
fn auto_prefers_the_cpu_executor_to_a_cpu_implementation_of_vulkan() {
    let vulkan = Engine::new(Backend::Vulkan).expect("these tests need a Vulkan device (lavapipe)");
    assert_eq!(vulkan.backend_kind(), BackendKind::Vulkan);
    let auto = Engine::new(Backend::Auto).expect("auto never fails");
    if vulkan.device_description().contains("(CPU, ") {
        assert_eq!(auto.backend_kind(), BackendKind::Cpu);
        let notice = auto
            .fallback_notice()
            .expect("auto says why it chose the CPU");
        assert!(notice.contains("CPU implementation of Vulkan"), "{notice}");
    } else {
        assert_eq!(auto.backend_kind(), BackendKind::Vulkan);
        assert_eq!(auto.device_description(), vulkan.device_description());
    }
}
