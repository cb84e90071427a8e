#!/usr/bin/env bash
# Serves the staking dashboard (packages/sibyl-dashboard) for one Sibyl deployment.
#   scripts/dashboard.sh --deployment FILE [--rpc URL] [--port N] [--dev-wallet]
# --deployment  the JSON file `sibyl-oracle deploy --out` wrote (chain id, escrow, gas price,
#               address prefix)
# --rpc         the chain's CometBFT RPC endpoint; default: the localnet's
#               (scripts/localnet.sh env, which reads SIBYL_LOCALNET_HOME)
# --port        where the page is served on 127.0.0.1 (default 4173)
# --dev-wallet  localnet only: the page signs as the first account of the localnet's public test
#               mnemonic; without it the page signs with Keplr when the browser has it, else it
#               only reads
# The server forwards the page's /rpc to the endpoint, so a node without CORS headers works.
# Installs the locked dependencies and builds sibyl-js and the page first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

deployment="" rpc="" port=4173 dev_wallet=false
while [ $# -gt 0 ]; do
    case "$1" in
    --deployment) deployment="$(realpath "$2")"; shift 2 ;;
    --rpc) rpc="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --dev-wallet) dev_wallet=true; shift ;;
    *) echo "usage: $0 --deployment FILE [--rpc URL] [--port N] [--dev-wallet]" >&2; exit 2 ;;
    esac
done
[ -f "$deployment" ] || { echo "dashboard: give the deployment file: --deployment FILE" >&2; exit 2; }
if [ -z "$rpc" ]; then
    rpc="$(bash "$SIBYL_ROOT/scripts/localnet.sh" env | sed -n "s/^export LOCALNET_RPC='\(.*\)'$/\1/p")"
fi
mnemonic=""
if $dev_wallet; then
    mnemonic="$(sed -n 's/^TEST_MNEMONIC="\(.*\)"$/\1/p' "$SIBYL_ROOT/scripts/localnet.sh")"
fi

command -v npm >/dev/null || { echo "dashboard: npm is not installed (Node.js >= 20.19 needed)" >&2; exit 1; }
cd "$SIBYL_ROOT/packages/sibyl-js"
[ -d node_modules ] || npm ci --engine-strict --no-audit --no-fund
npm run --silent build
cd "$SIBYL_ROOT/packages/sibyl-dashboard"
[ -d node_modules ] || npm ci --engine-strict --no-audit --no-fund
npx vite build --logLevel warn

DEPLOYMENT="$deployment" MNEMONIC="$mnemonic" node -e '
const d = JSON.parse(require("fs").readFileSync(process.env.DEPLOYMENT, "utf8"));
const config = { rpc: "/rpc", chainId: d.chain_id, escrow: d.escrow, gasPrice: d.gas_price,
  bech32Prefix: d.bech32_prefix, modelHash: d.model_hash };
if (process.env.MNEMONIC) config.devMnemonic = process.env.MNEMONIC;
require("fs").writeFileSync("dist/config.json", JSON.stringify(config, null, 2));
'
echo "dashboard: http://127.0.0.1:$port/ (chain node $rpc)"
SIBYL_DASHBOARD_RPC="$rpc" exec npx vite preview --host 127.0.0.1 --port "$port" --strictPort
