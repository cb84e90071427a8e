//! Bad jobs: a model whose bytes do not match its registered hash, a malformed model and an
//! oversized input are reported (metrics and logs) and skipped; the node keeps running and
//! handles the next job.

mod common;

use common::Network;
use cosmwasm_std::{Binary, HexBinary};
use sha2::{Digest, Sha256};
use sibyl_api::escrow::{self, ExecuteMsg, JobInput, JobStatus};
use sibyl_oracle::chain::execute;

/// Registers `hash` as a model served from `file` (with the digits model's specs).
async fn register(network: &Network, hash: [u8; 32], file: &std::path::Path) {
    let spec = |s: &sibyl_model::TensorSpec| escrow::TensorSpec {
        dtype: match s.dtype {
            sibyl_model::DType::I8 => escrow::DType::I8,
            sibyl_model::DType::U8 => escrow::DType::U8,
            sibyl_model::DType::I32 => escrow::DType::I32,
        },
        shape: s.shape.clone(),
    };
    execute(
        &network.chain.client(&network.accounts.admin),
        &network.deployment.escrow,
        &ExecuteMsg::RegisterModel {
            model_hash: HexBinary::from(hash.to_vec()),
            uri: format!("file://{}", file.display()),
            input_spec: spec(network.model.input_spec()),
            output_spec: spec(network.model.output_spec()),
            cost_units: 1,
            owner: None,
        },
        vec![],
    )
    .await
    .expect("register model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_jobs_are_reported_and_skipped_and_the_next_job_runs() {
    let network = Network::start(1, 0).await;
    let mut config = network.node_config(0);
    config.fetch.max_input_bytes = 1024;
    let node = network
        .start_node_with(0, config, sibyl_oracle::node::DatabaseMode::CreateIfMissing)
        .await;
    let image = network.digits.samples()[0].image.clone();
    let dir = sibyl_devnet::demo::models_dir(&network.data_dir());

    // 1. The file behind the URI is not the registered model.
    let impostor = dir.join("impostor.sibyl");
    std::fs::write(&impostor, network.digits.model_bytes()).expect("write");
    let claimed: [u8; 32] = Sha256::digest(b"a different model").into();
    register(&network, claimed, &impostor).await;
    let inline = || JobInput::Inline {
        data: Binary::from(image.clone()),
    };
    network.submit_job(claimed, inline(), 1, 1).await;
    network.wait_for_failure(&node, "hash_mismatch").await;

    // 2. A file that hashes right but is no model.
    let garbage = dir.join("garbage.sibyl");
    std::fs::write(&garbage, b"SIBYL? no: just some bytes").expect("write");
    let garbage_hash: [u8; 32] = Sha256::digest(std::fs::read(&garbage).expect("read")).into();
    register(&network, garbage_hash, &garbage).await;
    network.submit_job(garbage_hash, inline(), 1, 1).await;
    network.wait_for_failure(&node, "invalid_model").await;

    // 3. A remote input larger than its declared size (the model's input size).
    let big = dir.join("big-input.bin");
    let big_bytes = vec![7u8; 4096];
    std::fs::write(&big, &big_bytes).expect("write");
    let big_hash: [u8; 32] = Sha256::digest(&big_bytes).into();
    network
        .submit_job(
            network.model.hash(),
            JobInput::Remote {
                hash: HexBinary::from(big_hash.to_vec()),
                uri: format!("file://{}", big.display()),
                size: image.len() as u64,
            },
            1,
            1,
        )
        .await;
    network.wait_for_failure(&node, "too_large").await;

    let exported = node.metrics().registry().encode().expect("metrics encode");
    for reason in ["hash_mismatch", "invalid_model", "too_large"] {
        let series = format!("sibyl_job_failures_total{{reason=\"{reason}\"}} 1");
        assert!(exported.contains(&series), "{series} in\n{exported}");
    }

    // The node is still running: a good job settles with the right answer.
    let good = network.submit(&image, 1, 1).await;
    let job = network.wait_settled(good).await;
    assert_eq!(job.job.status, JobStatus::Completed);
    assert_eq!(
        job.result.expect("result").output_hash.as_slice(),
        network.expected_output_hash(&image)
    );
    node.stop();
    node.wait()
        .await
        .expect("the node stops cleanly after bad jobs");
}

/// The localnet demo refuses to start without the release wasm, before it touches any chain.
#[tokio::test]
async fn the_localnet_demo_needs_the_release_wasm() {
    let repo = tempfile::tempdir().unwrap();
    let error = sibyl_devnet::demo::run(sibyl_devnet::demo::DemoOptions {
        chain: sibyl_devnet::demo::DemoChain::Localnet,
        repo_root: repo.path().to_path_buf(),
        oracle_binary: Some("/nonexistent/sibyl-oracle".into()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("no release wasm in"), "{text}");
    assert!(text.contains("scripts/build-wasm.sh"), "{text}");
}
