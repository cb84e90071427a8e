//! Passphrase-to-key stretching with Argon2id (RFC 9106).

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::KeyError;

/// Argon2id cost parameters, stored in each key file so that files stay readable when the
/// defaults change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// RFC 9106 §4, second recommended option: 64 MiB, 3 passes, 4 lanes.
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

/// Upper bounds that keep a hostile key file from making `load` allocate or spin without limit.
pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 64;
pub const MAX_PARALLELISM: u32 = 64;

/// Salt length in bytes.
pub const SALT_LEN: usize = 16;
/// Derived key length in bytes (an XChaCha20-Poly1305 key).
pub const KEY_LEN: usize = 32;

impl KdfParams {
    pub fn validate(&self) -> Result<(), KeyError> {
        let invalid = |reason: String| Err(KeyError::InvalidKdfParams { reason });
        if !(1..=MAX_PARALLELISM).contains(&self.parallelism) {
            return invalid(format!("parallelism must be 1 to {MAX_PARALLELISM}"));
        }
        if !(1..=MAX_ITERATIONS).contains(&self.iterations) {
            return invalid(format!("iterations must be 1 to {MAX_ITERATIONS}"));
        }
        // Argon2 needs at least 8 KiB per lane.
        let min_memory = self.parallelism.saturating_mul(8);
        if !(min_memory..=MAX_MEMORY_KIB).contains(&self.memory_kib) {
            return invalid(format!(
                "memory must be {min_memory} to {MAX_MEMORY_KIB} KiB for {} lanes",
                self.parallelism
            ));
        }
        Ok(())
    }

    /// Stretches `passphrase` with `salt` into a 32-byte encryption key.
    pub fn derive_key(
        &self,
        passphrase: &str,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        self.validate()?;
        let params = Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_LEN),
        )
        .map_err(|err| KeyError::InvalidKdfParams {
            reason: err.to_string(),
        })?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
            .map_err(|err| KeyError::InvalidKdfParams {
                reason: err.to_string(),
            })?;
        Ok(key)
    }
}
