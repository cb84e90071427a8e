//! Keys: published derivation vectors, signatures the contracts accept, and the encrypted key file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cosmwasm_std::testing::MockApi;
use cosmwasm_std::Api;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use sibyl_oracle::keys::commands::{self, ImportArgs, NewArgs, RotateAttestationArgs, ShowArgs};
use sibyl_oracle::keys::hd::{account_path, attestation_path, derive_signing_key};
use sibyl_oracle::keys::{KdfParams, KeyError, Mnemonic, OperatorKeys};
use zeroize::Zeroizing;

/// The all-zero-entropy BIP-39 test mnemonic; public, never use it for funds.
const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PASSPHRASE: &str = "correct horse battery staple";

/// Cheap Argon2 parameters so tests stay fast; the defaults are exercised once below.
fn test_kdf() -> KdfParams {
    KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
}

fn abandon_keys() -> OperatorKeys {
    OperatorKeys::from_phrase(ABANDON, "cosmos", 1).unwrap()
}

fn saved_key_file(dir: &Path) -> PathBuf {
    let path = dir.join("operator.key");
    abandon_keys()
        .save(&path, PASSPHRASE, &test_kdf(), false)
        .unwrap();
    path
}

// --- Published vectors --------------------------------------------------------------------------

/// BIP-39 reference vector (trezor/python-mnemonic vectors.json, passphrase "TREZOR").
#[test]
fn bip39_seed_matches_the_reference_vector() {
    let seed = Mnemonic::parse(ABANDON).unwrap().to_seed("TREZOR");
    assert_eq!(
        hex::encode(seed.as_slice()),
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
    );
}

/// BIP-32 test vector 1 (bip-0032.mediawiki): seed 000102…0f.
#[test]
fn bip32_derivation_matches_test_vector_1() {
    let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
    let master = derive_signing_key(&seed, "m").unwrap();
    assert_eq!(
        hex::encode(master.to_bytes()),
        "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35"
    );
    let vectors = [
        ("m/0'", "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7"),
        ("m/0'/1", "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs"),
    ];
    for (path, xprv) in vectors {
        let expected = bip32::XPrv::from_str(xprv).unwrap();
        let derived = derive_signing_key(&seed, path).unwrap();
        assert_eq!(
            derived.to_bytes(),
            expected.private_key().to_bytes(),
            "path {path}"
        );
    }
}

/// The standard test mnemonic's Cosmos Hub address on m/44'/118'/0'/0/0, as asserted by several
/// independent wallets' test suites; the same key under the "neutron" prefix likewise.
#[test]
fn account_address_matches_the_known_cosmos_address() {
    let keys = abandon_keys();
    assert_eq!(
        keys.account_address(),
        "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
    );
    assert_eq!(
        keys.account_address_with_prefix("neutron").unwrap(),
        "neutron19rl4cm2hmr8afy4kldpxz3fka4jguq0aclyl9j"
    );
    assert_eq!(keys.public_info().account_path, "m/44'/118'/0'/0/0");
}

// --- Key separation and rotation ----------------------------------------------------------------

#[test]
fn attestation_key_is_separate_from_the_account_key() {
    let keys = abandon_keys();
    assert_ne!(keys.account_pubkey(), keys.attestation_pubkey());
    assert_eq!(keys.attestation_index(), 1);
    assert_eq!(keys.attestation_path(), "m/44'/118'/1'/0/0");
    let seed = Mnemonic::parse(ABANDON).unwrap().to_seed("");
    let expected = derive_signing_key(seed.as_slice(), &attestation_path(1).unwrap()).unwrap();
    assert_eq!(
        keys.attestation_pubkey().as_slice(),
        expected.verifying_key().to_encoded_point(true).as_bytes()
    );
    assert_eq!(account_path(), "m/44'/118'/0'/0/0");
}

#[test]
fn rotation_moves_the_attestation_key_to_the_next_index_only() {
    let mut keys = abandon_keys();
    let account_before = keys.account_pubkey();
    let attestation_before = keys.attestation_pubkey();
    assert_eq!(keys.rotate_attestation().unwrap(), 2);
    assert_eq!(keys.account_pubkey(), account_before);
    assert_ne!(keys.attestation_pubkey(), attestation_before);
    let at_index_2 = OperatorKeys::from_phrase(ABANDON, "cosmos", 2).unwrap();
    assert_eq!(keys.attestation_pubkey(), at_index_2.attestation_pubkey());
    assert_eq!(keys.attestation_path(), "m/44'/118'/2'/0/0");
}

#[test]
fn attestation_index_zero_is_refused() {
    let err = OperatorKeys::from_phrase(ABANDON, "cosmos", 0).unwrap_err();
    assert!(matches!(
        err,
        KeyError::InvalidAttestationIndex { index: 0, .. }
    ));
    assert!(matches!(
        OperatorKeys::from_phrase(ABANDON, "cosmos", 1 << 31).unwrap_err(),
        KeyError::InvalidAttestationIndex { .. }
    ));
}

// --- Mnemonics and prefixes ---------------------------------------------------------------------

#[test]
fn generated_mnemonics_have_24_words_and_differ() {
    let first = Mnemonic::generate().unwrap();
    let second = Mnemonic::generate().unwrap();
    assert_eq!(first.word_count(), 24);
    assert_ne!(first.phrase().as_str(), second.phrase().as_str());
    let reparsed = Mnemonic::parse(&first.phrase()).unwrap();
    assert_eq!(reparsed.phrase().as_str(), first.phrase().as_str());
}

#[test]
fn mnemonic_parsing_tolerates_spacing_and_case() {
    let messy = format!("  {}\n", ABANDON.to_uppercase().replace(' ', "   "));
    assert_eq!(Mnemonic::parse(&messy).unwrap().phrase().as_str(), ABANDON);
}

#[test]
fn invalid_mnemonics_are_refused() {
    let bad_checksum = "abandon ".repeat(12);
    assert!(matches!(
        Mnemonic::parse(&bad_checksum).unwrap_err(),
        KeyError::InvalidMnemonic { .. }
    ));
    assert!(matches!(
        Mnemonic::parse("abandon abandon notaword").unwrap_err(),
        KeyError::InvalidMnemonic { .. }
    ));
}

#[test]
fn invalid_prefixes_are_refused() {
    for prefix in ["", "Cosmos", "wasm!"] {
        assert!(
            matches!(
                OperatorKeys::from_phrase(ABANDON, prefix, 1).unwrap_err(),
                KeyError::InvalidPrefix { .. }
            ),
            "prefix {prefix:?}"
        );
    }
}

#[test]
fn debug_output_never_contains_secrets() {
    let keys = abandon_keys();
    let secret_hex = hex::encode(keys.account_signing_key().to_bytes());
    let printed = format!("{keys:?} {:?}", Mnemonic::parse(ABANDON).unwrap());
    assert!(!printed.contains("abandon"), "{printed}");
    assert!(!printed.contains(&secret_hex));
    assert!(printed.contains("redacted"));
}

// --- Signatures ---------------------------------------------------------------------------------

#[test]
fn attestation_signatures_verify_with_k256_and_cosmwasm() {
    let keys = abandon_keys();
    let api = MockApi::default();
    for message in [b"job 1".as_slice(), b"job 2", b"another digest"] {
        let digest: [u8; 32] = Sha256::digest(message).into();
        let signature = keys.sign_attestation(&digest).unwrap();

        let parsed = Signature::from_slice(&signature).unwrap();
        assert!(parsed.normalize_s().is_none(), "signature must be low-S");
        let verifying = VerifyingKey::from_sec1_bytes(&keys.attestation_pubkey()).unwrap();
        verifying.verify_prehash(&digest, &parsed).unwrap();

        assert!(api
            .secp256k1_verify(&digest, &signature, &keys.attestation_pubkey())
            .unwrap());
        // The account key did not sign it, and another digest does not verify.
        assert!(!api
            .secp256k1_verify(&digest, &signature, &keys.account_pubkey())
            .unwrap());
        let other: [u8; 32] = Sha256::digest(b"different").into();
        assert!(!api
            .secp256k1_verify(&other, &signature, &keys.attestation_pubkey())
            .unwrap());
    }
}

#[test]
fn account_signatures_are_sha256_ecdsa_low_s() {
    let keys = abandon_keys();
    let sign_bytes = b"cosmos sign doc bytes";
    let signature = keys.sign_account(sign_bytes).unwrap();
    let parsed = Signature::from_slice(&signature).unwrap();
    assert!(parsed.normalize_s().is_none());
    VerifyingKey::from_sec1_bytes(&keys.account_pubkey())
        .unwrap()
        .verify(sign_bytes, &parsed)
        .unwrap();
    let digest: [u8; 32] = Sha256::digest(sign_bytes).into();
    assert!(MockApi::default()
        .secp256k1_verify(&digest, &signature, &keys.account_pubkey())
        .unwrap());
}

// --- Key file -----------------------------------------------------------------------------------

#[test]
fn key_file_round_trips_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved_key_file(dir.path());

    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("abandon"), "the mnemonic must be encrypted");
    assert!(text.contains("\"argon2id\""));
    assert!(text.contains("\"xchacha20poly1305\""));

    let loaded = OperatorKeys::load(&path, PASSPHRASE).unwrap();
    let original = abandon_keys();
    assert_eq!(loaded.public_info(), original.public_info());
    assert_eq!(loaded.mnemonic_phrase().as_str(), ABANDON);
    // No temporary file is left next to the key file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn key_file_round_trips_with_default_kdf_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("operator.key");
    abandon_keys()
        .save(&path, PASSPHRASE, &KdfParams::default(), false)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"memory_kib\": 65536"));
    let loaded = OperatorKeys::load(&path, PASSPHRASE).unwrap();
    assert_eq!(loaded.account_address(), abandon_keys().account_address());
}

#[test]
fn each_save_uses_a_fresh_salt_and_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.key");
    let second = dir.path().join("b.key");
    abandon_keys()
        .save(&first, PASSPHRASE, &test_kdf(), false)
        .unwrap();
    abandon_keys()
        .save(&second, PASSPHRASE, &test_kdf(), false)
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(first).unwrap()).unwrap();
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(second).unwrap()).unwrap();
    assert_ne!(first["kdf"]["salt"], second["kdf"]["salt"]);
    assert_ne!(first["cipher"]["nonce"], second["cipher"]["nonce"]);
    assert_ne!(first["ciphertext"], second["ciphertext"]);
}

#[test]
fn wrong_passphrase_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved_key_file(dir.path());
    let err = OperatorKeys::load(&path, "not the passphrase").unwrap_err();
    assert!(matches!(err, KeyError::WrongPassphrase { path: ref p } if *p == path));
}

fn rewrite_json(path: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let mut document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(&mut document);
    std::fs::write(path, serde_json::to_vec(&document).unwrap()).unwrap();
}

#[test]
fn a_modified_ciphertext_or_header_fails_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved_key_file(dir.path());
    rewrite_json(&path, |doc| {
        let mut bytes = hex::decode(doc["ciphertext"].as_str().unwrap()).unwrap();
        bytes[0] ^= 1;
        doc["ciphertext"] = hex::encode(bytes).into();
    });
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::WrongPassphrase { .. }
    ));

    // A header swapped to someone else's attestation key is caught too (it is associated data).
    let path = saved_key_file(&dir.path().join("second"));
    let other = OperatorKeys::from_phrase(ABANDON, "cosmos", 7).unwrap();
    rewrite_json(&path, |doc| {
        doc["public"]["attestation_pubkey"] = hex::encode(other.attestation_pubkey()).into();
    });
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::WrongPassphrase { .. }
    ));
}

#[test]
fn corrupted_files_are_reported_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved_key_file(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = OperatorKeys::load(&path, PASSPHRASE).unwrap_err();
    assert!(matches!(err, KeyError::Corrupted { path: ref p, .. } if *p == path));
    assert!(err.to_string().contains("operator.key"));

    std::fs::write(&path, b"{\"hello\": 1}").unwrap();
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::Corrupted { .. }
    ));

    std::fs::write(&path, &text).unwrap();
    rewrite_json(&path, |doc| doc["kdf"]["salt"] = "zz".into());
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::Corrupted { .. }
    ));

    std::fs::write(&path, &text).unwrap();
    rewrite_json(&path, |doc| doc["kdf"]["memory_kib"] = u32::MAX.into());
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::Corrupted { .. }
    ));
}

#[test]
fn unknown_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved_key_file(dir.path());
    rewrite_json(&path, |doc| doc["version"] = 2.into());
    assert!(matches!(
        OperatorKeys::load(&path, PASSPHRASE).unwrap_err(),
        KeyError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        }
    ));
}

#[test]
fn missing_existing_and_weak_passphrase_cases() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.key");
    assert!(matches!(
        OperatorKeys::load(&missing, PASSPHRASE).unwrap_err(),
        KeyError::NotFound { .. }
    ));

    let path = saved_key_file(dir.path());
    assert!(matches!(
        abandon_keys()
            .save(&path, PASSPHRASE, &test_kdf(), false)
            .unwrap_err(),
        KeyError::AlreadyExists { .. }
    ));
    assert!(matches!(
        abandon_keys()
            .save(&dir.path().join("x.key"), "short", &test_kdf(), false)
            .unwrap_err(),
        KeyError::PassphraseTooShort { min: 8 }
    ));
}

#[test]
fn kdf_parameters_are_bounded() {
    assert!(KdfParams::default().validate().is_ok());
    let cases = [
        KdfParams {
            memory_kib: 4,
            iterations: 1,
            parallelism: 1,
        },
        KdfParams {
            memory_kib: 64,
            iterations: 0,
            parallelism: 1,
        },
        KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 0,
        },
        KdfParams {
            memory_kib: u32::MAX,
            iterations: 1,
            parallelism: 1,
        },
    ];
    for params in cases {
        assert!(
            matches!(params.validate(), Err(KeyError::InvalidKdfParams { .. })),
            "{params:?}"
        );
    }
}

// --- Commands -----------------------------------------------------------------------------------

#[test]
fn new_creates_a_loadable_key_file_and_shows_the_mnemonic_once() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys").join("operator.key");
    let outcome = commands::new(&NewArgs {
        key_file: key_file.clone(),
        passphrase: Zeroizing::new(PASSPHRASE.to_owned()),
        bech32_prefix: "cosmwasm".to_owned(),
        kdf: test_kdf(),
        overwrite: false,
    })
    .unwrap();
    assert_eq!(outcome.mnemonic.split(' ').count(), 24);
    assert!(outcome.public.account_address.starts_with("cosmwasm1"));
    let printed = outcome.to_string();
    assert!(printed.contains(outcome.mnemonic.as_str()));
    assert!(!format!("{outcome:?}").contains(outcome.mnemonic.as_str()));

    let loaded = OperatorKeys::load(&key_file, PASSPHRASE).unwrap();
    assert_eq!(loaded.public_info(), outcome.public);
    assert_eq!(loaded.mnemonic_phrase().as_str(), outcome.mnemonic.as_str());
}

#[test]
fn import_show_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("operator.key");
    let imported = commands::import(&ImportArgs {
        key_file: key_file.clone(),
        passphrase: Zeroizing::new(PASSPHRASE.to_owned()),
        mnemonic: Zeroizing::new(ABANDON.to_owned()),
        bech32_prefix: "cosmos".to_owned(),
        attestation_index: 1,
        kdf: test_kdf(),
        overwrite: false,
    })
    .unwrap();
    assert_eq!(
        imported.public.account_address,
        "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
    );

    let unverified = commands::show(&ShowArgs {
        key_file: key_file.clone(),
        passphrase: None,
        reveal_mnemonic: false,
    })
    .unwrap();
    assert!(!unverified.verified);
    assert_eq!(unverified.public, imported.public);
    assert!(!unverified.to_string().contains("abandon"));

    assert!(matches!(
        commands::show(&ShowArgs {
            key_file: key_file.clone(),
            passphrase: None,
            reveal_mnemonic: true,
        })
        .unwrap_err(),
        KeyError::PassphraseRequired { .. }
    ));

    let revealed = commands::show(&ShowArgs {
        key_file: key_file.clone(),
        passphrase: Some(Zeroizing::new(PASSPHRASE.to_owned())),
        reveal_mnemonic: true,
    })
    .unwrap();
    assert!(revealed.verified);
    assert_eq!(
        revealed.mnemonic.as_deref().map(String::as_str),
        Some(ABANDON)
    );
    assert!(!format!("{revealed:?}").contains("abandon"));

    let rotated = commands::rotate_attestation(&RotateAttestationArgs {
        key_file: key_file.clone(),
        passphrase: Zeroizing::new(PASSPHRASE.to_owned()),
        kdf: test_kdf(),
    })
    .unwrap();
    assert_eq!(rotated.previous_index, 1);
    assert_eq!(rotated.previous_pubkey, imported.public.attestation_pubkey);
    assert_eq!(rotated.public.attestation_index, 2);
    let reloaded = OperatorKeys::load(&key_file, PASSPHRASE).unwrap();
    assert_eq!(reloaded.attestation_index(), 2);
    assert_eq!(reloaded.account_address(), imported.public.account_address);
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn public_info_prints_base64_for_contract_messages() {
    let info = abandon_keys().public_info();
    let printed = info.to_string();
    assert!(printed.contains(&info.attestation_pubkey_base64()));
    assert!(printed.contains(&hex::encode(info.attestation_pubkey)));
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["attestation_index"], 1);
    assert_eq!(
        json["account_pubkey"].as_str().unwrap(),
        hex::encode(info.account_pubkey)
    );
}
