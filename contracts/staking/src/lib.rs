//! sibyl-staking contract (work in progress).
