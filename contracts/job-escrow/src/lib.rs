//! sibyl-job-escrow contract (work in progress).
