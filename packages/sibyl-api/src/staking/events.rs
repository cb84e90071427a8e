//! Typed events of the staking contract (see [`crate::events`] for how they travel).

use cosmwasm_std::{Addr, Binary, Decimal, Timestamp, Uint128};

pub use crate::events::{EventError, TypedEvent};

crate::typed_event!(
    /// `RegisterOperator`.
    OperatorRegistered = "sibyl_staking_operator_registered" {
        operator: Addr,
        moniker: String,
        commission: Decimal,
        attestation_pubkey: Binary,
        self_bond: Uint128,
    }
);

crate::typed_event!(
    /// `EditOperator`: the fields that changed.
    OperatorEdited = "sibyl_staking_operator_edited" {
        operator: Addr,
        moniker: Option<String>,
        commission: Option<Decimal>,
    }
);

crate::typed_event!(
    /// `RotateAttestationKey`.
    AttestationKeyRotated = "sibyl_staking_attestation_key_rotated" {
        operator: Addr,
        attestation_pubkey: Binary,
    }
);

crate::typed_event!(
    /// `LeaveOperator`: the self-bond that started unbonding.
    OperatorLeft = "sibyl_staking_operator_left" {
        operator: Addr,
        amount: Uint128,
        unbonding_entry: Option<u64>,
    }
);

crate::typed_event!(
    /// `Delegate` (and the self-bond of `RegisterOperator`).
    Delegated = "sibyl_staking_delegated" {
        delegator: Addr,
        operator: Addr,
        amount: Uint128,
        shares: Uint128,
        /// When the delegation's warming shares start to earn rewards.
        warm_at: Timestamp,
    }
);

crate::typed_event!(
    /// `Undelegate`.
    Undelegated = "sibyl_staking_undelegated" {
        delegator: Addr,
        operator: Addr,
        amount: Uint128,
        unbonding_entry: Option<u64>,
    }
);

crate::typed_event!(
    /// `Claim`: `amount` to the delegator, `slashed` (partial slashes of the claimed entries)
    /// to the slashed-funds destination.
    Claimed = "sibyl_staking_claimed" {
        delegator: Addr,
        amount: Uint128,
        slashed: Uint128,
    }
);

crate::typed_event!(
    /// `WithdrawRewards`.
    RewardsWithdrawn = "sibyl_staking_rewards_withdrawn" {
        delegator: Addr,
        operator: Addr,
        rewards: Uint128,
        commission: Uint128,
    }
);

crate::typed_event!(
    /// `Distribute`.
    Distributed = "sibyl_staking_distributed" {
        operator: Addr,
        amount: Uint128,
        commission: Uint128,
    }
);

crate::typed_event!(
    /// `Slash`: `slashed_bonded` and `slashed_unbonding` are sent to the destination now.
    Slashed = "sibyl_staking_slashed" {
        operator: Addr,
        fraction: Decimal,
        infraction_height: u64,
        slashed_bonded: Uint128,
        slashed_unbonding: Uint128,
        jailed_until: Option<Timestamp>,
    }
);

crate::typed_event!(
    /// `Unjail`.
    Unjailed = "sibyl_staking_unjailed" {
        operator: Addr,
    }
);

crate::typed_event!(
    /// `UpdateSlashers`.
    SlashersUpdated = "sibyl_staking_slashers_updated" {
        added: Vec<Addr>,
        removed: Vec<Addr>,
    }
);

crate::typed_event!(
    /// `UpdateAdmin`; `None` when the admin was removed.
    AdminUpdated = "sibyl_staking_admin_updated" {
        admin: Option<Addr>,
    }
);

crate::typed_event!(
    /// `UpdateConfig`.
    ConfigUpdated = "sibyl_staking_config_updated" {
        admin: Addr,
    }
);

crate::typed_event!(
    /// `migrate`.
    Migrated = "sibyl_staking_migrated" {
        from_version: String,
        to_version: String,
    }
);

#[cfg(test)]
mod tests {
    use cosmwasm_std::Event;

    use super::*;
    use crate::events::testing::round_trip;

    #[test]
    fn every_event_round_trips() {
        let a = Addr::unchecked("cosmwasm1a");
        let b = Addr::unchecked("cosmwasm1b");
        round_trip(OperatorRegistered {
            operator: a.clone(),
            moniker: "gpu, farm=1".to_string(),
            commission: Decimal::percent(5),
            attestation_pubkey: Binary::new(vec![2; 33]),
            self_bond: Uint128::new(1_000),
        });
        for (moniker, commission) in [(None, None), (Some("x".to_string()), Some(Decimal::one()))] {
            round_trip(OperatorEdited {
                operator: a.clone(),
                moniker,
                commission,
            });
        }
        round_trip(AttestationKeyRotated {
            operator: a.clone(),
            attestation_pubkey: Binary::new(vec![3; 33]),
        });
        for unbonding_entry in [None, Some(7)] {
            round_trip(OperatorLeft {
                operator: a.clone(),
                amount: Uint128::new(5),
                unbonding_entry,
            });
            round_trip(Undelegated {
                delegator: b.clone(),
                operator: a.clone(),
                amount: Uint128::MAX,
                unbonding_entry,
            });
        }
        round_trip(Delegated {
            delegator: b.clone(),
            operator: a.clone(),
            amount: Uint128::new(10),
            shares: Uint128::new(10_000_000),
            warm_at: Timestamp::from_seconds(1_700_000_000),
        });
        round_trip(Claimed {
            delegator: b.clone(),
            amount: Uint128::new(9),
            slashed: Uint128::zero(),
        });
        round_trip(RewardsWithdrawn {
            delegator: b.clone(),
            operator: a.clone(),
            rewards: Uint128::new(3),
            commission: Uint128::new(1),
        });
        round_trip(Distributed {
            operator: a.clone(),
            amount: Uint128::new(903),
            commission: Uint128::new(90),
        });
        for jailed_until in [None, Some(Timestamp::from_nanos(u64::MAX))] {
            round_trip(Slashed {
                operator: a.clone(),
                fraction: Decimal::permille(1),
                infraction_height: 12,
                slashed_bonded: Uint128::new(2),
                slashed_unbonding: Uint128::new(1),
                jailed_until,
            });
        }
        round_trip(Unjailed {
            operator: a.clone(),
        });
        for (added, removed) in [
            (vec![], vec![]),
            (vec![a.clone(), b.clone()], vec![b.clone()]),
        ] {
            round_trip(SlashersUpdated { added, removed });
        }
        for admin in [None, Some(a.clone())] {
            round_trip(AdminUpdated { admin });
        }
        round_trip(ConfigUpdated { admin: a.clone() });
        round_trip(Migrated {
            from_version: "0.1.0".to_string(),
            to_version: "0.2.0".to_string(),
        });
    }

    #[test]
    fn wrong_types_and_bad_attributes_are_errors() {
        let event = Unjailed {
            operator: Addr::unchecked("x"),
        }
        .to_event();
        assert_eq!(
            Distributed::try_from(&event).unwrap_err(),
            EventError::WrongType {
                expected: Distributed::TYPE,
                got: Unjailed::TYPE.to_string(),
            }
        );
        let missing = Event::new(Distributed::TYPE).add_attribute("operator", "x");
        assert_eq!(
            Distributed::try_from(&missing).unwrap_err(),
            EventError::Missing { key: "amount" }
        );
        let bad = missing
            .add_attribute("amount", "12x")
            .add_attribute("commission", "0");
        assert_eq!(
            Distributed::try_from(&bad).unwrap_err(),
            EventError::Invalid {
                key: "amount",
                value: "12x".to_string(),
            }
        );
    }
}
