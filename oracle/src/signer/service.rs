//! What the signer answers: its public key, or a signature for an attestation of its own chain
//! and escrow that the double-signing guard admits.

use crate::keys::AttestationKey;

use super::guard::{GuardError, SignedRecord, Verdict};
use super::wire::{Request, Response};
use super::{AttestationRequest, Refusal};

pub struct SignerService {
    key: AttestationKey,
    chain_id: String,
    escrow: String,
    record: SignedRecord,
}

impl SignerService {
    /// Opens the guard's record at `record_path` for `chain_id` and `escrow`.
    pub fn open(
        key: AttestationKey,
        chain_id: &str,
        escrow: &str,
        record_path: &std::path::Path,
    ) -> Result<Self, GuardError> {
        Ok(Self {
            record: SignedRecord::open(record_path, chain_id, escrow)?,
            key,
            chain_id: chain_id.to_owned(),
            escrow: escrow.to_owned(),
        })
    }

    pub fn attestation_pubkey(&self) -> [u8; 33] {
        self.key.pubkey()
    }

    pub fn signed_jobs(&self) -> Result<u64, GuardError> {
        self.record.signed_jobs()
    }

    /// Answers one request. Blocking: the guard's record is fsynced before a signature is
    /// returned.
    pub fn answer(&self, request: &Request) -> Response {
        match request {
            Request::PublicKey => Response::PublicKey {
                attestation_pubkey: self.key.pubkey(),
            },
            Request::SignAttestation(attestation) => match self.sign(attestation) {
                Ok(signature) => Response::Signature { signature },
                Err(Answer::Refused(refusal)) => {
                    tracing::warn!(job_id = attestation.job_id, %refusal, "refused to sign");
                    Response::Refused { refusal }
                }
                Err(Answer::Unavailable(message)) => {
                    tracing::error!(job_id = attestation.job_id, %message, "cannot sign");
                    Response::Unavailable { message }
                }
            },
        }
    }

    fn sign(&self, request: &AttestationRequest) -> Result<[u8; 64], Answer> {
        if request.chain_id != self.chain_id {
            return Err(Answer::Refused(Refusal::WrongChain {
                expected: self.chain_id.clone(),
                requested: request.chain_id.clone(),
            }));
        }
        if request.escrow != self.escrow {
            return Err(Answer::Refused(Refusal::WrongEscrow {
                expected: self.escrow.clone(),
                requested: request.escrow.clone(),
            }));
        }
        let verdict = self
            .record
            .admit(request)
            .map_err(|e| Answer::Unavailable(e.to_string()))?;
        if let Verdict::Conflict { signed_output_hash } = verdict {
            return Err(Answer::Refused(Refusal::DoubleSign {
                job_id: request.job_id,
                signed_output_hash,
            }));
        }
        let signature = self
            .key
            .sign(&request.digest())
            .map_err(|e| Answer::Unavailable(e.to_string()))?;
        tracing::info!(
            job_id = request.job_id,
            output_hash = %hex::encode(request.output_hash),
            repeat = verdict == Verdict::Repeat,
            "signed attestation"
        );
        Ok(signature)
    }
}

enum Answer {
    Refused(Refusal),
    Unavailable(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{verify_attestation, OperatorKeys};

    const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn service(dir: &std::path::Path) -> SignerService {
        let key = OperatorKeys::from_phrase(PHRASE, "wasm", 1)
            .unwrap()
            .into_attestation();
        SignerService::open(key, "sibyl-1", "wasm1escrow", &dir.join("signed.redb")).unwrap()
    }

    fn request(job_id: u64, output: u8) -> AttestationRequest {
        AttestationRequest {
            chain_id: "sibyl-1".into(),
            escrow: "wasm1escrow".into(),
            job_id,
            model_hash: [1; 32],
            input_hash: [2; 32],
            output_hash: [output; 32],
        }
    }

    fn sign(service: &SignerService, request: AttestationRequest) -> Response {
        service.answer(&Request::SignAttestation(request))
    }

    #[test]
    fn signs_once_per_job_and_repeats_the_same_signature() {
        let dir = tempfile::tempdir().unwrap();
        let service = service(dir.path());
        let Response::Signature { signature } = sign(&service, request(1, 5)) else {
            panic!("not signed");
        };
        assert!(verify_attestation(
            &service.attestation_pubkey(),
            &request(1, 5).digest(),
            &signature
        ));
        assert_eq!(
            sign(&service, request(1, 5)),
            Response::Signature { signature }
        );
        assert_eq!(
            sign(&service, request(1, 6)),
            Response::Refused {
                refusal: Refusal::DoubleSign {
                    job_id: 1,
                    signed_output_hash: [5; 32]
                }
            }
        );
        drop(service);
        let restarted = self::service(dir.path());
        assert!(matches!(
            sign(&restarted, request(1, 6)),
            Response::Refused { .. }
        ));
        assert!(matches!(
            sign(&restarted, request(2, 6)),
            Response::Signature { .. }
        ));
    }

    #[test]
    fn refuses_another_chain_or_escrow_without_recording_it() {
        let dir = tempfile::tempdir().unwrap();
        let service = service(dir.path());
        let mut other_chain = request(1, 5);
        other_chain.chain_id = "other-1".into();
        assert!(matches!(
            sign(&service, other_chain),
            Response::Refused {
                refusal: Refusal::WrongChain { .. }
            }
        ));
        let mut other_escrow = request(1, 5);
        other_escrow.escrow = "wasm1other".into();
        assert!(matches!(
            sign(&service, other_escrow),
            Response::Refused {
                refusal: Refusal::WrongEscrow { .. }
            }
        ));
        assert_eq!(service.signed_jobs().unwrap(), 0);
        assert!(matches!(
            sign(&service, request(1, 7)),
            Response::Signature { .. }
        ));
    }
}
