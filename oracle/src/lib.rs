//! sibyl-oracle (work in progress).
