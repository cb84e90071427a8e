//! The double-signing guard: a persisted record of every attestation the signer gave out, so that
//! it never signs two different results for one job, across restarts (the guard validators get
//! from tmkms or Horcrux). One redb file, fsynced before a signature leaves the signer.
//!
//! The file is bound to one chain id and escrow: opened for another deployment it is an error,
//! never a silent fresh start that would forget what was signed.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::AttestationRequest;

/// job id -> model hash || input hash || output hash of the attestation signed for it.
const SIGNED: TableDefinition<u64, &[u8]> = TableDefinition::new("signed_attestations");
/// "deployment" -> chain id, NUL, escrow address.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const META_DEPLOYMENT: &str = "deployment";

/// What the guard says of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Never signed for this job, now recorded: sign it.
    First,
    /// The very attestation signed before for this job: signing again gives the same signature.
    Repeat,
    /// Another attestation was signed for this job: refuse.
    Conflict { signed_output_hash: [u8; 32] },
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("the signer's record {path}: {reason}")]
    Storage { path: PathBuf, reason: String },
    #[error(
        "the signer's record {path} belongs to chain {chain_id:?}, escrow {escrow}; this signer \
         is configured for chain {configured_chain_id:?}, escrow {configured_escrow}: give each \
         deployment its own state_dir"
    )]
    OtherDeployment {
        path: PathBuf,
        chain_id: String,
        escrow: String,
        configured_chain_id: String,
        configured_escrow: String,
    },
}

pub struct SignedRecord {
    db: Database,
    path: PathBuf,
}

impl SignedRecord {
    /// Opens (or creates) the record at `path` for `chain_id` and `escrow`.
    pub fn open(path: &Path, chain_id: &str, escrow: &str) -> Result<Self, GuardError> {
        let storage = |reason: String| GuardError::Storage {
            path: path.to_owned(),
            reason,
        };
        let db = Database::create(path).map_err(|e| storage(e.to_string()))?;
        let deployment = [chain_id.as_bytes(), b"\0", escrow.as_bytes()].concat();
        let txn = db.begin_write().map_err(|e| storage(e.to_string()))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| storage(e.to_string()))?;
            let existing = meta
                .get(META_DEPLOYMENT)
                .map_err(|e| storage(e.to_string()))?
                .map(|value| value.value().to_vec());
            match existing {
                Some(bound) if bound != deployment => {
                    let text = String::from_utf8_lossy(&bound).into_owned();
                    let (bound_chain, bound_escrow) = text.split_once('\0').unwrap_or((&text, ""));
                    return Err(GuardError::OtherDeployment {
                        path: path.to_owned(),
                        chain_id: bound_chain.to_owned(),
                        escrow: bound_escrow.to_owned(),
                        configured_chain_id: chain_id.to_owned(),
                        configured_escrow: escrow.to_owned(),
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert(META_DEPLOYMENT, deployment.as_slice())
                        .map_err(|e| storage(e.to_string()))?;
                }
            }
            txn.open_table(SIGNED).map_err(|e| storage(e.to_string()))?;
        }
        txn.commit().map_err(|e| storage(e.to_string()))?;
        Ok(Self {
            db,
            path: path.to_owned(),
        })
    }

    /// Checks `request` against what was signed for its job and, when it is the first, records
    /// it (durably, before returning). The caller has checked the chain id and escrow.
    pub fn admit(&self, request: &AttestationRequest) -> Result<Verdict, GuardError> {
        let storage = |reason: String| GuardError::Storage {
            path: self.path.clone(),
            reason,
        };
        let entry = [
            request.model_hash.as_slice(),
            &request.input_hash,
            &request.output_hash,
        ]
        .concat();
        // One write transaction: two requests for one job cannot both see "never signed".
        let txn = self.db.begin_write().map_err(|e| storage(e.to_string()))?;
        let verdict = {
            let mut signed = txn.open_table(SIGNED).map_err(|e| storage(e.to_string()))?;
            let existing = signed
                .get(request.job_id)
                .map_err(|e| storage(e.to_string()))?
                .map(|value| value.value().to_vec());
            match existing {
                Some(previous) if previous == entry => Verdict::Repeat,
                Some(previous) => {
                    let mut signed_output_hash = [0u8; 32];
                    signed_output_hash.copy_from_slice(&previous[previous.len() - 32..]);
                    Verdict::Conflict { signed_output_hash }
                }
                None => {
                    signed
                        .insert(request.job_id, entry.as_slice())
                        .map_err(|e| storage(e.to_string()))?;
                    Verdict::First
                }
            }
        };
        if verdict == Verdict::First {
            txn.commit().map_err(|e| storage(e.to_string()))?;
        } else {
            txn.abort().map_err(|e| storage(e.to_string()))?;
        }
        Ok(verdict)
    }

    /// How many jobs have an attestation on record.
    pub fn signed_jobs(&self) -> Result<u64, GuardError> {
        let storage = |reason: String| GuardError::Storage {
            path: self.path.clone(),
            reason,
        };
        let txn = self.db.begin_read().map_err(|e| storage(e.to_string()))?;
        let table = txn.open_table(SIGNED).map_err(|e| storage(e.to_string()))?;
        table.len().map_err(|e| storage(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(job_id: u64, output: u8) -> AttestationRequest {
        AttestationRequest {
            chain_id: "chain".into(),
            escrow: "escrow".into(),
            job_id,
            model_hash: [1; 32],
            input_hash: [2; 32],
            output_hash: [output; 32],
        }
    }

    #[test]
    fn a_second_different_attestation_for_a_job_is_a_conflict_even_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signed.redb");
        {
            let record = SignedRecord::open(&path, "chain", "escrow").unwrap();
            assert_eq!(record.admit(&request(7, 3)).unwrap(), Verdict::First);
            assert_eq!(record.admit(&request(7, 3)).unwrap(), Verdict::Repeat);
            assert_eq!(record.admit(&request(8, 4)).unwrap(), Verdict::First);
        }
        let record = SignedRecord::open(&path, "chain", "escrow").unwrap();
        assert_eq!(record.signed_jobs().unwrap(), 2);
        assert_eq!(
            record.admit(&request(7, 9)).unwrap(),
            Verdict::Conflict {
                signed_output_hash: [3; 32]
            }
        );
        let mut other_input = request(8, 4);
        other_input.input_hash = [5; 32];
        assert!(matches!(
            record.admit(&other_input).unwrap(),
            Verdict::Conflict { .. }
        ));
        assert_eq!(record.admit(&request(7, 3)).unwrap(), Verdict::Repeat);
        assert_eq!(record.signed_jobs().unwrap(), 2, "refusals record nothing");
    }

    #[test]
    fn the_record_belongs_to_one_deployment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signed.redb");
        drop(SignedRecord::open(&path, "chain", "escrow").unwrap());
        let error = SignedRecord::open(&path, "chain", "other-escrow")
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("its own state_dir"), "{error}");
        assert!(SignedRecord::open(&path, "chain-2", "escrow").is_err());
        assert!(SignedRecord::open(&path, "chain", "escrow").is_ok());
    }
}
