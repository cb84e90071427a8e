//! Compiles every GLSL compute shader in src/vulkan/shaders/ to SPIR-V with `glslc` into OUT_DIR,
//! where `src/vulkan/shaders.rs` includes them. (vulkano-shaders is not used: it links shaderc,
//! whose Debian static library is incomplete.)
//!
//! `GLSLC` names the compiler when it is not `glslc` on the PATH.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const SHADER_DIR: &str = "src/vulkan/shaders";

fn main() {
    println!("cargo:rerun-if-changed={SHADER_DIR}");
    println!("cargo:rerun-if-env-changed=GLSLC");
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    let glslc = env::var_os("GLSLC").unwrap_or_else(|| "glslc".into());
    let entries = fs::read_dir(SHADER_DIR)
        .unwrap_or_else(|error| fail(&format!("cannot read {SHADER_DIR}: {error}")));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|error| fail(&format!("cannot read {SHADER_DIR}: {error}")))
            .path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path
            .extension()
            .is_some_and(|extension| extension == "comp")
        {
            compile(&glslc, &path, &out_dir);
        }
    }
}

fn compile(glslc: &std::ffi::OsStr, source: &Path, out_dir: &Path) {
    let stem = source
        .file_stem()
        .unwrap_or_else(|| fail(&format!("{} has no file name", source.display())));
    let output = out_dir.join(stem).with_extension("spv");
    // vulkan1.2, not 1.3: glslc would emit LocalSizeId for 1.3, which needs maintenance4.
    let result = Command::new(glslc)
        .args(["--target-env=vulkan1.2", "-O", "-Werror", "-I", SHADER_DIR])
        .arg(source)
        .arg("-o")
        .arg(&output)
        .output();
    match result {
        Ok(result) if result.status.success() => {}
        Ok(result) => fail(&format!(
            "glslc could not compile {}:\n{}",
            source.display(),
            String::from_utf8_lossy(&result.stderr)
        )),
        Err(error) => fail(&format!(
            "could not run the GLSL compiler {glslc:?} ({error}). sibyl-infer compiles its Vulkan \
             shaders with glslc: install it (Debian/Ubuntu: `apt-get install glslc`; or the Vulkan \
             SDK) or set GLSLC to its path"
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    exit(1)
}
