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
        vec!["demo"],
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let vectors = sibyl_oracle::demo::Digits::load().expect("bundled digits");
    let dir = tempfile::tempdir().expect("temp dir");
    for (index, vector) in vectors.known_answers().iter().take(2).enumerate() {
        let input = dir.path().join(format!("input-{index}.bin"));
        std::fs::write(&input, &vector.input).expect("write input");
        let output = sibyl_oracle(&[
            "exec",
            "--model",
            root.join(sibyl_oracle::demo::DIGITS_MODEL_PATH)
                .to_str()
                .expect("utf-8 path"),
            "--input",
            input.to_str().expect("utf-8 path"),
        ]);
        assert_success(&output);
        let text = stdout(&output);
        assert!(
            text.contains(&format!(
                "output hash:  {}",
                hex::encode(vector.output_hash)
            )),
            "{text}"
        );
        assert!(text.contains("device:"), "{text}");
        assert!(text.contains("time:"), "{text}");
    }
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
