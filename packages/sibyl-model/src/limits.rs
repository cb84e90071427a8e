//! Resource limits applied while parsing and validating a model, so a hostile file cannot make a
//! node allocate or compute without bound.

/// Bounds on what a model may ask for. `Limits::default()` suits models an oracle serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest model file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Most layers in one model.
    pub max_layers: usize,
    /// Most elements in any one tensor: constants (weights, biases) and activations alike.
    pub max_tensor_elements: u64,
    /// Most multiply-accumulates (and comparisons, for pooling) in one inference.
    pub max_macs: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 256 << 20,
            max_layers: 1024,
            max_tensor_elements: 64 << 20,
            max_macs: 1 << 36,
        }
    }
}
