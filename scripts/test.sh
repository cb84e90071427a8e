#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds and checks the contracts' wasm, checks the
# committed schema, runs every test of the workspace (Vulkan tests run on lavapipe without a GPU),
# then starts a throwaway real wasmd chain (the pinned wasmd is built once and cached by version)
# for the deployment smoke test, the end-to-end tests of separate `sibyl-oracle run` processes on
# it, the TypeScript client's tests (scripts/js-test.sh) and the dashboard's browser test
# (scripts/dashboard-test.sh), and stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

bash scripts/setup.sh
bash scripts/build-wasm.sh
bash scripts/schema.sh --check
cargo test --workspace --locked

bash scripts/localnet.sh install
localnet_home="$(mktemp -d "${TMPDIR:-/tmp}/sibyl-localnet-test.XXXXXX")"
export SIBYL_LOCALNET_HOME="$localnet_home"
stop_localnet() {
    local rc=$?
    bash scripts/localnet.sh stop || true
    rm -rf "$localnet_home"
    exit "$rc"
}
trap stop_localnet EXIT
bash scripts/localnet.sh start
bash scripts/localnet-smoke.sh
# One chain for all of them: they take turns (one stops the chain for a while).
# --nocapture: the gas test prints the table of docs/gas-and-size.md.
cargo test --workspace --locked --test localnet -- --ignored --test-threads=1 --nocapture
bash scripts/js-test.sh
bash scripts/dashboard-test.sh
