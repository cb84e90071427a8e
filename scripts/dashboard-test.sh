#!/usr/bin/env bash
# The staking dashboard's checks (packages/sibyl-dashboard): installs sibyl-js's and the page's
# locked dependencies, checks the formatting, typechecks, builds, then
# runs the browser test: a fresh deployment on the local wasmd node with two operators registered
# by the real `sibyl-oracle`, the page served by scripts/dashboard.sh, and chromium checking the
# operators table, a delegation from the dev wallet and the page's error messages.
#   SIBYL_DASHBOARD_SCREENSHOT=docs/images/dashboard.png scripts/dashboard-test.sh
#                               also writes the dApp guide's screenshot
# Needs what scripts/js-test.sh's chain tests need: the sibyl-oracle binary (SIBYL_ORACLE_BIN,
# default $CARGO_TARGET_DIR/debug/sibyl-oracle), the release wasm (SIBYL_ARTIFACTS_DIR, default
# artifacts/) and wasmd (scripts/localnet.sh install). Uses the localnet in SIBYL_LOCALNET_HOME
# when it is set, else starts one of its own and stops it at the end. SIBYL_CHROMIUM: another
# chromium binary; SIBYL_DASHBOARD_PORT: the page's port (default 4273).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -n "${SIBYL_DASHBOARD_SCREENSHOT:-}" ]; then
    SIBYL_DASHBOARD_SCREENSHOT="$(realpath -m "$SIBYL_DASHBOARD_SCREENSHOT")"
    export SIBYL_DASHBOARD_SCREENSHOT
fi

# The browser test drives Debian's chromium (scripts/setup.sh installs it) with playwright-core,
# which downloads no browser of its own.
if [ -z "${SIBYL_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
    echo "dashboard-test: chromium is not installed: run scripts/setup.sh (or set SIBYL_CHROMIUM)" >&2
    exit 1
fi
command -v npm >/dev/null || { echo "dashboard-test: npm is not installed (Node.js >= 20.19 needed)" >&2; exit 1; }

cd "$SIBYL_ROOT/packages/sibyl-js"
npm ci --engine-strict --no-audit --no-fund
# The page's types come from sibyl-js's dist/.
npm run build
cd "$SIBYL_ROOT/packages/sibyl-dashboard"
npm ci --engine-strict --no-audit --no-fund
npm run format:check
npm run typecheck
# The test serves the page with scripts/dashboard.sh, which builds it.
SIBYL_ORACLE_BIN="${SIBYL_ORACLE_BIN:-$CARGO_TARGET_DIR/debug/sibyl-oracle}" npm run test:browser
