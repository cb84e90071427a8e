#!/usr/bin/env bash
# The main job: sets up a fresh machine, then runs the end-to-end demo on an embedded local chain.
# Extra arguments go to `sibyl-oracle demo` (see `--help`), which runs the `sibyl-devnet` binary
# built beside it. With `--chain localnet` the demo runs on the real local wasmd chain instead:
# this script then also builds the release wasm (the chain builds wasmd itself on first use).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

bash scripts/setup.sh
cargo build --release --locked -p sibyl-oracle -p sibyl-devnet
for ((i = 1; i <= $#; i++)); do
    arg="${!i}"
    next=$((i + 1))
    if [ "$arg" = "--chain=localnet" ] || { [ "$arg" = "--chain" ] && [ "${!next:-}" = "localnet" ]; }; then
        bash scripts/build-wasm.sh
        break
    fi
done
"$CARGO_TARGET_DIR/release/sibyl-oracle" demo "$@"
