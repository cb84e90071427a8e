//! Does each contract hold exactly what it owes? Read from bank balances and contract queries
//! only, so it holds on any chain, for any client.
//!
//! Escrow: balance == open jobs' escrowed prices + treasury not yet withdrawn.
//! Staking: balance == bonded stake + withdrawable rewards and commission + income carried for
//! later (forfeited by warming shares, or rounding), within a dust bound.

use cosmwasm_std::Uint256;
use sibyl_api::escrow::{self, JobStatus, JobsFilter, JobsResponse, TreasuryResponse};
use sibyl_api::staking::{self, OperatorResponse, PendingRewardsResponse};

use crate::chain::{query, ChainClient, ChainError};

/// One operator's pool and the delegators to count in it (the operator itself included when it
/// has a self-bond).
#[derive(Clone, Debug)]
pub struct Pool {
    pub operator: String,
    pub delegators: Vec<String>,
}

/// Whether each contract's bank balance equals what it owes.
#[derive(Clone, Debug)]
pub struct Reconciliation {
    pub escrow_balance: Uint256,
    pub open_escrow: Uint256,
    pub pending_treasury: Uint256,
    pub staking_balance: Uint256,
    /// Bonded stake plus withdrawable rewards and commission (each rounded down) plus carried
    /// income.
    pub staking_owed: Uint256,
    /// Most the balance may exceed `staking_owed` by: the contract keeps reward fractions below
    /// one unit per delegation and per pool (carried, never lost), which queries round down.
    pub staking_dust_bound: Uint256,
    pub staking_detail: String,
}

impl Reconciliation {
    pub fn escrow_ok(&self) -> bool {
        self.escrow_balance == self.open_escrow + self.pending_treasury
    }

    pub fn staking_ok(&self) -> bool {
        self.staking_balance >= self.staking_owed
            && self.staking_balance - self.staking_owed <= self.staking_dust_bound
    }
}

/// Reconciles both contracts; `pools` must list every pool with stake.
pub async fn reconcile<C: ChainClient>(
    client: &C,
    escrow: &str,
    staking: &str,
    denom: &str,
    pools: &[Pool],
) -> Result<Reconciliation, ChainError> {
    let escrow_balance = client.balance(escrow, denom).await?;
    let mut open_escrow = Uint256::zero();
    let mut start_after = None;
    loop {
        let page: JobsResponse = query(
            client,
            escrow,
            &escrow::QueryMsg::Jobs {
                filter: JobsFilter::Status {
                    status: JobStatus::Open,
                },
                start_after,
                limit: Some(escrow::MAX_QUERY_LIMIT),
            },
        )
        .await?;
        let Some(last) = page.jobs.last() else { break };
        start_after = Some(last.job_id);
        for job in &page.jobs {
            open_escrow += job.price.amount;
        }
    }
    let treasury: TreasuryResponse = query(client, escrow, &escrow::QueryMsg::Treasury {}).await?;

    let staking_balance = client.balance(staking, denom).await?;
    let (staking_owed, staking_detail) = staking_owed(client, staking, pools).await?;
    // Each delegation rounds its rewards and its forfeited income down, and each pool its carry.
    let dust: usize = pools.iter().map(|pool| 2 * pool.delegators.len() + 1).sum();
    Ok(Reconciliation {
        escrow_balance,
        open_escrow,
        pending_treasury: treasury.pending.amount,
        staking_balance,
        staking_owed,
        staking_dust_bound: Uint256::from(dust as u128),
        staking_detail,
    })
}

async fn staking_owed<C: ChainClient>(
    client: &C,
    staking: &str,
    pools: &[Pool],
) -> Result<(Uint256, String), ChainError> {
    let mut stake = Uint256::zero();
    let mut rewards = Uint256::zero();
    let mut undistributed = Uint256::zero();
    for pool in pools {
        let info: OperatorResponse = query(
            client,
            staking,
            &staking::QueryMsg::Operator {
                address: pool.operator.clone(),
            },
        )
        .await?;
        stake += Uint256::from(info.total_stake);
        undistributed += Uint256::from(info.undistributed_rewards);
        for delegator in &pool.delegators {
            let pending: PendingRewardsResponse = query(
                client,
                staking,
                &staking::QueryMsg::PendingRewards {
                    delegator: delegator.clone(),
                    operator: pool.operator.clone(),
                },
            )
            .await?;
            rewards += Uint256::from(pending.rewards) + Uint256::from(pending.commission);
            undistributed += Uint256::from(pending.forfeited);
        }
    }
    let detail = format!(
        "bonded {stake} + withdrawable rewards and commission {rewards} + undistributed (warm-up) {undistributed}"
    );
    Ok((stake + rewards + undistributed, detail))
}
