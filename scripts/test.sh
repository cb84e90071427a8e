#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds and checks the contracts' wasm, checks the
# committed schema, then runs every test of the workspace (Vulkan tests run on lavapipe without a GPU).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

bash scripts/setup.sh
bash scripts/build-wasm.sh
bash scripts/schema.sh --check
cargo test --workspace --locked
