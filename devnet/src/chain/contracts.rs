//! Contract code the embedded chain can store: the real contract crates linked as libraries.

use cosmwasm_std::Empty;
use cw_multi_test::Contract;

/// A factory for one contract's code (what `store_code` uploads).
#[derive(Clone, Copy)]
pub struct ContractCode {
    name: &'static str,
    factory: fn() -> Box<dyn Contract<Empty>>,
}

impl ContractCode {
    /// Code from any multi-test contract factory.
    pub fn new(name: &'static str, factory: fn() -> Box<dyn Contract<Empty>>) -> Self {
        ContractCode { name, factory }
    }

    /// The contract's name, for logs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn contract(&self) -> Box<dyn Contract<Empty>> {
        (self.factory)()
    }
}

impl std::fmt::Debug for ContractCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractCode")
            .field("name", &self.name)
            .finish()
    }
}

/// The staking contract (sibyl-staking).
pub fn staking() -> ContractCode {
    ContractCode::new("sibyl-staking", || {
        Box::new(cw_multi_test::ContractWrapper::new(
            sibyl_staking::contract::execute,
            sibyl_staking::contract::instantiate,
            sibyl_staking::contract::query,
        ))
    })
}

/// The job-escrow contract (sibyl-job-escrow).
pub fn escrow() -> ContractCode {
    ContractCode::new("sibyl-job-escrow", || {
        Box::new(
            cw_multi_test::ContractWrapper::new(
                sibyl_job_escrow::contract::execute,
                sibyl_job_escrow::contract::instantiate,
                sibyl_job_escrow::contract::query,
            )
            .with_reply(sibyl_job_escrow::contract::reply),
        )
    })
}

/// The example consumer (sibyl-example-consumer).
pub fn consumer() -> ContractCode {
    ContractCode::new("sibyl-example-consumer", || {
        Box::new(
            cw_multi_test::ContractWrapper::new(
                sibyl_example_consumer::contract::execute,
                sibyl_example_consumer::contract::instantiate,
                sibyl_example_consumer::contract::query,
            )
            .with_reply(sibyl_example_consumer::contract::reply),
        )
    })
}
