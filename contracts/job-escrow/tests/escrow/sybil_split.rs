//! What splitting one stake over many identities buys an attacker under the stake-weighted draw
//! (audit issue #2). The attacker holds a fraction `p` of the active stake and wants `m` of the
//! `k` seats of one job (a colluding quorum). With one identity it can never hold two seats; split
//! over `s` identities, its chance grows towards the limit of infinitely fine splitting, where
//! drawing one of its identities removes none of its stake (while each honest operator drawn is
//! removed with all of its own).
//!
//! The exact probabilities are computed by enumerating every ordered draw, and checked against the
//! contract's own `draw_operators` over 20 000 seeds. `cargo test -p sibyl-job-escrow --test escrow
//! sybil_split -- --nocapture` prints the table quoted in docs/escrow.md.

use cosmwasm_std::{Addr, Uint128};
use sha2::{Digest, Sha256};
use sibyl_api::staking::ActiveOperator;
use sibyl_job_escrow::sampling::draw_operators;

const HONEST: usize = 9;
const K: usize = 3;
const M: usize = 2;
const SEEDS: u32 = 20_000;

/// `HONEST` operators of stake 1 000 each, then the attacker's stake (fraction `p` of the total)
/// split evenly over `identities`.
fn active_set(p: f64, identities: usize) -> Vec<ActiveOperator> {
    let honest_total = 1_000 * HONEST as u128;
    let attacker_total = (honest_total as f64 * p / (1.0 - p)).round() as u128;
    let honest = (0..HONEST).map(|i| (format!("honest{i}"), 1_000));
    let attacker =
        (0..identities).map(|i| (format!("sybil{i}"), attacker_total / identities as u128));
    honest
        .chain(attacker)
        .map(|(address, stake)| ActiveOperator {
            address: Addr::unchecked(address),
            stake: Uint128::new(stake),
        })
        .collect()
}

fn is_sybil(address: &str) -> bool {
    address.starts_with("sybil")
}

/// P(at least `M` of `K` seats go to the attacker), by enumerating ordered draws without
/// replacement, each weighted by stake among the operators not drawn yet.
fn exact(set: &[ActiveOperator]) -> f64 {
    fn walk(set: &[ActiveOperator], taken: &mut Vec<usize>, probability: f64) -> f64 {
        if taken.len() == K {
            let seats = taken
                .iter()
                .filter(|&&i| is_sybil(set[i].address.as_str()))
                .count();
            return if seats >= M { probability } else { 0.0 };
        }
        let remaining: u128 = (0..set.len())
            .filter(|i| !taken.contains(i))
            .map(|i| set[i].stake.u128())
            .sum();
        let mut total = 0.0;
        for i in 0..set.len() {
            if taken.contains(&i) {
                continue;
            }
            let share = set[i].stake.u128() as f64 / remaining as f64;
            taken.push(i);
            total += walk(set, taken, probability * share);
            taken.pop();
        }
        total
    }
    walk(set, &mut Vec::new(), 1.0)
}

/// The limit of `exact` as the attacker's stake is split ever finer: a seat goes to the attacker
/// with probability `a / (a + honest stake not drawn yet)`, and drawing it removes nothing.
fn finest_split_limit(p: f64) -> f64 {
    fn walk(attacker: f64, honest_left: usize, seats_left: usize, attacker_seats: usize) -> f64 {
        if seats_left == 0 {
            return if attacker_seats >= M { 1.0 } else { 0.0 };
        }
        let to_attacker = attacker / (attacker + honest_left as f64);
        to_attacker * walk(attacker, honest_left, seats_left - 1, attacker_seats + 1)
            + (1.0 - to_attacker) * walk(attacker, honest_left - 1, seats_left - 1, attacker_seats)
    }
    walk(HONEST as f64 * p / (1.0 - p), HONEST, K, 0)
}

/// The same probability measured on the contract's draw over `SEEDS` seeds.
fn measured(set: &[ActiveOperator]) -> f64 {
    let hits = (0..SEEDS)
        .filter(|seed| {
            let seed: [u8; 32] = Sha256::digest(seed.to_be_bytes()).into();
            let drawn = draw_operators(set, K, &seed).expect("enough operators");
            drawn.iter().filter(|a| is_sybil(a.as_str())).count() >= M
        })
        .count();
    hits as f64 / f64::from(SEEDS)
}

#[test]
fn splitting_stake_buys_seats_up_to_the_finest_split_limit() {
    println!("attacker stake | identities | P(>= {M} of {K} seats) exact | measured on the contract's draw");
    for p in [0.10, 0.20, 1.0 / 3.0] {
        let limit = finest_split_limit(p);
        let mut previous = -1.0;
        for identities in [1, 2, 3, 10] {
            let set = active_set(p, identities);
            let exact = exact(&set);
            let measured = measured(&set);
            println!(
                "{:>13.1} % | {identities:>10} | {:>26.4} | {measured:.4}",
                p * 100.0,
                exact
            );
            // Four standard deviations of a binomial proportion over SEEDS draws.
            let tolerance = 4.0 * (exact * (1.0 - exact) / f64::from(SEEDS)).sqrt() + 1e-9;
            assert!(
                (measured - exact).abs() <= tolerance,
                "p = {p}, {identities} identities: the contract's draw gives {measured}, the exact probability is {exact}"
            );
            assert!(exact > previous, "more identities never buy fewer seats");
            assert!(exact <= limit + 1e-12);
            previous = exact;
        }
        assert_eq!(exact(&active_set(p, 1)), 0.0, "one identity holds one seat");
        println!(
            "{:>13.1} % | {:>10} | {limit:>26.4} |",
            p * 100.0,
            "unbounded"
        );
    }
}
