//! `sibyl-oracle demo`: runs `sibyl-devnet demo`, the in-process chain and the demo.
//!
//! The demo links the contracts and cw-multi-test; it ships as its own binary so that the operator's
//! node links neither. This command finds that binary (`$SIBYL_DEVNET`, else beside this
//! executable, else on `PATH`) and hands it every argument; with `--chain localnet` the demo's
//! operators run this executable (`$SIBYL_ORACLE`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use clap::Args;

/// The binary that runs the demo.
pub const DEVNET_BINARY: &str = "sibyl-devnet";

/// Arguments of `sibyl-devnet demo` (see `sibyl-oracle demo --help`).
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct DemoArgs {
    /// Passed to `sibyl-devnet demo` unchanged.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

impl DemoArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let binary = find_devnet()?;
        let mut command = Command::new(&binary);
        command.arg("demo").args(&self.args);
        if std::env::var_os("SIBYL_ORACLE").is_none() {
            if let Ok(me) = std::env::current_exe() {
                command.env("SIBYL_ORACLE", me);
            }
        }
        run(command, &binary)
    }
}

fn find_devnet() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("SIBYL_DEVNET") {
        return Ok(PathBuf::from(path));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(DEVNET_BINARY)))
        .filter(|path| path.is_file());
    let on_path = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(DEVNET_BINARY))
                .find(|path| path.is_file())
        })
    };
    match beside.or_else(on_path) {
        Some(path) => Ok(path),
        None => bail!(
            "`sibyl-oracle demo` runs the `{DEVNET_BINARY}` binary, which is neither beside this \
             executable nor on PATH: build it with `cargo build --release -p sibyl-devnet` \
             (scripts/demo.sh does), or set SIBYL_DEVNET to its path"
        ),
    }
}

#[cfg(unix)]
fn run(mut command: Command, binary: &Path) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    // `exec` replaces this process, so Ctrl-C and the exit status reach the demo directly.
    let error = command.exec();
    Err(error).with_context(|| format!("cannot run {}", binary.display()))
}

#[cfg(not(unix))]
fn run(mut command: Command, binary: &Path) -> anyhow::Result<ExitCode> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    Ok(
        match status.code().and_then(|code| u8::try_from(code).ok()) {
            Some(code) => ExitCode::from(code),
            None => ExitCode::FAILURE,
        },
    )
}
