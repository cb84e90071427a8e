//! The release wasm built by `scripts/build-wasm.sh`.

use std::path::PathBuf;

/// Set to `1` to skip every test that needs the built wasm (e.g. a quick `cargo test` on a machine
/// without the wasm toolchain). CI never sets it: it runs `scripts/build-wasm.sh` first.
pub const SKIP_WASM_TESTS_ENV: &str = "SIBYL_SKIP_WASM_TESTS";
/// Overrides where the artifacts are read from (default: `artifacts/` at the repository root).
pub const ARTIFACTS_DIR_ENV: &str = "SIBYL_ARTIFACTS_DIR";

/// Hard size budget per contract: CI fails above it.
pub const MAX_WASM_BYTES: u64 = 400 * 1024;
/// Size each contract should stay under (reported in docs/gas-and-size.md).
pub const TARGET_WASM_BYTES: u64 = 250 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contract {
    Staking,
    JobEscrow,
    ExampleConsumer,
}

impl Contract {
    pub const ALL: [Contract; 3] = [
        Contract::Staking,
        Contract::JobEscrow,
        Contract::ExampleConsumer,
    ];

    pub fn crate_name(self) -> &'static str {
        match self {
            Contract::Staking => "sibyl-staking",
            Contract::JobEscrow => "sibyl-job-escrow",
            Contract::ExampleConsumer => "sibyl-example-consumer",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Contract::Staking => "sibyl_staking.wasm",
            Contract::JobEscrow => "sibyl_job_escrow.wasm",
            Contract::ExampleConsumer => "sibyl_example_consumer.wasm",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error(
        "{path} is missing: run scripts/build-wasm.sh first \
         (or set SIBYL_SKIP_WASM_TESTS=1 to skip the wasm tests)"
    )]
    Missing { path: String },
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
}

pub fn artifacts_dir() -> PathBuf {
    match std::env::var_os(ARTIFACTS_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts"),
    }
}

pub fn path_of(contract: Contract) -> PathBuf {
    artifacts_dir().join(contract.file_name())
}

pub fn load(contract: Contract) -> Result<Vec<u8>, ArtifactError> {
    let path = path_of(contract);
    let shown = path.display().to_string();
    std::fs::read(&path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ArtifactError::Missing { path: shown },
        _ => ArtifactError::Unreadable {
            path: shown,
            source,
        },
    })
}

/// Whether the user asked to skip the wasm tests.
pub fn wasm_tests_skipped() -> bool {
    std::env::var(SKIP_WASM_TESTS_ENV).is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_crate_names_with_underscores() {
        for contract in Contract::ALL {
            let expected = format!("{}.wasm", contract.crate_name().replace('-', "_"));
            assert_eq!(contract.file_name(), expected);
        }
    }

    #[test]
    fn a_missing_artifact_says_how_to_build_it() {
        let missing = ArtifactError::Missing {
            path: "artifacts/x.wasm".to_string(),
        };
        assert!(missing.to_string().contains("scripts/build-wasm.sh"));
    }
}
