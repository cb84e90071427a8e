//! Staking contract messages.
