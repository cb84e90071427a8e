//! Without a Vulkan loader or driver, `Backend::Vulkan` fails with a typed error and
//! `Backend::Auto` runs on the CPU with a notice.

use std::path::Path;
use std::process::Command;

use sibyl_infer::{Backend, BackendKind, Engine, EngineError, VulkanUnavailable};

#[test]
fn a_missing_loader_is_a_typed_error() {
    let missing = Path::new("/nonexistent/libvulkan.so.1");
    let error = Engine::with_vulkan_loader(Backend::Vulkan, missing)
        .err()
        .expect("no loader at that path");
    assert!(
        matches!(
            &error,
            EngineError::VulkanUnavailable(VulkanUnavailable::NoLoader(reason))
                if reason.contains("/nonexistent/libvulkan.so.1")
        ),
        "{error}"
    );
    assert!(error.to_string().contains("install libvulkan1"), "{error}");
}

#[test]
fn a_missing_loader_makes_auto_fall_back_to_the_cpu() {
    let missing = Path::new("/nonexistent/libvulkan.so.1");
    let engine = Engine::with_vulkan_loader(Backend::Auto, missing).unwrap();
    assert_eq!(engine.backend_kind(), BackendKind::Cpu);
    assert_eq!(engine.device_description(), "CPU reference");
    let notice = engine.fallback_notice().expect("a fallback notice");
    assert!(notice.contains("could not be loaded"), "{notice}");
}

/// Set in the child process that runs with no Vulkan driver.
const CHILD: &str = "SIBYL_INFER_TEST_NO_DRIVER_CHILD";
const TEST_NAME: &str = "no_driver_auto_falls_back_and_vulkan_fails";

#[test]
fn no_driver_auto_falls_back_and_vulkan_fails() {
    if std::env::var_os(CHILD).is_some() {
        let error = Engine::new(Backend::Vulkan).err().expect("no driver");
        assert!(
            matches!(error, EngineError::VulkanUnavailable(_)),
            "{error}"
        );
        let engine = Engine::new(Backend::Auto).unwrap();
        assert_eq!(engine.backend_kind(), BackendKind::Cpu);
        assert!(engine.fallback_notice().is_some());
        return;
    }
    // The loader reads the driver list once per process, so the check runs in a child whose
    // driver manifests point nowhere.
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
