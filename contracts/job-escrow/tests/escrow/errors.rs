//! Every error of SubmitJob, Commit, Reveal, Settle and Cancel.

use cosmwasm_std::{coin, coins, Binary, HexBinary};
use cw_multi_test::Executor;
use sibyl_api::escrow::{ExecuteMsg, JobInput};
use sibyl_job_escrow::ContractError;

use crate::suite::*;

const OUTPUT: &[u8] = b"canonical output";

fn committed_job(suite: &mut Suite) -> (u64, Vec<cosmwasm_std::Addr>) {
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    for operator in &assigned {
        suite.commit(job_id, operator, OUTPUT).unwrap();
    }
    (job_id, assigned)
}

#[test]
fn submit_unknown_model() {
    let mut suite = Suite::new(3);
    let unknown = HexBinary::from(vec![7u8; 32]);
    let msg = ExecuteMsg::SubmitJob {
        model_hash: unknown.clone(),
        input: JobInput::Inline {
            data: Binary::from(b"x"),
        },
        redundancy: Some(1),
        quorum: Some(1),
        callback: false,
    };
    let user = suite.user.clone();
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(suite.price(1), DENOM)),
        ContractError::UnknownModel {
            model_hash: unknown.to_hex(),
        },
    );
}

#[test]
fn submit_input_too_large_or_empty() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let big = vec![0u8; MAX_INLINE_INPUT as usize + 1];
    let msg = suite.submit_msg(1, 1, &big, false);
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(suite.price(1), DENOM)),
        ContractError::InputTooLarge {
            size: big.len(),
            max: MAX_INLINE_INPUT,
        },
    );
    let msg = suite.submit_msg(1, 1, b"", false);
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(suite.price(1), DENOM)),
        ContractError::EmptyInput,
    );
}

#[test]
fn submit_remote_input_is_checked_and_accepted() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let remote = |suite: &Suite, hash: Vec<u8>, uri: &str| ExecuteMsg::SubmitJob {
        model_hash: suite.model_hash.clone(),
        input: JobInput::Remote {
            hash: HexBinary::from(hash),
            uri: uri.to_string(),
            size: INPUT.len() as u64,
        },
        redundancy: Some(1),
        quorum: Some(1),
        callback: false,
    };
    let funds = coins(suite.price(1), DENOM);
    let msg = remote(&suite, vec![1; 31], "ipfs://x");
    assert_error(
        suite.execute_with_funds(&user, &msg, &funds),
        ContractError::InvalidHash {
            field: "input hash",
            len: 31,
        },
    );
    let msg = remote(&suite, vec![1; 32], "");
    assert_error(
        suite.execute_with_funds(&user, &msg, &funds),
        ContractError::InvalidUri { len: 0, max: 512 },
    );
    let msg = remote(&suite, vec![1; 32], "ipfs://x");
    let response = suite.execute_with_funds(&user, &msg, &funds).unwrap();
    let job = suite.job(job_id_of(&response));
    assert_eq!(job.job.input_hash, HexBinary::from(vec![1; 32]));
    assert_eq!(
        job.input,
        JobInput::Remote {
            hash: HexBinary::from(vec![1; 32]),
            uri: "ipfs://x".to_string(),
            size: INPUT.len() as u64,
        }
    );
}

#[test]
fn submit_bad_redundancy_or_quorum() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    let cases = [
        (
            2,
            3,
            ContractError::InvalidQuorum {
                quorum: 3,
                redundancy: 2,
            },
        ),
        (
            2,
            0,
            ContractError::InvalidQuorum {
                quorum: 0,
                redundancy: 2,
            },
        ),
        (
            0,
            1,
            ContractError::InvalidRedundancy {
                requested: 0,
                max: 7,
            },
        ),
        (
            8,
            1,
            ContractError::InvalidRedundancy {
                requested: 8,
                max: 7,
            },
        ),
        (
            4,
            3,
            ContractError::NotEnoughOperators {
                requested: 4,
                available: 3,
            },
        ),
        (
            4,
            2,
            ContractError::QuorumNotMajority {
                quorum: 2,
                redundancy: 4,
                min: 3,
            },
        ),
        (
            3,
            1,
            ContractError::QuorumNotMajority {
                quorum: 1,
                redundancy: 3,
                min: 2,
            },
        ),
    ];
    for (k, m, expected) in cases {
        let msg = suite.submit_msg(k, m, INPUT, false);
        let price = suite.price(k.max(1));
        assert_error(
            suite.execute_with_funds(&user, &msg, &coins(price, DENOM)),
            expected,
        );
    }
}

#[test]
fn submit_wrong_funds() {
    let mut suite = Suite::new(3);
    let user = suite.user.clone();
    suite
        .app
        .sudo(cw_multi_test::SudoMsg::Bank(
            cw_multi_test::BankSudo::Mint {
                to_address: user.to_string(),
                amount: coins(1_000_000, "uother"),
            },
        ))
        .unwrap();
    let msg = suite.submit_msg(3, 2, INPUT, false);
    let price = suite.price(3);
    assert_error(
        suite.execute_with_funds(&user, &msg, &[]),
        ContractError::NoPayment {
            expected: price.into(),
            denom: DENOM.to_string(),
        },
    );
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(price - 1, DENOM)),
        ContractError::InsufficientPayment {
            expected: price.into(),
            received: (price - 1).into(),
            denom: DENOM.to_string(),
        },
    );
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(price + 1, DENOM)),
        ContractError::Overpayment {
            expected: price.into(),
            received: (price + 1).into(),
            denom: DENOM.to_string(),
        },
    );
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(price, "uother")),
        ContractError::WrongDenom {
            expected_denom: DENOM.to_string(),
            received: format!("{price}uother"),
        },
    );
    assert_error(
        suite.execute_with_funds(&user, &msg, &[coin(price, "uother"), coin(price, DENOM)]),
        ContractError::WrongDenom {
            expected_denom: DENOM.to_string(),
            received: format!("{price}uother"),
        },
    );
    // Funds with any other message are refused rather than stranded.
    assert_error(
        suite.execute_with_funds(&user, &ExecuteMsg::Settle { job_id: 1 }, &coins(1, DENOM)),
        ContractError::UnexpectedFunds,
    );
}

#[test]
fn submit_deprecated_model() {
    let mut suite = Suite::new(3);
    let admin = suite.admin.clone();
    let model_hash = suite.model_hash.clone();
    suite
        .execute(
            &admin,
            &ExecuteMsg::DeprecateModel {
                model_hash: model_hash.clone(),
            },
        )
        .unwrap();
    let user = suite.user.clone();
    let msg = suite.submit_msg(1, 1, INPUT, false);
    assert_error(
        suite.execute_with_funds(&user, &msg, &coins(suite.price(1), DENOM)),
        ContractError::ModelDeprecated {
            model_hash: model_hash.to_hex(),
        },
    );
}

#[test]
fn commit_errors() {
    let mut suite = Suite::new(4);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    let outsider = suite.unassigned_operator(&assigned);
    assert_error(
        suite.commit(job_id, &outsider, OUTPUT),
        ContractError::NotAssigned {
            job_id,
            operator: outsider.to_string(),
        },
    );
    assert_error(
        suite.commit(99, &assigned[0], OUTPUT),
        ContractError::UnknownJob { job_id: 99 },
    );
    assert_error(
        suite.execute(
            &assigned[0].clone(),
            &ExecuteMsg::Commit {
                job_id,
                commitment: Binary::from(vec![1u8; 31]),
            },
        ),
        ContractError::InvalidCommitment { len: 31 },
    );
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    assert_error(
        suite.commit(job_id, &assigned[0], OUTPUT),
        ContractError::AlreadyCommitted {
            job_id,
            operator: assigned[0].to_string(),
        },
    );
    let deadline = suite.job(job_id).job.commit_deadline;
    suite.advance(COMMIT_WINDOW + 1);
    assert_error(
        suite.commit(job_id, &assigned[1], OUTPUT),
        ContractError::CommitDeadlinePassed { job_id, deadline },
    );
}

#[test]
fn reveal_errors_before_the_reveal_phase() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    assert_error(
        suite.reveal(job_id, &assigned[0], OUTPUT),
        ContractError::RevealWithoutCommit {
            job_id,
            operator: assigned[0].to_string(),
        },
    );
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    let commit_deadline = suite.job(job_id).job.commit_deadline;
    assert_error(
        suite.reveal(job_id, &assigned[0], OUTPUT),
        ContractError::RevealPhaseNotOpen {
            job_id,
            commit_deadline,
        },
    );
}

#[test]
fn reveal_mismatch_and_malformed_fields() {
    let mut suite = Suite::new(3);
    let (job_id, assigned) = committed_job(&mut suite);
    let relayer = suite.app.api().addr_make("relayer");
    let operator = assigned[0].clone();

    // Another output than the one committed to.
    let msg = suite.reveal_msg(job_id, &operator, b"another output");
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::CommitmentMismatch {
            job_id,
            operator: operator.to_string(),
        },
    );

    let with = |suite: &Suite, edit: &dyn Fn(&mut Binary, &mut Binary, &mut Binary)| {
        let ExecuteMsg::Reveal {
            job_id,
            operator,
            mut output,
            mut salt,
            mut signature,
        } = suite.reveal_msg(job_id, &assigned[0], OUTPUT)
        else {
            unreachable!()
        };
        edit(&mut output, &mut salt, &mut signature);
        ExecuteMsg::Reveal {
            job_id,
            operator,
            output,
            salt,
            signature,
        }
    };
    let msg = with(&suite, &|_, salt, _| *salt = Binary::from(vec![0u8; 15]));
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::InvalidSalt {
            len: 15,
            min: 16,
            max: 64,
        },
    );
    let msg = with(&suite, &|_, salt, _| *salt = Binary::from(vec![0u8; 32]));
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::CommitmentMismatch {
            job_id,
            operator: operator.to_string(),
        },
    );
    let msg = with(&suite, &|output, _, _| {
        *output = Binary::from(vec![0u8; MAX_OUTPUT as usize + 1])
    });
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::OutputTooLarge {
            size: MAX_OUTPUT as usize + 1,
            max: MAX_OUTPUT,
        },
    );
    let msg = with(&suite, &|_, _, signature| {
        *signature = Binary::from(vec![0u8; 63])
    });
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::MalformedSignature { len: 63 },
    );
    let msg = with(&suite, &|_, _, signature| {
        let mut bytes = signature.to_vec();
        bytes[10] ^= 1;
        *signature = Binary::from(bytes)
    });
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::BadSignature {
            job_id,
            operator: operator.to_string(),
        },
    );
    let msg = with(&suite, &|_, _, signature| {
        *signature = Binary::from(vec![0u8; 64])
    });
    assert_error(
        suite.execute(&relayer, &msg),
        ContractError::BadSignature {
            job_id,
            operator: operator.to_string(),
        },
    );

    suite.reveal(job_id, &operator, OUTPUT).unwrap();
    assert_error(
        suite.reveal(job_id, &operator, OUTPUT),
        ContractError::AlreadyRevealed {
            job_id,
            operator: operator.to_string(),
        },
    );
}

/// Signs the right output with the right key, but over another digest, and checks the escrow
/// refuses it.
fn assert_replay_refused(
    suite: &mut Suite,
    job_id: u64,
    operator: &cosmwasm_std::Addr,
    digest: [u8; 32],
) {
    let ExecuteMsg::Reveal {
        job_id,
        operator: operator_field,
        output,
        salt,
        ..
    } = suite.reveal_msg(job_id, operator, OUTPUT)
    else {
        unreachable!()
    };
    let signature = Suite::sign(suite.key_of(operator), &digest);
    let relayer = suite.app.api().addr_make("relayer");
    assert_error(
        suite.execute(
            &relayer,
            &ExecuteMsg::Reveal {
                job_id,
                operator: operator_field,
                output,
                salt,
                signature,
            },
        ),
        ContractError::BadSignature {
            job_id,
            operator: operator.to_string(),
        },
    );
}

#[test]
fn signatures_replayed_from_another_job_contract_or_chain_are_refused() {
    let mut suite = Suite::new(3);
    let (job_id, assigned) = committed_job(&mut suite);
    let operator = assigned[0].clone();
    let chain_id = suite.config().chain_id;
    let escrow = suite.escrow.to_string();

    let other_job = suite.digest_for(&chain_id, &escrow, job_id + 1, OUTPUT);
    assert_replay_refused(&mut suite, job_id, &operator, other_job);
    let other_contract = suite.app.api().addr_make("other-escrow").to_string();
    let other_contract = suite.digest_for(&chain_id, &other_contract, job_id, OUTPUT);
    assert_replay_refused(&mut suite, job_id, &operator, other_contract);
    let other_chain = suite.digest_for("other-chain-1", &escrow, job_id, OUTPUT);
    assert_replay_refused(&mut suite, job_id, &operator, other_chain);
    // Another operator's key over the right digest.
    let digest = suite.digest(job_id, OUTPUT);
    let foreign = Suite::sign(suite.key_of(&assigned[1]), &digest);
    let ExecuteMsg::Reveal { output, salt, .. } = suite.reveal_msg(job_id, &operator, OUTPUT)
    else {
        unreachable!()
    };
    let relayer = suite.app.api().addr_make("relayer");
    assert_error(
        suite.execute(
            &relayer,
            &ExecuteMsg::Reveal {
                job_id,
                operator: operator.to_string(),
                output,
                salt,
                signature: foreign,
            },
        ),
        ContractError::BadSignature {
            job_id,
            operator: operator.to_string(),
        },
    );
    // The genuine signature still works.
    suite.reveal(job_id, &operator, OUTPUT).unwrap();
}

#[test]
fn a_rotated_out_attestation_key_signs_nothing() {
    let mut suite = Suite::new(3);
    let (job_id, assigned) = committed_job(&mut suite);
    let operator = assigned[0].clone();
    let old_reveal = suite.reveal_msg(job_id, &operator, OUTPUT);
    let new_key = operator_key(1000);
    suite
        .app
        .execute_contract(
            operator.clone(),
            suite.staking.clone(),
            &sibyl_api::staking::ExecuteMsg::RotateAttestationKey {
                attestation_pubkey: pubkey(&new_key),
                key_signature: key_signature(&suite.app, &suite.staking, &operator, &new_key),
            },
            &[],
        )
        .unwrap();
    let relayer = suite.app.api().addr_make("relayer");
    assert_error(
        suite.execute(&relayer, &old_reveal),
        ContractError::BadSignature {
            job_id,
            operator: operator.to_string(),
        },
    );
    let index = suite
        .operators
        .iter()
        .position(|op| op.addr == operator)
        .unwrap();
    suite.operators[index].key = new_key;
    suite.reveal(job_id, &operator, OUTPUT).unwrap();
}

#[test]
fn late_reveal_is_refused() {
    let mut suite = Suite::new(3);
    let (job_id, assigned) = committed_job(&mut suite);
    let deadline = suite.job(job_id).job.reveal_deadline;
    suite.advance(COMMIT_WINDOW + REVEAL_WINDOW + 1);
    assert_error(
        suite.reveal(job_id, &assigned[0], OUTPUT),
        ContractError::RevealDeadlinePassed { job_id, deadline },
    );
}

#[test]
fn reveal_by_an_unassigned_operator_or_on_a_closed_job() {
    let mut suite = Suite::new(4);
    let (job_id, assigned) = committed_job(&mut suite);
    let outsider = suite.unassigned_operator(&assigned);
    assert_error(
        suite.reveal(job_id, &outsider, OUTPUT),
        ContractError::NotAssigned {
            job_id,
            operator: outsider.to_string(),
        },
    );
    for operator in &assigned {
        suite.reveal(job_id, operator, OUTPUT).unwrap();
    }
    assert_error(
        suite.reveal(job_id, &assigned[0], OUTPUT),
        ContractError::JobNotOpen { job_id },
    );
    assert_error(
        suite.commit(job_id, &assigned[0], OUTPUT),
        ContractError::JobNotOpen { job_id },
    );
}

#[test]
fn cancel_errors() {
    let mut suite = Suite::new(3);
    let job_id = suite.submit(3, 2, None);
    let assigned = suite.assigned(job_id);
    let stranger = suite.app.api().addr_make("stranger");
    assert_error(
        suite.execute(&stranger, &ExecuteMsg::Cancel { job_id }),
        ContractError::NotConsumer { job_id },
    );
    assert_error(
        suite.execute(&stranger, &ExecuteMsg::Cancel { job_id: 42 }),
        ContractError::UnknownJob { job_id: 42 },
    );
    suite.commit(job_id, &assigned[0], OUTPUT).unwrap();
    let user = suite.user.clone();
    assert_error(
        suite.execute(&user, &ExecuteMsg::Cancel { job_id }),
        ContractError::JobHasCommits { job_id },
    );

    let second = suite.submit(3, 2, None);
    suite.advance(COMMIT_WINDOW + 1);
    assert_error(
        suite.execute(&user, &ExecuteMsg::Cancel { job_id: second }),
        ContractError::CancelTooLate { job_id: second },
    );
    suite.settle(second).unwrap();
    assert_error(
        suite.execute(&user, &ExecuteMsg::Cancel { job_id: second }),
        ContractError::JobNotOpen { job_id: second },
    );
}

#[test]
fn settle_errors() {
    let mut suite = Suite::new(3);
    assert_error(suite.settle(5), ContractError::UnknownJob { job_id: 5 });
    let job_id = suite.submit(3, 2, None);
    let reveal_deadline = suite.job(job_id).job.reveal_deadline;
    assert_error(
        suite.settle(job_id),
        ContractError::SettlementNotReady {
            job_id,
            reveal_deadline,
        },
    );
}
