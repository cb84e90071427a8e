//! Stake-weighted operator assignment.
//!
//! A job is drawn by `AssignJobs` in a later block than its submission, so what the consumer pays
//! for cannot depend on a draw it could see first. The seed comes from the configured
//! [`SeedSource`]. With [`SeedSource::BlockData`] it is sha256 of the job id, the escrow's
//! [`Entropy`] (every reveal's salt, secret until revealed, folded in) and the chain id, height,
//! time and transaction index of the assigning transaction. A submitter cannot compute it when it
//! pays; the proposer of the assigning block can influence it (time, transaction order, which
//! transactions enter the block). Stake weighting bounds what that buys (a dishonest party still
//! needs `quorum` colluding assigned operators, each of which risks the wrong-result slash), and
//! the seed source is a config enum so a randomness beacon can replace it without touching the
//! rest of the contract.

use cosmwasm_std::{Addr, Env};
use sha2::{Digest, Sha256};
use sibyl_api::escrow::SeedSource;
use sibyl_api::staking::ActiveOperator;

use crate::state::Entropy;

const SEED_DOMAIN: &[u8] = b"sibyl/seed/v2";
const DRAW_DOMAIN: &[u8] = b"sibyl/draw/v1";
const ENTROPY_DOMAIN: &[u8] = b"sibyl/entropy/v1";

/// The accumulator after a reveal of `salt` for `job_id`.
pub fn mix_reveal(entropy: &Entropy, job_id: u64, salt: &[u8]) -> Entropy {
    let mut hasher = Sha256::new();
    hasher.update(ENTROPY_DOMAIN);
    hasher.update(entropy.0);
    hasher.update(job_id.to_be_bytes());
    hasher.update((salt.len() as u64).to_be_bytes());
    hasher.update(salt);
    Entropy(hasher.finalize().into())
}

/// The 32-byte seed a job's assignment is drawn from, in the assigning transaction's `env`.
pub fn job_seed(source: &SeedSource, env: &Env, entropy: &Entropy, job_id: u64) -> [u8; 32] {
    match source {
        SeedSource::BlockData => {
            let chain_id = env.block.chain_id.as_bytes();
            let tx_index = env
                .transaction
                .as_ref()
                .map_or(u32::MAX, |transaction| transaction.index);
            let mut hasher = Sha256::new();
            hasher.update(SEED_DOMAIN);
            hasher.update((chain_id.len() as u64).to_be_bytes());
            hasher.update(chain_id);
            hasher.update(env.block.height.to_be_bytes());
            hasher.update(env.block.time.nanos().to_be_bytes());
            hasher.update(tx_index.to_be_bytes());
            hasher.update(entropy.0);
            hasher.update(job_id.to_be_bytes());
            hasher.finalize().into()
        }
    }
}

/// Draws `count` distinct operators, each draw weighted by stake among those not drawn yet.
/// Returns `None` when fewer than `count` operators have stake. Cost is O(n × count) with n bounded
/// by the staking contract's `max_active_operators`.
pub fn draw_operators(
    operators: &[ActiveOperator],
    count: usize,
    seed: &[u8; 32],
) -> Option<Vec<Addr>> {
    let mut candidates: Vec<(&Addr, u128)> = operators
        .iter()
        .filter(|op| !op.stake.is_zero())
        .map(|op| (&op.address, op.stake.u128()))
        .collect();
    if candidates.len() < count {
        return None;
    }
    // The staking contract reports the total as a Uint128, so the sum fits; `None` otherwise.
    let mut remaining = candidates
        .iter()
        .try_fold(0u128, |sum, (_, stake)| sum.checked_add(*stake))?;
    let mut drawn = Vec::with_capacity(count);
    for draw in 0..count {
        // 128 hash bits reduced modulo the remaining stake: the bias is below remaining / 2^128,
        // under 2^-60 for any stake below 2^68 units.
        let point = draw_point(seed, draw as u32) % remaining;
        let index = pick(&candidates, point);
        let (address, stake) = candidates.remove(index);
        remaining -= stake;
        drawn.push(address.clone());
    }
    Some(drawn)
}

fn draw_point(seed: &[u8; 32], draw: u32) -> u128 {
    let mut hasher = Sha256::new();
    hasher.update(DRAW_DOMAIN);
    hasher.update(seed);
    hasher.update(draw.to_be_bytes());
    let hash: [u8; 32] = hasher.finalize().into();
    let mut high = [0u8; 16];
    high.copy_from_slice(&hash[..16]);
    u128::from_be_bytes(high)
}

/// Index of the candidate whose cumulative stake interval contains `point` (< total stake).
fn pick(candidates: &[(&Addr, u128)], point: u128) -> usize {
    let mut cumulative = 0u128;
    for (index, (_, stake)) in candidates.iter().enumerate() {
        // Cannot overflow: partial sums are bounded by the checked total.
        cumulative += stake;
        if point < cumulative {
            return index;
        }
    }
    // `point < total` guarantees a hit above; the last candidate is the only consistent answer.
    candidates.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::mock_env;
    use cosmwasm_std::Uint128;

    fn operators(stakes: &[u128]) -> Vec<ActiveOperator> {
        stakes
            .iter()
            .enumerate()
            .map(|(i, stake)| ActiveOperator {
                address: Addr::unchecked(format!("op{i}")),
                stake: Uint128::new(*stake),
            })
            .collect()
    }

    #[test]
    fn draws_are_distinct_and_deterministic() {
        let set = operators(&[5, 1, 9, 3, 7]);
        for seed in 0..50u8 {
            let first = draw_operators(&set, 5, &[seed; 32]).unwrap();
            let mut unique = first.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 5);
            assert_eq!(first, draw_operators(&set, 5, &[seed; 32]).unwrap());
        }
    }

    #[test]
    fn zero_stake_operators_are_never_drawn() {
        let set = operators(&[0, 4, 0, 4]);
        assert_eq!(draw_operators(&set, 3, &[1; 32]), None);
        let drawn = draw_operators(&set, 2, &[1; 32]).unwrap();
        assert!(drawn.contains(&Addr::unchecked("op1")));
        assert!(drawn.contains(&Addr::unchecked("op3")));
    }

    #[test]
    fn first_draw_follows_stake() {
        // op0 holds 90 % of the stake; over 1 000 fixed seeds it must be drawn first about 900
        // times (the seeds are fixed, so this is deterministic).
        let set = operators(&[90, 5, 5]);
        let mut first_is_heavy = 0;
        for seed in 0..1000u32 {
            let mut bytes = [0u8; 32];
            bytes[..4].copy_from_slice(&seed.to_be_bytes());
            if draw_operators(&set, 1, &bytes).unwrap()[0] == Addr::unchecked("op0") {
                first_is_heavy += 1;
            }
        }
        assert!((850..=950).contains(&first_is_heavy), "{first_is_heavy}");
    }

    #[test]
    fn seed_depends_on_job_block_and_entropy() {
        let env = mock_env();
        let source = SeedSource::BlockData;
        let entropy = Entropy::default();
        let base = job_seed(&source, &env, &entropy, 1);
        assert_ne!(base, job_seed(&source, &env, &entropy, 2));
        let mut later = env.clone();
        later.block.height += 1;
        assert_ne!(base, job_seed(&source, &later, &entropy, 1));
        let mut other_time = env.clone();
        other_time.block.time = other_time.block.time.plus_nanos(1);
        assert_ne!(base, job_seed(&source, &other_time, &entropy, 1));
        let mut other_chain = env.clone();
        other_chain.block.chain_id = "other".to_string();
        assert_ne!(base, job_seed(&source, &other_chain, &entropy, 1));
        let revealed = mix_reveal(&entropy, 7, &[1; 32]);
        assert_ne!(base, job_seed(&source, &env, &revealed, 1));
    }

    #[test]
    fn every_reveal_moves_the_accumulator() {
        let start = Entropy::default();
        let one = mix_reveal(&start, 1, &[1; 32]);
        assert_ne!(one, start);
        assert_ne!(one, mix_reveal(&start, 2, &[1; 32]));
        assert_ne!(one, mix_reveal(&start, 1, &[2; 32]));
        // Order matters: the accumulator is a chain, not a set.
        let ab = mix_reveal(&mix_reveal(&start, 1, &[1; 32]), 1, &[2; 32]);
        let ba = mix_reveal(&mix_reveal(&start, 1, &[2; 32]), 1, &[1; 32]);
        assert_ne!(ab, ba);
    }
}
