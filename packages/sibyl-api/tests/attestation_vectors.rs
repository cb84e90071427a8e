//! Recomputes the committed known-answer vectors (generated independently by
//! tests/data/gen_attestation_vectors.py) so the contract and the oracle hash the same bytes.

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Api;
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use serde::Deserialize;
use sibyl_api::attestation::{attestation_digest, commitment, input_hash, output_hash};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    chain_id: String,
    escrow_addr: String,
    operator: String,
    job_id: u64,
    model_hash: String,
    input: String,
    input_hash: String,
    output: String,
    output_hash: String,
    salt: String,
    commitment: String,
    digest: String,
    private_key: String,
    public_key: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    let json = include_str!("data/attestation_vectors.json");
    serde_json::from_str::<Vectors>(json).unwrap().vectors
}

fn bytes32(hex_str: &str) -> [u8; 32] {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

#[test]
fn hashes_match_the_known_answers() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 3);
    for v in vectors {
        let input = hex::decode(&v.input).unwrap();
        let output = hex::decode(&v.output).unwrap();
        let salt = hex::decode(&v.salt).unwrap();
        assert_eq!(hex::encode(input_hash(&input)), v.input_hash, "{}", v.name);
        assert_eq!(
            hex::encode(output_hash(&output)),
            v.output_hash,
            "{}",
            v.name
        );
        let out_hash = bytes32(&v.output_hash);
        assert_eq!(
            hex::encode(commitment(v.job_id, &out_hash, &salt, &v.operator)),
            v.commitment,
            "{}",
            v.name
        );
        let digest = attestation_digest(
            &v.chain_id,
            &v.escrow_addr,
            v.job_id,
            &bytes32(&v.model_hash),
            &bytes32(&v.input_hash),
            &out_hash,
        );
        assert_eq!(hex::encode(digest), v.digest, "{}", v.name);
    }
}

#[test]
fn k256_prehash_signatures_match_and_verify_like_the_contract() {
    let api = MockApi::default();
    for v in vectors() {
        let key = SigningKey::from_slice(&hex::decode(&v.private_key).unwrap()).unwrap();
        let public = key.verifying_key().to_encoded_point(true);
        assert_eq!(hex::encode(public.as_bytes()), v.public_key, "{}", v.name);

        // RFC 6979 signing is deterministic, so the oracle's k256 signature equals python-ecdsa's.
        let digest = bytes32(&v.digest);
        let signature: Signature = key.sign_prehash(&digest).unwrap();
        assert_eq!(hex::encode(signature.to_bytes()), v.signature, "{}", v.name);

        let sig = hex::decode(&v.signature).unwrap();
        let pubkey = hex::decode(&v.public_key).unwrap();
        assert!(
            api.secp256k1_verify(&digest, &sig, &pubkey).unwrap(),
            "{}",
            v.name
        );
        let mut other = digest;
        other[0] ^= 1;
        assert!(
            !api.secp256k1_verify(&other, &sig, &pubkey).unwrap(),
            "{}",
            v.name
        );
    }
}
