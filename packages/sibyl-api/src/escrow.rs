//! Job-escrow contract messages.
