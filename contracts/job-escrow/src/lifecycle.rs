//! A job's lifecycle in one place: loading it, which phase it is in at a height, when it can be
//! settled, and what each assigned operator's outcome is. Commit, decline, reveal, settlement and
//! the queries all ask this module, so the rules cannot drift apart.
//!
//! Phases of an open job:
//! - **Assignment** until `AssignJobs` draws its operators, in a later block than the submission.
//! - **Commit** until every assigned operator has committed or declined, or the commit deadline
//!   has passed.
//! - **Reveal** from then until every committed operator has revealed or the reveal deadline has
//!   passed.
//! - **Awaiting settlement** afterwards: anyone may call `Settle`.

use cosmwasm_std::{Binary, Storage};
use sibyl_api::escrow::{JobPhase, JobStatus, OperatorOutcome, WorkAction};

use crate::error::ContractError;
use crate::state::{Assignment, Job, Progress, ASSIGNMENTS, JOBS, JOB_PROGRESS};

pub fn load_job(storage: &dyn Storage, job_id: u64) -> Result<Job, ContractError> {
    JOBS.may_load(storage, job_id)?
        .ok_or(ContractError::UnknownJob { job_id })
}

pub fn load_open_job(storage: &dyn Storage, job_id: u64) -> Result<Job, ContractError> {
    let job = load_job(storage, job_id)?;
    if job.status != JobStatus::Open {
        return Err(ContractError::JobNotOpen { job_id });
    }
    Ok(job)
}

pub fn load_progress(storage: &dyn Storage, job_id: u64) -> Result<Progress, ContractError> {
    Ok(JOB_PROGRESS.may_load(storage, job_id)?.unwrap_or_default())
}

/// Commits (and declines) are closed once every operator has answered or the commit deadline
/// has passed; reveals are open from then on until the reveal deadline.
pub fn commit_phase_closed(job: &Job, progress: &Progress, height: u64) -> bool {
    progress.commits + progress.declines >= job.redundancy || height > job.commit_deadline
}

/// Nothing more can happen to the job but settlement (never before it is assigned).
pub fn settleable(job: &Job, progress: &Progress, height: u64) -> bool {
    !job.awaits_assignment()
        && (height > job.reveal_deadline
            || (commit_phase_closed(job, progress, height) && progress.reveals == progress.commits))
}

pub fn phase(job: &Job, progress: &Progress, height: u64) -> Option<JobPhase> {
    if job.status != JobStatus::Open {
        return None;
    }
    Some(if job.awaits_assignment() {
        JobPhase::Assignment
    } else if !commit_phase_closed(job, progress, height) {
        JobPhase::Commit
    } else if settleable(job, progress, height) {
        JobPhase::AwaitingSettlement
    } else {
        JobPhase::Reveal
    })
}

/// What an operator that has neither revealed nor declined must do at `height`, and until when.
pub fn work_action(
    job: &Job,
    progress: &Progress,
    committed: bool,
    height: u64,
) -> (WorkAction, u64) {
    if !committed {
        if height <= job.commit_deadline {
            return (WorkAction::Commit, job.commit_deadline);
        }
        return (WorkAction::Missed, job.reveal_deadline);
    }
    if height > job.reveal_deadline {
        return (WorkAction::Missed, job.reveal_deadline);
    }
    if commit_phase_closed(job, progress, height) {
        (WorkAction::Reveal, job.reveal_deadline)
    } else {
        (WorkAction::AwaitRevealPhase, job.reveal_deadline)
    }
}

/// Each assigned operator's answer (`None`: neither committed nor declined), in assignment
/// order. Reads no assignment when nobody answered.
pub fn load_assignments(
    storage: &dyn Storage,
    job_id: u64,
    job: &Job,
    progress: &Progress,
) -> Result<Vec<Option<Assignment>>, ContractError> {
    let answered = progress.commits + progress.declines > 0;
    job.operators
        .iter()
        .map(|operator| {
            if !answered {
                return Ok(None);
            }
            Ok(ASSIGNMENTS.may_load(storage, (job_id, operator))?)
        })
        .collect()
}

/// The output hash revealed most often, if it reached `quorum` and no other hash ties with it.
/// With the strict-majority quorum `SubmitJob` enforces a tie cannot reach the quorum; the check
/// stays for jobs submitted before 0.2.0.
pub fn quorum_winner(assignments: &[Option<Assignment>], quorum: u32) -> Option<Binary> {
    let mut counts: Vec<(&Binary, u32)> = Vec::new();
    for hash in assignments
        .iter()
        .flatten()
        .filter_map(Assignment::output_hash)
    {
        match counts.iter_mut().find(|(seen, _)| *seen == hash) {
            Some((_, count)) => *count += 1,
            None => counts.push((hash, 1)),
        }
    }
    let best = counts.iter().map(|(_, count)| *count).max()?;
    let mut leaders = counts.iter().filter(|(_, count)| *count == best);
    let (leader, _) = leaders.next()?;
    if best < quorum || leaders.next().is_some() {
        return None;
    }
    Some((*leader).clone())
}

/// How a job ends: its terminal status and winning output hash.
pub struct Decision {
    pub status: JobStatus,
    pub winner: Option<Binary>,
}

pub fn decide(job: &Job, assignments: &[Option<Assignment>]) -> Decision {
    let winner = quorum_winner(assignments, job.quorum);
    Decision {
        status: if winner.is_some() {
            JobStatus::Completed
        } else {
            JobStatus::Failed
        },
        winner,
    }
}

/// What happened to one assigned operator of a job in `status` with result `result_hash`.
/// `legacy` marks a job closed by 0.1.0, which paid no revealer of a failed job.
pub fn outcome(
    status: JobStatus,
    result_hash: Option<&Binary>,
    legacy: bool,
    assignment: Option<&Assignment>,
) -> OperatorOutcome {
    let declined = assignment.and_then(Assignment::declined).is_some();
    let revealed = assignment.and_then(Assignment::output_hash);
    match status {
        JobStatus::Open => OperatorOutcome::Pending,
        JobStatus::Cancelled if declined => OperatorOutcome::DeclinePaid,
        JobStatus::Cancelled => OperatorOutcome::Unpaid,
        JobStatus::Completed => match revealed {
            None => OperatorOutcome::SlashedMissed,
            Some(hash) if Some(hash) == result_hash => OperatorOutcome::Paid,
            Some(_) => OperatorOutcome::SlashedWrongResult,
        },
        JobStatus::Failed if declined => OperatorOutcome::DeclinePaid,
        JobStatus::Failed => match revealed {
            None => OperatorOutcome::SlashedMissed,
            Some(_) if legacy => OperatorOutcome::Unpaid,
            Some(_) => OperatorOutcome::PaidNoQuorum,
        },
    }
}

/// Whether `job` was closed by 0.1.0 (it stored no refund).
pub fn is_legacy(job: &Job) -> bool {
    job.status != JobStatus::Open && job.refund.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sibyl_api::escrow::DeclineReason;

    fn revealed(hash: &[u8]) -> Option<Assignment> {
        Some(Assignment::Committed {
            commitment: Binary::from([0u8; 32]),
            output_hash: Some(Binary::from(hash)),
        })
    }

    #[test]
    fn quorum_needs_a_unique_leader() {
        let a = Binary::from(b"a");
        let (ra, rb) = (revealed(b"a"), revealed(b"b"));
        let declined = Some(Assignment::Declined(DeclineReason::InvalidInput));
        assert_eq!(
            quorum_winner(&[ra.clone(), ra.clone(), rb.clone()], 2),
            Some(a.clone())
        );
        assert_eq!(quorum_winner(&[ra.clone(), rb.clone(), None], 1), None);
        assert_eq!(
            quorum_winner(&[ra.clone(), None, declined.clone()], 2),
            None
        );
        assert_eq!(quorum_winner(&[None, declined], 1), None);
        assert_eq!(quorum_winner(&[ra, None], 1), Some(a));
    }

    #[test]
    fn outcomes_follow_status_and_answer() {
        let hash = Binary::from(b"a");
        let right = revealed(b"a");
        let wrong = revealed(b"b");
        let declined = Some(Assignment::Declined(DeclineReason::InputUnavailable));
        let committed = Some(Assignment::Committed {
            commitment: Binary::from([0u8; 32]),
            output_hash: None,
        });
        let done =
            |a: &Option<Assignment>| outcome(JobStatus::Completed, Some(&hash), false, a.as_ref());
        assert_eq!(done(&right), OperatorOutcome::Paid);
        assert_eq!(done(&wrong), OperatorOutcome::SlashedWrongResult);
        assert_eq!(done(&declined), OperatorOutcome::SlashedMissed);
        assert_eq!(done(&committed), OperatorOutcome::SlashedMissed);
        assert_eq!(done(&None), OperatorOutcome::SlashedMissed);
        let failed =
            |a: &Option<Assignment>, legacy| outcome(JobStatus::Failed, None, legacy, a.as_ref());
        assert_eq!(failed(&wrong, false), OperatorOutcome::PaidNoQuorum);
        assert_eq!(failed(&wrong, true), OperatorOutcome::Unpaid);
        assert_eq!(failed(&declined, false), OperatorOutcome::DeclinePaid);
        assert_eq!(failed(&committed, false), OperatorOutcome::SlashedMissed);
        assert_eq!(
            outcome(JobStatus::Cancelled, None, false, declined.as_ref()),
            OperatorOutcome::DeclinePaid
        );
        assert_eq!(
            outcome(JobStatus::Cancelled, None, false, None),
            OperatorOutcome::Unpaid
        );
        assert_eq!(
            outcome(JobStatus::Open, None, false, right.as_ref()),
            OperatorOutcome::Pending
        );
    }
}
