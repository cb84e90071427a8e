//! Distribute and withdraw rewards, and their errors.

mod suite;

use cosmwasm_std::Uint128;
use sibyl_api::staking::ExecuteMsg;
use sibyl_staking::ContractError;
use suite::{assert_error, Suite, DENOM, WARMED_UP};

#[test]
fn income_pays_commission_and_the_rest_pro_rata() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 1_000, 0).unwrap();
    suite.delegate(&delegator, &op, 3_000).unwrap();
    suite.advance(WARMED_UP);
    // 10% commission: 100 to the operator, 900 split 1:3.
    suite.distribute(&op, 1_000).unwrap();
    assert_eq!(suite.pending(&delegator, &op).rewards, Uint128::new(675));
    let own = suite.pending(&op, &op);
    assert_eq!(own.rewards, Uint128::new(225));
    assert_eq!(own.commission, Uint128::new(100));
    assert_eq!(suite.operator(&op).unclaimed_commission, Uint128::new(100));
    assert_eq!(
        suite.delegation(&delegator, &op).pending_rewards,
        Uint128::new(675)
    );

    let before = suite.balance(&delegator);
    suite.withdraw(&delegator, &op).unwrap();
    assert_eq!(suite.balance(&delegator), before + 675);
    let before = suite.balance(&op);
    suite.withdraw(&op, &op).unwrap();
    assert_eq!(suite.balance(&op), before + 325);
    assert_error(suite.withdraw(&delegator, &op), ContractError::NoRewards);
    assert_error(suite.withdraw(&op, &op), ContractError::NoRewards);
}

#[test]
fn remainders_are_carried_to_the_next_income() {
    let mut suite = Suite::new();
    let (op, a, b) = (suite.addr("op"), suite.addr("a"), suite.addr("b"));
    suite.register(&op, 1_000, 0).unwrap();
    suite.delegate(&a, &op, 1_000).unwrap();
    suite.delegate(&b, &op, 1_000).unwrap();
    suite.advance(WARMED_UP);
    // 10% of 1 rounds down to 0: the delegators get the unit; 1/3 each is less than a token.
    suite.distribute(&op, 1).unwrap();
    assert_eq!(suite.pending(&a, &op).rewards, Uint128::zero());
    assert_error(suite.withdraw(&a, &op), ContractError::NoRewards);
    // Two more units: each of the three holders now has exactly one.
    suite.distribute(&op, 2).unwrap();
    for who in [&a, &b, &op] {
        assert_eq!(suite.pending(who, &op).rewards, Uint128::new(1));
    }
    for who in [a.clone(), b.clone(), op.clone()] {
        suite.withdraw(&who, &op).unwrap();
    }
    let contract = suite.contract.clone();
    assert_eq!(suite.balance(&contract), 3_000);
}

#[test]
fn rewards_survive_undelegating_everything() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 1_000, 0).unwrap();
    suite.delegate(&delegator, &op, 1_000).unwrap();
    suite.advance(WARMED_UP);
    suite.distribute(&op, 200).unwrap();
    suite.undelegate(&delegator, &op, 1_000).unwrap();
    assert_eq!(suite.pending(&delegator, &op).rewards, Uint128::new(90));
    suite.withdraw(&delegator, &op).unwrap();
    assert_eq!(suite.delegation(&delegator, &op).shares, Uint128::zero());
}

#[test]
fn income_to_an_operator_without_stake_goes_to_its_commission() {
    let mut suite = Suite::new();
    let op = suite.addr("op");
    suite.register(&op, 1_000, 0).unwrap();
    suite
        .execute(&op, ExecuteMsg::LeaveOperator {}, &[])
        .unwrap();
    suite.distribute(&op, 50).unwrap();
    assert_eq!(suite.pending(&op, &op).commission, Uint128::new(50));
    let before = suite.balance(&op);
    suite.withdraw(&op, &op).unwrap();
    assert_eq!(suite.balance(&op), before + 50);
}

#[test]
fn distribute_and_withdraw_errors() {
    let mut suite = Suite::new();
    let (op, delegator) = (suite.addr("op"), suite.addr("delegator"));
    suite.register(&op, 1_000, 0).unwrap();
    let stranger = suite.addr("stranger");
    assert_error(
        suite.distribute(&stranger, 10),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
    assert_error(
        suite.execute(
            &delegator,
            ExecuteMsg::Distribute {
                operator: op.to_string(),
            },
            &[],
        ),
        ContractError::NoFunds {
            denom: DENOM.to_string(),
        },
    );
    assert_error(suite.withdraw(&delegator, &op), ContractError::NoRewards);
    assert_error(
        suite.withdraw(&delegator, &stranger),
        ContractError::UnknownOperator {
            address: stranger.to_string(),
        },
    );
    suite.mint(&delegator, 1);
    assert_error(
        suite.execute(
            &delegator,
            ExecuteMsg::WithdrawRewards {
                operator: op.to_string(),
            },
            &suite::stake(1),
        ),
        ContractError::UnexpectedFunds,
    );
}
