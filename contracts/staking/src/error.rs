use cosmwasm_std::{
    CheckedMultiplyFractionError, CheckedMultiplyRatioError, ConversionOverflowError, Decimal,
    DivideByZeroError, OverflowError, StdError, Timestamp, Uint128,
};
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("arithmetic overflow: the amounts involved are too large for this contract ({0})")]
    Overflow(String),

    #[error("only the admin may do this")]
    NotAdmin,

    #[error("{sender} is not on the slashers list")]
    NotSlasher { sender: String },

    #[error("no funds sent: send {denom}")]
    NoFunds { denom: String },

    #[error("wrong denom: send {expected}, not {got}")]
    WrongDenom { expected: String, got: String },

    #[error("send a single coin of {denom}, and no other denoms")]
    ExtraDenoms { denom: String },

    #[error("this message takes no funds")]
    UnexpectedFunds,

    #[error("the amount sent does not fit in 128 bits")]
    AmountTooLarge,

    #[error("self-bond of {got} is below the minimum of {min}")]
    BelowMinSelfBond { min: Uint128, got: Uint128 },

    #[error("{address} is not a registered operator")]
    UnknownOperator { address: String },

    #[error("{address} is already a registered operator")]
    AlreadyRegistered { address: String },

    #[error(
        "operator {address} is jailed until {until}; only the operator may add stake meanwhile"
    )]
    OperatorJailed { address: String, until: Timestamp },

    #[error("operator {address} has left and takes no new delegations")]
    OperatorLeft { address: String },

    #[error("still jailed until {until}")]
    StillJailed { until: Timestamp },

    #[error("the operator is not jailed")]
    NotJailed,

    #[error("invalid attestation public key: {reason}")]
    InvalidPubkey { reason: String },

    #[error("invalid attestation key signature: {reason}; sign the key-possession digest with the new key")]
    InvalidKeySignature { reason: String },

    #[error("this attestation public key is already registered by {owner}")]
    AttestationKeyInUse { owner: String },

    #[error("invalid moniker: {reason}")]
    InvalidMoniker { reason: String },

    #[error("commission {commission} is out of range: at most {max}")]
    CommissionOutOfRange { commission: Decimal, max: Decimal },

    #[error("commission may change by at most {max_change} at a time")]
    CommissionChangeTooLarge { max_change: Decimal },

    #[error("commission was changed recently; next change allowed at {next_change_at}")]
    CommissionChangeTooSoon { next_change_at: Timestamp },

    #[error("nothing to change: give a new moniker or commission")]
    NothingToEdit,

    #[error("too many pending unbonding entries (at most {max}); claim matured ones or wait")]
    TooManyUnbondingEntries { max: u32 },

    #[error("nothing to claim: no unbonding entry has matured")]
    NothingToClaim,

    #[error("no rewards to withdraw")]
    NoRewards,

    #[error("amount must be positive")]
    ZeroAmount,

    #[error("no delegation from {delegator} to {operator}")]
    NoDelegation { delegator: String, operator: String },

    #[error("delegation is worth only {available}")]
    InsufficientDelegation { available: Uint128 },

    #[error("amount {amount} is too small to be represented as pool shares; use a larger amount")]
    AmountTooSmall { amount: Uint128 },

    #[error("slash fraction {fraction} is out of range: it must be above 0 and below 1")]
    InvalidSlashFraction { fraction: Decimal },

    #[error("infraction height {infraction_height} is after the current height {current}")]
    InfractionInFuture {
        infraction_height: u64,
        current: u64,
    },

    #[error("too many slashers: at most {max}")]
    TooManySlashers { max: u32 },

    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },

    #[error("cannot migrate: the contract is {got}, not {expected}")]
    MigrateWrongContract { expected: String, got: String },

    #[error("cannot migrate from version {from} down to {to}")]
    MigrateDowngrade { from: String, to: String },

    #[error("cannot migrate: version {version} is not major.minor.patch")]
    InvalidVersion { version: String },

    #[error("cannot migrate: this version needs a reward_warmup in the migrate message")]
    MigrateNeedsRewardWarmup,

    #[error("invalid configuration: {field} of {value} seconds is longer than the maximum of {max} seconds")]
    DurationTooLong { field: String, value: u64, max: u64 },

    #[error(
        "{what} would end after the last representable block time; lower the configured duration"
    )]
    TimeOverflow { what: String },
}

impl From<OverflowError> for ContractError {
    fn from(err: OverflowError) -> Self {
        Self::Overflow(err.to_string())
    }
}

impl From<DivideByZeroError> for ContractError {
    fn from(err: DivideByZeroError) -> Self {
        Self::Overflow(err.to_string())
    }
}

impl From<ConversionOverflowError> for ContractError {
    fn from(err: ConversionOverflowError) -> Self {
        Self::Overflow(err.to_string())
    }
}

impl From<CheckedMultiplyRatioError> for ContractError {
    fn from(err: CheckedMultiplyRatioError) -> Self {
        Self::Overflow(err.to_string())
    }
}

impl From<CheckedMultiplyFractionError> for ContractError {
    fn from(err: CheckedMultiplyFractionError) -> Self {
        Self::Overflow(err.to_string())
    }
}
