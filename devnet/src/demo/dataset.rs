//! The digits model and its held-out test set, bundled into the binary so that `demo` runs from
//! any directory (files from `models/digits/`, produced by the model's training script).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The model file, relative to the repository root.
pub const DIGITS_MODEL_PATH: &str = "models/digits/digits.sibylmodel";

const MODEL: &[u8] = include_bytes!("../../../models/digits/digits.sibylmodel");
/// 450 images of 8×8 uint8 pixels (0..16), one after the other.
const TEST_INPUTS: &[u8] = include_bytes!("../../../models/digits/test_inputs.bin");
/// One label byte per test image.
const TEST_LABELS: &[u8] = include_bytes!("../../../models/digits/test_labels.bin");
const KNOWN_ANSWERS: &str = include_str!("../../../models/digits/known_answers.json");

/// Bytes of one image: the model's input tensor `uint8 [1, 8, 8, 1]`.
pub const IMAGE_BYTES: usize = 64;

/// One held-out image and its true label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub image: Vec<u8>,
    pub label: u8,
}

/// A committed input with the output hash every correct executor must produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownAnswer {
    pub input: Vec<u8>,
    pub output_hash: [u8; 32],
}

/// Why the bundled data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("the bundled test set is inconsistent: {0}")]
    Inconsistent(String),
    #[error("the bundled known answers do not parse: {0}")]
    KnownAnswers(#[from] serde_json::Error),
    #[error("cannot write the model file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The digits model, held-out samples and known answers.
#[derive(Clone, Debug)]
pub struct Digits {
    samples: Vec<Sample>,
    known_answers: Vec<KnownAnswer>,
}

#[derive(Deserialize)]
struct KnownAnswerEntry {
    input_hex: String,
    digits: OutputEntry,
}

#[derive(Deserialize)]
struct OutputEntry {
    output_sha256: String,
}

impl Digits {
    pub fn load() -> Result<Self, DatasetError> {
        if TEST_INPUTS.len() != TEST_LABELS.len() * IMAGE_BYTES {
            return Err(DatasetError::Inconsistent(format!(
                "{} input bytes for {} labels",
                TEST_INPUTS.len(),
                TEST_LABELS.len()
            )));
        }
        let samples = TEST_INPUTS
            .chunks_exact(IMAGE_BYTES)
            .zip(TEST_LABELS)
            .map(|(image, label)| Sample {
                image: image.to_vec(),
                label: *label,
            })
            .collect();
        let entries: Vec<KnownAnswerEntry> = serde_json::from_str(KNOWN_ANSWERS)?;
        let known_answers = entries
            .into_iter()
            .map(|entry| {
                let input = hex::decode(&entry.input_hex)
                    .map_err(|e| DatasetError::Inconsistent(format!("known-answer input: {e}")))?;
                let output_hash = hex::decode(&entry.digits.output_sha256)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| {
                        DatasetError::Inconsistent("known-answer hash is not 32 bytes".into())
                    })?;
                Ok(KnownAnswer { input, output_hash })
            })
            .collect::<Result<_, DatasetError>>()?;
        Ok(Digits {
            samples,
            known_answers,
        })
    }

    /// The model file.
    pub fn model_bytes(&self) -> &'static [u8] {
        MODEL
    }

    /// sha256 of the model file.
    pub fn model_hash(&self) -> [u8; 32] {
        Sha256::digest(MODEL).into()
    }

    /// The held-out images with their labels.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Inputs with the output hash of the digits model.
    pub fn known_answers(&self) -> &[KnownAnswer] {
        &self.known_answers
    }

    /// Writes the model file under `models_dir(data_dir)` and returns its `file://` URI.
    pub fn publish_model(&self, data_dir: &Path) -> Result<String, DatasetError> {
        let dir = models_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|source| DatasetError::Write {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join("digits.sibylmodel");
        std::fs::write(&path, MODEL).map_err(|source| DatasetError::Write {
            path: path.clone(),
            source,
        })?;
        let absolute = std::fs::canonicalize(&path).map_err(|source| DatasetError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(format!("file://{}", absolute.display()))
    }
}

/// Where the demo keeps the model files it serves with `file://` URIs.
pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_set_is_complete() {
        let digits = Digits::load().unwrap();
        assert_eq!(digits.samples().len(), 450);
        assert!(digits
            .samples()
            .iter()
            .all(|s| s.image.len() == IMAGE_BYTES && s.label < 10));
        assert!(!digits.known_answers().is_empty());
        assert_eq!(
            hex::encode(digits.model_hash()),
            "2944d180d34c24afa9a26e6a02f0934876d59d663a636aebf30d7d0ea3005a95"
        );
    }

    #[test]
    fn known_answers_match_the_reference_executor() {
        let digits = Digits::load().unwrap();
        let model =
            sibyl_model::Model::parse(digits.model_bytes(), &sibyl_model::Limits::default())
                .unwrap();
        for answer in digits.known_answers() {
            let output = sibyl_model::reference::run(&model, &answer.input).unwrap();
            assert_eq!(output.hash(), answer.output_hash);
        }
    }

    #[test]
    fn publishing_writes_the_model_and_returns_a_file_uri() {
        let dir = tempfile::tempdir().unwrap();
        let digits = Digits::load().unwrap();
        let uri = digits.publish_model(dir.path()).unwrap();
        let path = uri.strip_prefix("file://").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), MODEL);
    }
}
