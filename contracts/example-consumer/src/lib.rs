//! sibyl-example-consumer contract (work in progress).
