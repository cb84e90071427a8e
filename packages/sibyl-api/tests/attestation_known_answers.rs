//! Checks the shared known answers of tests/vectors/attestation.json (written independently by
//! tests/vectors/gen_attestation.py) against sibyl_api::attestation. The TypeScript client
//! (packages/sibyl-js) checks its own implementation against the same file, so the contract, the
//! oracle and the client hash the same bytes.

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Api;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::Deserialize;
use sibyl_api::attestation::{
    attestation_digest, commitment, input_hash, key_possession_digest, output_hash,
};

#[derive(Deserialize)]
struct Vectors {
    attestation_digests: Vec<AttestationCase>,
    commitments: Vec<CommitmentCase>,
    key_possession_digests: Vec<KeyPossessionCase>,
}

#[derive(Deserialize)]
struct AttestationCase {
    name: String,
    chain_id: String,
    escrow: String,
    job_id: String,
    model_hash: String,
    input: String,
    input_hash: String,
    output: String,
    output_hash: String,
    digest: String,
    private_key: String,
    public_key: String,
    signature: String,
}

#[derive(Deserialize)]
struct CommitmentCase {
    name: String,
    job_id: String,
    output_hash: String,
    salt: String,
    operator: String,
    commitment: String,
}

#[derive(Deserialize)]
struct KeyPossessionCase {
    name: String,
    chain_id: String,
    staking: String,
    operator: String,
    public_key: String,
    digest: String,
    private_key: Option<String>,
    signature: Option<String>,
}

fn vectors() -> Vectors {
    serde_json::from_str(include_str!("vectors/attestation.json")).unwrap()
}

fn bytes(hex_str: &str) -> Vec<u8> {
    hex::decode(hex_str).unwrap()
}

fn bytes32(hex_str: &str) -> [u8; 32] {
    bytes(hex_str).try_into().unwrap()
}

/// Signs like the oracle (k256, RFC 6979, as a prehash), checks the bytes against python-ecdsa's
/// and verifies like the contract (the host's secp256k1_verify).
fn check_signature(name: &str, private_key: &str, public_key: &str, digest: &str, signature: &str) {
    let key = SigningKey::from_slice(&bytes(private_key)).unwrap();
    let public = key.verifying_key().to_encoded_point(true);
    assert_eq!(hex::encode(public.as_bytes()), public_key, "{name}");
    let digest = bytes32(digest);
    let signed: Signature = key.sign_prehash(&digest).unwrap();
    assert_eq!(hex::encode(signed.to_bytes()), signature, "{name}");
    let api = MockApi::default();
    let (signature, public_key) = (bytes(signature), bytes(public_key));
    assert!(
        api.secp256k1_verify(&digest, &signature, &public_key)
            .unwrap(),
        "{name}"
    );
    let mut other = digest;
    other[31] ^= 1;
    assert!(
        !api.secp256k1_verify(&other, &signature, &public_key)
            .unwrap(),
        "{name}"
    );
}

#[test]
fn attestation_digests_match_the_known_answers() {
    let cases = vectors().attestation_digests;
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = &case.name;
        assert_eq!(
            hex::encode(input_hash(&bytes(&case.input))),
            case.input_hash,
            "{name}"
        );
        assert_eq!(
            hex::encode(output_hash(&bytes(&case.output))),
            case.output_hash,
            "{name}"
        );
        let digest = attestation_digest(
            &case.chain_id,
            &case.escrow,
            case.job_id.parse().unwrap(),
            &bytes32(&case.model_hash),
            &bytes32(&case.input_hash),
            &bytes32(&case.output_hash),
        );
        assert_eq!(hex::encode(digest), case.digest, "{name}");
        check_signature(
            name,
            &case.private_key,
            &case.public_key,
            &case.digest,
            &case.signature,
        );
    }
}

#[test]
fn commitments_match_the_known_answers() {
    let cases = vectors().commitments;
    assert_eq!(cases.len(), 6);
    for case in cases {
        let got = commitment(
            case.job_id.parse().unwrap(),
            &bytes32(&case.output_hash),
            &bytes(&case.salt),
            &case.operator,
        );
        assert_eq!(hex::encode(got), case.commitment, "{}", case.name);
    }
}

#[test]
fn key_possession_digests_match_the_known_answers() {
    let cases = vectors().key_possession_digests;
    assert_eq!(cases.len(), 3);
    for case in cases {
        let digest = key_possession_digest(
            &case.chain_id,
            &case.staking,
            &case.operator,
            &bytes(&case.public_key),
        );
        assert_eq!(hex::encode(digest), case.digest, "{}", case.name);
        if let (Some(private_key), Some(signature)) = (&case.private_key, &case.signature) {
            check_signature(
                &case.name,
                private_key,
                &case.public_key,
                &case.digest,
                signature,
            );
        }
    }
}
