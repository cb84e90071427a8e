//! Attestation digest and commitment helpers.
