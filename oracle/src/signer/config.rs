//! Where the signer listens and the node finds it: the signer's own config file
//! (`sibyl-oracle signer init` writes one, `signer run` reads it) and the node's `[signer]`
//! section. Relative paths are relative to the file that names them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{millis, ConfigError};
use crate::config_file::KeyConfig;

/// A signer's address: `unix:PATH` (a local socket) or `tcp:HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SignerAddress {
    Unix(PathBuf),
    Tcp(String),
}

impl TryFrom<String> for SignerAddress {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a socket path, e.g. unix:/run/sibyl/signer.sock".into());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if let Some(host_port) = text.strip_prefix("tcp:") {
            let valid = host_port
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                return Err(format!(
                    "{text:?}: tcp: needs HOST:PORT, e.g. tcp:10.0.0.5:26660"
                ));
            }
            return Ok(Self::Tcp(host_port.to_owned()));
        }
        Err(format!(
            "{text:?} is not a signer address: unix:PATH or tcp:HOST:PORT"
        ))
    }
}

impl From<SignerAddress> for String {
    fn from(address: SignerAddress) -> String {
        address.to_string()
    }
}

impl std::fmt::Display for SignerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
            Self::Tcp(host_port) => write!(f, "tcp:{host_port}"),
        }
    }
}

impl SignerAddress {
    fn resolve(&mut self, base: &Path) {
        if let Self::Unix(path) = self {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }
}

/// The node's `[signer]` section: present, the node asks this signer for its attestations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSignerConfig {
    pub address: SignerAddress,
    /// The key both sides authenticate with (`sibyl-oracle signer init` writes it).
    pub auth_key_file: PathBuf,
    /// How long one request may take, connecting included.
    #[serde(with = "millis", default = "default_request_timeout")]
    pub request_timeout: Duration,
}

fn default_request_timeout() -> Duration {
    Duration::from_secs(5)
}

impl RemoteSignerConfig {
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        self.address.resolve(base);
        if self.auth_key_file.is_relative() {
            self.auth_key_file = base.join(&self.auth_key_file);
        }
    }
}

/// `sibyl-oracle signer run`'s config file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerConfig {
    /// Where nodes connect: `unix:PATH` or `tcp:IP:PORT`.
    pub listen: SignerAddress,
    /// The only chain and escrow the signer signs attestations for.
    pub chain_id: String,
    pub escrow: String,
    /// The key that nodes must authenticate with.
    pub auth_key_file: PathBuf,
    /// The record of signed attestations (the double-signing guard).
    pub state_dir: PathBuf,
    /// Connections served at once; more wait.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The key file with the attestation key (the operator's full key file).
    pub key: KeyConfig,
}

fn default_max_connections() -> usize {
    8
}

impl SignerConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Invalid(format!(
                "cannot read the signer config {}: {e}",
                path.display()
            ))
        })?;
        let mut config: Self = toml::from_str(&text)?;
        config.validate()?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.listen.resolve(base);
        for path in [
            &mut config.auth_key_file,
            &mut config.state_dir,
            &mut config.key.file,
        ] {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        if let Some(file) = config.key.passphrase_file.as_mut() {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.chain_id.is_empty() || self.escrow.is_empty() {
            return Err(ConfigError::Invalid(
                "the signer's chain_id and escrow are required".into(),
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The file of the double-signing guard.
    pub fn record_path(&self) -> PathBuf {
        self.state_dir.join("signed-attestations.redb")
    }

    /// A commented config file for `signer init`.
    pub fn render(&self) -> Result<String, ConfigError> {
        let body = toml::to_string(self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Ok(format!(
            "# sibyl-oracle signer configuration (`sibyl-oracle signer run --config THIS_FILE`).\n\
             # It holds the attestation key and signs results for the nodes that know auth_key_file,\n\
             # for this chain and escrow only, never two different results for one job.\n\
             # Relative paths are relative to this file. docs/operator-security.md explains it.\n\n{body}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        for text in [
            "unix:/run/sibyl/signer.sock",
            "tcp:10.0.0.5:26660",
            "tcp:[::1]:26660",
        ] {
            let address = SignerAddress::try_from(text.to_string()).unwrap();
            assert_eq!(address.to_string(), text);
        }
        for bad in [
            "unix:",
            "tcp:10.0.0.5",
            "tcp::26660",
            "10.0.0.5:26660",
            "tcp:host:http",
        ] {
            assert!(SignerAddress::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_written_signer_config_loads_with_paths_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = SignerConfig {
            listen: SignerAddress::Unix("signer.sock".into()),
            chain_id: "sibyl-1".into(),
            escrow: "wasm1escrow".into(),
            auth_key_file: "auth.key".into(),
            state_dir: "state".into(),
            max_connections: 8,
            key: KeyConfig {
                file: "operator.key".into(),
                passphrase_file: None,
            },
        };
        let path = dir.path().join("signer.toml");
        std::fs::write(&path, config.render().unwrap()).unwrap();
        let loaded = SignerConfig::load(&path).unwrap();
        assert_eq!(
            loaded.listen,
            SignerAddress::Unix(dir.path().join("signer.sock"))
        );
        assert_eq!(loaded.key.file, dir.path().join("operator.key"));
        assert_eq!(
            loaded.record_path(),
            dir.path().join("state/signed-attestations.redb")
        );
        let typo = config
            .render()
            .unwrap()
            .replace("max_connections", "max_conections");
        std::fs::write(&path, typo).unwrap();
        assert!(SignerConfig::load(&path)
            .unwrap_err()
            .to_string()
            .contains("max_conections"));
        for bad in [
            config.render().unwrap().replace("wasm1escrow", ""),
            config
                .render()
                .unwrap()
                .replace("max_connections = 8", "max_connections = 0"),
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(SignerConfig::load(&path).is_err());
        }
    }
}
