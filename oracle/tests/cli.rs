//! The command line: `--help` everywhere, `exec` on the digits model (known-answer hash), and a
//! `keys new` + `keys show` round trip with a passphrase file.

use std::path::Path;
use std::process::{Command, Output};

fn sibyl_oracle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
        .args(args)
        .env_remove("SIBYL_KEY_PASSPHRASE")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_command_has_help() {
    for command in [
        vec![],
        vec!["keys"],
        vec!["keys", "new"],
        vec!["keys", "import"],
        vec!["keys", "show"],
        vec!["keys", "rotate-attestation"],
        vec!["exec"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        let output = sibyl_oracle(&args);
        assert_success(&output);
        assert!(
            stdout(&output).contains("Usage:"),
            "{args:?}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn there_is_no_run_daemon_yet() {
    let output = sibyl_oracle(&["run"]);
    assert!(!output.status.success());
}

#[test]
fn exec_prints_the_known_answer_hash_of_the_digits_model() {
    let digits = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/digits");
    let known_answers: Vec<serde_json::Value> = serde_json::from_slice(
        &std::fs::read(digits.join("known_answers.json")).expect("known answers"),
    )
    .expect("known answers parse");
    let dir = tempfile::tempdir().expect("temp dir");
    for (index, vector) in known_answers.iter().take(2).enumerate() {
        let input = dir.path().join(format!("input-{index}.bin"));
        let input_hex = vector["input_hex"].as_str().expect("input_hex");
        std::fs::write(&input, hex::decode(input_hex).expect("hex input")).expect("write input");
        let output_hash = vector["digits"]["output_sha256"]
            .as_str()
            .expect("output hash");
        let output = sibyl_oracle(&[
            "exec",
            "--model",
            digits
                .join("digits.sibylmodel")
                .to_str()
                .expect("utf-8 path"),
            "--input",
            input.to_str().expect("utf-8 path"),
        ]);
        assert_success(&output);
        let text = stdout(&output);
        assert!(
            text.contains(&format!("output hash:  {output_hash}")),
            "{text}"
        );
        assert!(text.contains("device:"), "{text}");
        assert!(text.contains("time:"), "{text}");
    }
}

#[test]
fn demo_hands_every_argument_to_sibyl_devnet() {
    let output = Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
        .args(["demo", "--jobs", "3", "--help"])
        .env("SIBYL_DEVNET", "/bin/echo")
        .output()
        .expect("run sibyl-oracle");
    assert_success(&output);
    assert_eq!(stdout(&output), "demo --jobs 3 --help\n");
}

#[test]
fn demo_without_sibyl_devnet_says_how_to_build_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_sibyl-oracle"))
        .arg("demo")
        .env("SIBYL_DEVNET", "/nonexistent/sibyl-devnet")
        .output()
        .expect("run sibyl-oracle");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/sibyl-devnet"), "{stderr}");
}

#[test]
fn exec_reports_a_missing_model_file() {
    let output = sibyl_oracle(&[
        "exec",
        "--model",
        "/nonexistent/model",
        "--input",
        "/nonexistent/input",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read the model file"), "{stderr}");
}

#[test]
fn keys_new_then_show_round_trips_with_a_passphrase_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_file = dir.path().join("operator.key");
    let passphrase = dir.path().join("passphrase");
    std::fs::write(&passphrase, "correct horse battery staple\n").expect("write passphrase");
    let key_file_arg = key_file.to_str().expect("utf-8 path");
    let passphrase_arg = passphrase.to_str().expect("utf-8 path");

    let created = sibyl_oracle(&[
        "keys",
        "new",
        "--key-file",
        key_file_arg,
        "--passphrase-file",
        passphrase_arg,
    ]);
    assert_success(&created);
    let created_text = stdout(&created);
    let address = created_text
        .split_whitespace()
        .find(|word| word.starts_with("cosmwasm1"))
        .expect("an account address")
        .to_string();

    let shown = sibyl_oracle(&[
        "keys",
        "show",
        "--key-file",
        key_file_arg,
        "--passphrase-file",
        passphrase_arg,
    ]);
    assert_success(&shown);
    let shown_text = stdout(&shown);
    assert!(shown_text.contains(&address), "{shown_text}");
    assert!(
        !shown_text.contains("read from the file header"),
        "{shown_text}"
    );

    std::fs::write(&passphrase, "a wrong passphrase\n").expect("write passphrase");
    let refused = sibyl_oracle(&[
        "keys",
        "show",
        "--key-file",
        key_file_arg,
        "--passphrase-file",
        passphrase_arg,
    ]);
    assert!(
        !refused.status.success(),
        "a wrong passphrase must be refused"
    );
}
