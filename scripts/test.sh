#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds and checks the contracts' wasm, checks the
# committed schema, deploys the contracts on a throwaway real wasmd chain (the pinned wasmd is built
# once and cached by version), then runs every test of the workspace (Vulkan tests run on lavapipe
# without a GPU).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

bash scripts/setup.sh
bash scripts/build-wasm.sh
bash scripts/schema.sh --check
bash scripts/localnet.sh install
localnet_home="$(mktemp -d "${TMPDIR:-/tmp}/sibyl-localnet-test.XXXXXX")"
trap 'rm -rf "$localnet_home"' EXIT
SIBYL_LOCALNET_HOME="$localnet_home" bash scripts/localnet-smoke.sh
cargo test --workspace --locked
