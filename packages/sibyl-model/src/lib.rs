//! sibyl-model (work in progress).
