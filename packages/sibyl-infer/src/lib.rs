//! sibyl-infer (work in progress).
