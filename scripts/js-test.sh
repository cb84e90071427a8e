#!/usr/bin/env bash
# The TypeScript client's checks (packages/sibyl-js): installs its locked dependencies (npm's cache
# is outside the clone), checks that the generated contract clients match schema/ and the
# formatting, typechecks, builds, runs the unit tests, then the chain tests: real
# `sibyl-oracle run` operators settle jobs on the local wasmd node.
#   scripts/js-test.sh          all of it
#   scripts/js-test.sh --unit   without the chain tests
# The chain tests need the sibyl-oracle binary (SIBYL_ORACLE_BIN, default
# $CARGO_TARGET_DIR/debug/sibyl-oracle, which `cargo test --workspace` builds), the release wasm
# (SIBYL_ARTIFACTS_DIR, default artifacts/ from scripts/build-wasm.sh) and wasmd
# (scripts/localnet.sh install). They use the localnet in SIBYL_LOCALNET_HOME when it is set,
# else start one of their own and stop it at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT/packages/sibyl-js"

command -v npm >/dev/null || { echo "js-test: npm is not installed (Node.js >= 20.19 needed)" >&2; exit 1; }
# --engine-strict: an old Node.js fails here, with the version it needs, not in a test.
npm ci --engine-strict --no-audit --no-fund
npm run codegen:check
npm run format:check
npm run typecheck
npm run build
npm test
if [ "${1:-}" != "--unit" ]; then
    SIBYL_ORACLE_BIN="${SIBYL_ORACLE_BIN:-$CARGO_TARGET_DIR/debug/sibyl-oracle}" npm run test:chain
fi
