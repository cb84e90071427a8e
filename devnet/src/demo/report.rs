//! The demo's final summary: accuracy, throughput, latency, payouts, slashing, reconciliation.

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use cosmwasm_std::Uint256;
use sibyl_api::staking::{self, OperatorResponse, OperatorStatus, PendingRewardsResponse};

use super::deploy::DENOM;
use super::operators::{Operator, Role, INITIAL_STAKE};
use super::workload::WorkloadOutcome;
use crate::chain::ChainStats;
use sibyl_oracle::chain::{query, ChainClient};
pub use sibyl_oracle::deploy::audit::Reconciliation;
use sibyl_oracle::deploy::audit::{self, Pool};

/// One operator's result.
#[derive(Clone, Debug)]
pub struct OperatorReport {
    pub moniker: String,
    pub address: String,
    pub role: Role,
    pub status: OperatorStatus,
    pub self_bond: u128,
    pub total_stake: u128,
    /// Commission plus the operator's own delegation rewards, withdrawable now.
    pub operator_rewards: u128,
    /// Its delegator's rewards, withdrawable now.
    pub delegator_rewards: u128,
    /// Jobs the operator was slashed for.
    pub slashes: u32,
    /// Stake slashed from its pool (self-bond and delegations), in base denom units.
    pub slashed: u128,
}

/// Everything the demo reports at the end.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub device: String,
    pub submitted: u32,
    pub completed: u32,
    pub failed: u32,
    pub correct: u32,
    pub seconds: f64,
    pub blocks: u64,
    /// Time between blocks: the embedded chain's setting, or the mean on a real chain.
    pub block_time: Duration,
    pub latencies: Vec<u64>,
    pub operators: Vec<OperatorReport>,
    pub reconciliation: Reconciliation,
    pub interrupted: bool,
    /// What only one kind of chain reports.
    pub chain: ChainReport,
}

/// The part of the summary that depends on where the demo ran.
#[derive(Clone, Debug)]
pub enum ChainReport {
    /// The in-process chain: one process holds the chain, every node and the engine.
    Embedded {
        /// Resident memory of the whole process, in KiB: (current, peak), when the OS reports it.
        memory_kib: Option<(u64, u64)>,
        /// The chain thread's counters (transactions, time executing contracts).
        stats: ChainStats,
        /// Inferences run by every node together, and the engine's busy time over them.
        executions: u64,
        engine_busy: Duration,
    },
    /// The local wasmd chain, one `sibyl-oracle run` process per operator.
    Localnet {
        chain_id: String,
        nodes: Vec<NodeReport>,
        /// Gas of the consumer's job requests: (transactions, total gas used).
        request_gas: (u64, u64),
    },
}

/// One `sibyl-oracle run` process at the end of a localnet demo.
#[derive(Clone, Debug)]
pub struct NodeReport {
    pub moniker: String,
    /// Resident memory (current, peak) in KiB, when the OS reports it.
    pub memory_kib: Option<(u64, u64)>,
    /// Inferences it ran and the engine time they took, from its `/metrics`.
    pub executions: u64,
    pub engine_seconds: f64,
    /// Transactions the chain accepted from it.
    pub txs_sent: u64,
}

impl DemoSummary {
    /// Both contracts reconcile.
    pub fn reconciled(&self) -> bool {
        self.reconciliation.escrow_ok() && self.reconciliation.staking_ok()
    }

    /// Settled jobs per second of wall time.
    pub fn jobs_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            f64::from(self.completed + self.failed) / self.seconds
        } else {
            0.0
        }
    }

    /// Settled jobs per block: bound by the block time and the open-job limit, not the machine.
    pub fn jobs_per_block(&self) -> f64 {
        if self.blocks > 0 {
            f64::from(self.completed + self.failed) / self.blocks as f64
        } else {
            0.0
        }
    }

    /// Accuracy of completed jobs against the true labels.
    pub fn accuracy(&self) -> f64 {
        if self.completed == 0 {
            0.0
        } else {
            f64::from(self.correct) / f64::from(self.completed)
        }
    }
}

/// The contracts the summary reads.
pub struct Contracts<'a> {
    pub staking: &'a str,
    pub escrow: &'a str,
    pub denom: &'a str,
}

/// Reads the operators' standing and both contracts' books from the chain through `client`.
pub async fn summarize<C: ChainClient>(
    client: &C,
    contracts: Contracts<'_>,
    operators: &[Operator],
    outcome: WorkloadOutcome,
    device: &str,
    block_time: Duration,
    chain: ChainReport,
) -> anyhow::Result<DemoSummary> {
    let mut completed = 0;
    let mut failed = 0;
    let mut correct = 0;
    let mut latencies = Vec::new();
    let mut slashes = std::collections::HashMap::<String, u32>::new();
    for job in outcome.jobs.values() {
        let Some(row) = &job.row else { continue };
        match row.status.as_deref() {
            Some("completed") => completed += 1,
            _ => failed += 1,
        }
        if job.predicted == Some(job.label) {
            correct += 1;
        }
        latencies.extend(row.latency_blocks());
        for (operator, _) in &row.slashed {
            *slashes.entry(operator.clone()).or_default() += 1;
        }
    }

    let mut reports = Vec::new();
    for operator in operators {
        let info: OperatorResponse = query(
            client,
            contracts.staking,
            &staking::QueryMsg::Operator {
                address: operator.address.clone(),
            },
        )
        .await
        .context("cannot query an operator")?;
        let own: PendingRewardsResponse = query(
            client,
            contracts.staking,
            &staking::QueryMsg::PendingRewards {
                delegator: operator.address.clone(),
                operator: operator.address.clone(),
            },
        )
        .await?;
        let delegated: PendingRewardsResponse = query(
            client,
            contracts.staking,
            &staking::QueryMsg::PendingRewards {
                delegator: operator.delegator.clone(),
                operator: operator.address.clone(),
            },
        )
        .await?;
        reports.push(OperatorReport {
            moniker: operator.moniker.clone(),
            address: operator.address.clone(),
            role: operator.role,
            status: info.status,
            self_bond: info.self_bond.u128(),
            total_stake: info.total_stake.u128(),
            operator_rewards: own.rewards.u128().saturating_add(own.commission.u128()),
            delegator_rewards: delegated.rewards.u128(),
            slashes: slashes.get(&operator.address).copied().unwrap_or_default(),
            // Nobody undelegates in the demo: what the pool lost was slashed.
            slashed: INITIAL_STAKE.saturating_sub(info.total_stake.u128()),
        });
    }

    let pools: Vec<Pool> = operators
        .iter()
        .map(|operator| Pool {
            operator: operator.address.clone(),
            delegators: vec![operator.address.clone(), operator.delegator.clone()],
        })
        .collect();
    let reconciliation = audit::reconcile(
        client,
        contracts.escrow,
        contracts.staking,
        contracts.denom,
        &pools,
    )
    .await?;
    Ok(DemoSummary {
        device: device.to_string(),
        submitted: u32::try_from(outcome.jobs.len()).unwrap_or(u32::MAX),
        completed,
        failed,
        correct,
        seconds: outcome.elapsed.as_secs_f64(),
        blocks: outcome.blocks,
        block_time,
        latencies,
        operators: reports,
        reconciliation,
        interrupted: outcome.interrupted,
        chain,
    })
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(f, "== summary ==")?;
        if self.interrupted {
            writeln!(f, "(interrupted before every job settled)")?;
        }
        writeln!(f, "device:      {}", self.device)?;
        writeln!(
            f,
            "jobs:        {} submitted, {} completed, {} failed (no quorum)",
            self.submitted, self.completed, self.failed
        )?;
        writeln!(
            f,
            "accuracy:    {}/{} completed jobs agree with the true label ({:.1} %)",
            self.correct,
            self.completed,
            100.0 * self.accuracy()
        )?;
        writeln!(
            f,
            "throughput:  {:.2} jobs settled per block, {:.1} jobs/s ({:.2} s wall, {} blocks of {} ms)",
            self.jobs_per_block(),
            self.jobs_per_second(),
            self.seconds,
            self.blocks,
            self.block_time.as_millis()
        )?;
        if let (Some(min), Some(max)) = (self.latencies.iter().min(), self.latencies.iter().max()) {
            let mean = self.latencies.iter().sum::<u64>() as f64 / self.latencies.len() as f64;
            writeln!(
                f,
                "latency:     submit -> settlement in {min}..{max} blocks (mean {mean:.2})"
            )?;
        }
        write!(f, "{}", self.chain)?;
        writeln!(f, "operators:")?;
        writeln!(
            f,
            "  {:<12} {:<18} {:>12} {:>12} {:>12} {:>12} {:>7} {:>14}",
            "operator",
            "status",
            "self-bond",
            "stake",
            "op rewards",
            "del rewards",
            "slashes",
            format!("slashed ({DENOM})")
        )?;
        for op in &self.operators {
            let status = format!("{:?}{}", op.status, op.role.label());
            writeln!(
                f,
                "  {:<12} {:<18} {:>12} {:>12} {:>12} {:>12} {:>7} {:>14}",
                op.moniker,
                status,
                op.self_bond,
                op.total_stake,
                op.operator_rewards,
                op.delegator_rewards,
                op.slashes,
                op.slashed
            )?;
        }
        let r = &self.reconciliation;
        writeln!(
            f,
            "escrow:      balance {} == open escrow {} + pending treasury {}: {}",
            r.escrow_balance,
            r.open_escrow,
            r.pending_treasury,
            if r.escrow_ok() { "ok" } else { "MISMATCH" }
        )?;
        let dust = if r.staking_balance >= r.staking_owed {
            r.staking_balance - r.staking_owed
        } else {
            Uint256::zero()
        };
        write!(
            f,
            "staking:     balance {} == {} + carried reward fractions {} (bound {}): {}",
            r.staking_balance,
            r.staking_detail,
            dust,
            r.staking_dust_bound,
            if r.staking_ok() { "ok" } else { "MISMATCH" }
        )
    }
}

impl fmt::Display for ChainReport {
    /// Lines of their own, each ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainReport::Embedded {
                memory_kib,
                stats,
                executions,
                engine_busy,
            } => {
                if let Some((current, peak)) = memory_kib {
                    writeln!(
                        f,
                        "memory:      {:.1} MiB resident now, {:.1} MiB peak (whole process: chain, every node, engine)",
                        *current as f64 / 1024.0,
                        *peak as f64 / 1024.0,
                    )?;
                }
                writeln!(
                    f,
                    "time:        inference engine busy {:.3} s for {} inferences ({:.3} ms each); contracts {:.3} s over {} txs ({:.3} ms each), queries {:.3} s over {}",
                    engine_busy.as_secs_f64(),
                    executions,
                    per_item_ms(*engine_busy, *executions),
                    stats.execute_time.as_secs_f64(),
                    stats.transactions,
                    per_item_ms(stats.execute_time, stats.transactions),
                    stats.query_time.as_secs_f64(),
                    stats.queries,
                )
            }
            ChainReport::Localnet {
                chain_id,
                nodes,
                request_gas: (requests, gas),
            } => {
                writeln!(
                    f,
                    "chain:       {chain_id} (wasmd); job requests used {} gas each on average ({requests} txs)",
                    gas.checked_div(*requests).unwrap_or_default()
                )?;
                writeln!(
                    f,
                    "nodes:       {:<12} {:>9} {:>9} {:>10} {:>12} {:>8}",
                    "operator", "RSS MiB", "peak MiB", "inferences", "engine ms/inf", "txs"
                )?;
                for node in nodes {
                    let (current, peak) = node.memory_kib.map_or((f64::NAN, f64::NAN), |(c, p)| {
                        (c as f64 / 1024.0, p as f64 / 1024.0)
                    });
                    let per_inference = if node.executions > 0 {
                        node.engine_seconds * 1e3 / node.executions as f64
                    } else {
                        0.0
                    };
                    writeln!(
                        f,
                        "             {:<12} {:>9.1} {:>9.1} {:>10} {:>12.3} {:>8}",
                        node.moniker, current, peak, node.executions, per_inference, node.txs_sent
                    )?;
                }
                Ok(())
            }
        }
    }
}

fn per_item_ms(total: std::time::Duration, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total.as_secs_f64() * 1e3 / count as f64
    }
}
