//! An operator's `sibyl-oracle signer` the way an operator runs it: `signer init` in a directory
//! of its own (standing for the signer's host), then `signer run` as its own process.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;

use super::node::{path_str, OracleBinary};
use super::process::ChildProcess;

const CONFIG_FILE: &str = "sibyl-signer.toml";
const KEY_FILE: &str = "sibyl-oracle.key";
const AUTH_KEY_FILE: &str = "signer-auth.key";
const SOCKET: &str = "signer.sock";
const LOG_FILE: &str = "signer.log";

pub struct SignerNode {
    dir: PathBuf,
    binary: OracleBinary,
    process: ChildProcess,
}

impl SignerNode {
    /// `signer init` in `dir` for the deployment's chain and escrow, listening on a Unix socket
    /// there. The operator's full key file is expected at [`SignerNode::key_file`] before
    /// [`SignerNode::start`].
    pub fn init(binary: &OracleBinary, deployment_file: &Path, dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let socket = dir.join(SOCKET);
        binary.run(
            "sibyl-oracle signer init",
            &[
                "signer",
                "init",
                "--config",
                path_str(&dir.join(CONFIG_FILE))?,
                "--deployment",
                path_str(deployment_file)?,
                "--listen",
                &format!("unix:{}", path_str(&socket)?),
            ],
        )?;
        Ok(Self {
            dir: dir.to_owned(),
            binary: binary.clone(),
            process: ChildProcess::new("the signer", dir.join(LOG_FILE)),
        })
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    pub fn auth_key_file(&self) -> PathBuf {
        self.dir.join(AUTH_KEY_FILE)
    }

    /// The address for a node's `[signer]` section.
    pub fn address(&self) -> String {
        format!("unix:{}", self.dir.join(SOCKET).display())
    }

    /// Starts `signer run` and waits until it listens.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let mut command = self.binary.command();
        command
            .args(["signer", "run", "--config"])
            .arg(self.dir.join(CONFIG_FILE));
        let listening_before = self.log().matches("signer listening").count();
        self.process.start(command)?;
        let started = Instant::now();
        while self.log().matches("signer listening").count() == listening_before {
            if !self.process.is_running() {
                bail!("the signer exited:\n{}", self.log());
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the signer does not listen after 30 s:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// SIGTERM and a wait for the clean exit.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}
