#!/usr/bin/env bash
# The main job: sets up a fresh machine, then runs the end-to-end demo on an embedded local chain.
# Extra arguments go to `sibyl-oracle demo` (see `--help`), which runs the `sibyl-devnet` binary
# built beside it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

bash scripts/setup.sh
cargo build --release --locked -p sibyl-oracle -p sibyl-devnet
"$CARGO_TARGET_DIR/release/sibyl-oracle" demo "$@"
