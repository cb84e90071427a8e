#!/usr/bin/env bash
# Runs a real one-validator wasmd chain on this machine, for deploying and testing Sibyl's contracts.
#   scripts/localnet.sh install   builds the pinned wasmd from the Go module proxy into
#                                 $SIBYL_TOOLS_DIR/wasmd-<version>/ (skipped when already there)
#   scripts/localnet.sh start     installs if needed, creates the chain on first use, runs the node in
#                                 the background and waits for blocks; does nothing if it already runs
#   scripts/localnet.sh stop      stops the node this script started (by its PID file)
#   scripts/localnet.sh status    running (exit 0) or stopped (exit 3), and the latest height
#   scripts/localnet.sh reset     stop, then delete the data dir
#   scripts/localnet.sh env       prints settings and a `wasmd` function for this chain (its
#                                 client.toml names the chain id, node and keyring backend):
#                                 eval "$(scripts/localnet.sh env)"; wasmd keys list
# Chain: id sibyl-localnet-1, one denom (usibyl) for staking, fees and gas, keyring-backend test,
# accounts from the fixed test mnemonic below, every port on 127.0.0.1, ~300 ms blocks.
# Settings: SIBYL_LOCALNET_HOME (data dir; the node home is its .wasmd/), SIBYL_WASMD_VERSION,
# SIBYL_LOCALNET_{RPC,GRPC,P2P}_PORT (fixed when the chain is created).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

WASMD_VERSION="${SIBYL_WASMD_VERSION:-0.70.3}"
WASMD_DIR="$SIBYL_TOOLS_DIR/wasmd-$WASMD_VERSION"
WASMD_BIN="$WASMD_DIR/wasmd"
CHAIN_ID=sibyl-localnet-1
DENOM=usibyl
MIN_GAS_PRICE="0.025$DENOM"
BLOCK_TIME=300ms
LOCALNET_HOME="${SIBYL_LOCALNET_HOME:-${TMPDIR:-/tmp}/sibyl-localnet}"
# The ports are fixed when the chain is created (kept in ports.env in the data dir); reset to change.
PORTS_FILE="$LOCALNET_HOME/ports.env"
RPC_PORT="${SIBYL_LOCALNET_RPC_PORT:-26657}"
GRPC_PORT="${SIBYL_LOCALNET_GRPC_PORT:-9090}"
P2P_PORT="${SIBYL_LOCALNET_P2P_PORT:-26656}"
# shellcheck source=/dev/null
[ ! -f "$PORTS_FILE" ] || source "$PORTS_FILE"
START_DEADLINE_SECS="${SIBYL_LOCALNET_START_DEADLINE:-90}"

# TEST ONLY: a fixed, public mnemonic so that every localnet has the same addresses. Never use it
# (or anything derived from it) on a network where tokens have value.
TEST_MNEMONIC="rare salad uncover replace globe smooth pudding bridge pulp gospel aerobic napkin kitten kitten pool weasel stable proof crisp supply lottery front trick glad"
# name:hd-account-index:genesis balance (usibyl). The validator bonds VALIDATOR_BOND of its balance.
ACCOUNTS=(
    "validator:0:1000000000000"
    "admin:1:1000000000000"
    "consumer:2:1000000000000"
    "operator-1:3:1000000000000"
    "operator-2:4:1000000000000"
    "operator-3:5:1000000000000"
    "operator-4:6:1000000000000"
    "treasury:7:1000000"
    "community-pool:8:1000000"
)
VALIDATOR_BOND=100000000000

# wasmd reads client.toml (chain id, node, keyring backend) from $HOME/.wasmd before --home, and
# writes default config files there on every run: run it with HOME=$LOCALNET_HOME and the node
# home $LOCALNET_HOME/.wasmd so that both are the chain's own, and ~/.wasmd is never touched.
NODE_HOME="$LOCALNET_HOME/.wasmd"
PID_FILE="$LOCALNET_HOME/wasmd.pid"
LOG_FILE="$LOCALNET_HOME/wasmd.log"
MARKER="$LOCALNET_HOME/.sibyl-localnet"   # the dir is ours (reset may delete it)
READY="$LOCALNET_HOME/.sibyl-localnet-ready"   # the chain was fully created
RPC_URL="http://127.0.0.1:$RPC_PORT"

log() { echo "localnet: $*"; }
elapsed() { awk -v from="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - from }'; }
die() { echo "localnet: error: $*" >&2; exit 1; }

# Runs the installed wasmd for this chain, with the libwasmvm from beside the binary.
wasmd() { HOME="$LOCALNET_HOME" LD_LIBRARY_PATH="$WASMD_DIR" "$WASMD_BIN" "$@"; }

# Runs the installed wasmd outside any chain, with a scratch HOME (see NODE_HOME).
wasmd_scratch() {
    local scratch rc=0
    scratch="$(mktemp -d "${TMPDIR:-/tmp}/sibyl-wasmd-home.XXXXXX")"
    HOME="$scratch" LD_LIBRARY_PATH="$WASMD_DIR" "$WASMD_BIN" "$@" || rc=$?
    rm -rf "$scratch"
    return "$rc"
}

installed() {
    [ -x "$WASMD_BIN" ] && [ -f "$WASMD_DIR/libwasmvm.x86_64.so" ] &&
        [ "$(wasmd_scratch version 2>/dev/null)" = "$WASMD_VERSION" ]
}

cmd_install() {
    if installed; then
        log "wasmd $WASMD_VERSION already installed in $WASMD_DIR"
    else
        command -v go >/dev/null || die "go is not installed (wasmd $WASMD_VERSION needs go >= 1.25)"
        command -v gcc >/dev/null || die "gcc is not installed (wasmd links libwasmvm through cgo)"
        log "downloading github.com/CosmWasm/wasmd@v$WASMD_VERSION from the Go module proxy"
        local module_dir build_dir
        module_dir="$(cd "${TMPDIR:-/tmp}" && go mod download -json "github.com/CosmWasm/wasmd@v$WASMD_VERSION" | jq -r .Dir)"
        [ -d "$module_dir" ] || die "go mod download gave no module dir for wasmd v$WASMD_VERSION"
        # `go install ...@version` refuses wasmd (its go.mod has replace directives): build it as the
        # main module from a writable copy of the module source.
        build_dir="$(mktemp -d "${TMPDIR:-/tmp}/sibyl-wasmd-build.XXXXXX")"
        # shellcheck disable=SC2064
        trap "rm -rf '$build_dir'" EXIT
        cp -r "$module_dir/." "$build_dir"
        chmod -R u+w "$build_dir"
        log "building wasmd $WASMD_VERSION (several minutes on a cold Go cache)"
        mkdir -p "$WASMD_DIR"
        local ldflags="-X github.com/cosmos/cosmos-sdk/version.Name=wasm"
        ldflags+=" -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd"
        ldflags+=" -X github.com/cosmos/cosmos-sdk/version.Version=$WASMD_VERSION"
        # $ORIGIN: the binary finds the libwasmvm copied beside it even without LD_LIBRARY_PATH.
        ldflags+=" -extldflags=-Wl,-rpath,\$ORIGIN"
        (cd "$build_dir" && CGO_ENABLED=1 go build -mod=readonly -tags netgo -trimpath \
            -ldflags "$ldflags" -o "$WASMD_BIN.tmp" ./cmd/wasmd)
        # The library cgo linked against: the wasmvm module's internal/api/.
        local wasmvm_dir
        wasmvm_dir="$(cd "$build_dir" && go list -mod=readonly -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)"
        cp "$wasmvm_dir/internal/api/libwasmvm.x86_64.so" "$WASMD_DIR/libwasmvm.x86_64.so"
        chmod u+w "$WASMD_DIR/libwasmvm.x86_64.so"
        mv "$WASMD_BIN.tmp" "$WASMD_BIN"
        rm -rf "$build_dir"
        trap - EXIT
        installed || die "built $WASMD_BIN but \`wasmd version\` does not print $WASMD_VERSION"
        log "installed wasmd $WASMD_VERSION in $WASMD_DIR"
    fi
    local vm
    vm="$(wasmd_scratch query wasm libwasmvm-version 2>&1)" || die "wasmd cannot load libwasmvm: $vm"
    log "wasmd $WASMD_VERSION loads libwasmvm $(echo "$vm" | tail -n1) from $WASMD_DIR"
}

# The PID in the PID file if that process is alive and is our wasmd; empty otherwise.
running_pid() {
    [ -f "$PID_FILE" ] || return 0
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [ -r "/proc/$pid/cmdline" ] || return 0
    # Guard against a recycled PID: it must be a wasmd started with this home.
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "wasmd start --home $NODE_HOME " || return 0
    echo "$pid"
}

latest_height() {
    curl -sf --max-time 2 "$RPC_URL/status" | jq -r '.result.sync_info.latest_block_height // empty' 2>/dev/null || true
}

# Runs wasmd quietly; on failure shows the command and its output and exits.
quiet_wasmd() {
    local out
    out="$(wasmd "$@" 2>&1)" || die "\`wasmd $*\` failed:"$'\n'"$out"
}

init_chain() {
    log "creating chain $CHAIN_ID in $LOCALNET_HOME"
    if [ -f "$MARKER" ]; then
        rm -rf "$LOCALNET_HOME" # an earlier creation that did not finish
    fi
    [ ! -e "$LOCALNET_HOME" ] || [ -z "$(ls -A "$LOCALNET_HOME")" ] ||
        die "$LOCALNET_HOME exists and is not a localnet data dir; remove it or set SIBYL_LOCALNET_HOME"
    mkdir -p "$LOCALNET_HOME"
    touch "$MARKER"
    local h=(--home "$NODE_HOME")
    quiet_wasmd init sibyl-localnet --chain-id "$CHAIN_ID" --default-denom "$DENOM" "${h[@]}"
    local genesis="$NODE_HOME/config/genesis.json"
    # Every denom the default genesis names ("stake") becomes usibyl: staking bond denom, mint, gov.
    jq --arg d "$DENOM" 'walk(if . == "stake" then $d else . end)' "$genesis" >"$genesis.new"
    mv "$genesis.new" "$genesis"

    local entry name index balance
    for entry in "${ACCOUNTS[@]}"; do
        IFS=: read -r name index balance <<<"$entry"
        quiet_wasmd keys add "$name" --recover --account "$index" --keyring-backend test \
            "${h[@]}" <<<"$TEST_MNEMONIC"
        quiet_wasmd genesis add-genesis-account "$name" "$balance$DENOM" --keyring-backend test "${h[@]}"
    done
    quiet_wasmd genesis gentx validator "$VALIDATOR_BOND$DENOM" --chain-id "$CHAIN_ID" \
        --keyring-backend test "${h[@]}"
    quiet_wasmd genesis collect-gentxs "${h[@]}"
    quiet_wasmd genesis validate "${h[@]}"

    # Node settings: loopback only, no pprof, no REST, fast blocks, a gas price floor. confix
    # cannot validate CometBFT's config.toml: --skip-validate there.
    local c=(config --skip-validate) a=(app)
    quiet_wasmd config set "${c[@]}" rpc.laddr "tcp://127.0.0.1:$RPC_PORT" "${h[@]}"
    quiet_wasmd config set "${c[@]}" rpc.pprof_laddr "" "${h[@]}"
    quiet_wasmd config set "${c[@]}" p2p.laddr "tcp://127.0.0.1:$P2P_PORT" "${h[@]}"
    quiet_wasmd config set "${c[@]}" proxy_app "tcp://127.0.0.1:26658" "${h[@]}"
    quiet_wasmd config set "${c[@]}" consensus.timeout_commit "$BLOCK_TIME" "${h[@]}"
    quiet_wasmd config set "${c[@]}" instrumentation.prometheus false "${h[@]}"
    quiet_wasmd config set "${a[@]}" minimum-gas-prices "$MIN_GAS_PRICE" "${h[@]}"
    quiet_wasmd config set "${a[@]}" api.enable false "${h[@]}"
    quiet_wasmd config set "${a[@]}" api.address "tcp://127.0.0.1:1317" "${h[@]}"
    quiet_wasmd config set "${a[@]}" grpc.enable true "${h[@]}"
    quiet_wasmd config set "${a[@]}" grpc.address "127.0.0.1:$GRPC_PORT" "${h[@]}"
    quiet_wasmd config set "${a[@]}" grpc-web.enable false "${h[@]}"
    quiet_wasmd config set client chain-id "$CHAIN_ID" "${h[@]}"
    quiet_wasmd config set client keyring-backend test "${h[@]}"
    quiet_wasmd config set client node "tcp://127.0.0.1:$RPC_PORT" "${h[@]}"
    printf 'RPC_PORT=%s\nGRPC_PORT=%s\nP2P_PORT=%s\n' "$RPC_PORT" "$GRPC_PORT" "$P2P_PORT" >"$PORTS_FILE"
    touch "$READY"
}

print_endpoints() {
    cat <<EOF
localnet: chain $CHAIN_ID, denom $DENOM, min gas price $MIN_GAS_PRICE, data dir $LOCALNET_HOME
  RPC   $RPC_URL
  gRPC  127.0.0.1:$GRPC_PORT
  P2P   tcp://127.0.0.1:$P2P_PORT (REST API and pprof off)
  log   $LOG_FILE
  CLI   eval "\$($0 env)"; wasmd query bank balances \$(wasmd keys show admin -a)
EOF
}

cmd_start() {
    local pid
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        log "already running (pid $pid, height $(latest_height))"
        return 0
    fi
    installed || cmd_install
    if [ -f "$READY" ]; then
        log "restarting the existing chain in $LOCALNET_HOME"
    else
        init_chain
    fi
    if curl -sf --max-time 2 "$RPC_URL/status" >/dev/null 2>&1; then
        die "something else already answers on $RPC_URL; stop it or set SIBYL_LOCALNET_RPC_PORT"
    fi
    log "starting wasmd"
    echo "=== localnet: wasmd $WASMD_VERSION started $(date -u +%FT%TZ) ===" >>"$LOG_FILE"
    # setsid: the node leaves this shell's process group, so a ^C here does not take it down.
    HOME="$LOCALNET_HOME" LD_LIBRARY_PATH="$WASMD_DIR" \
        setsid "$WASMD_BIN" start --home "$NODE_HOME" --log_no_color </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
    # Wait for a block made by this run: above the height the node reports when its RPC first
    # answers (0 on a new chain, the stored height on a restart).
    local started=$SECONDS launched=$EPOCHREALTIME height="" first_height=""
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            echo "localnet: wasmd exited during startup; last lines of $LOG_FILE:" >&2
            tail -n 30 "$LOG_FILE" >&2
            exit 1
        fi
        height="$(latest_height)"
        if [ -n "$height" ]; then
            [ -n "$first_height" ] || first_height="$height"
            if [ "$height" -gt "$first_height" ]; then break; fi
        fi
        if ((SECONDS - started >= START_DEADLINE_SECS)); then
            echo "localnet: no block after ${START_DEADLINE_SECS}s; last lines of $LOG_FILE:" >&2
            tail -n 30 "$LOG_FILE" >&2
            cmd_stop >&2
            exit 1
        fi
        sleep 0.2
    done
    log "running (pid $pid), first new block (height $height) $(elapsed "$launched")s after launch"
    print_endpoints
}

cmd_stop() {
    local pid
    pid="$(running_pid)"
    if [ -z "$pid" ]; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "wasmd (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f "$PID_FILE"
    log "stopped (pid $pid)"
}

cmd_status() {
    local pid
    pid="$(running_pid)"
    if [ -n "$pid" ]; then
        log "running (pid $pid), chain $CHAIN_ID, height $(latest_height), data dir $LOCALNET_HOME"
    else
        log "stopped (data dir $LOCALNET_HOME$([ -f "$MARKER" ] || echo ", not created"))"
        return 3
    fi
}

cmd_reset() {
    cmd_stop
    if [ -e "$LOCALNET_HOME" ]; then
        [ -f "$MARKER" ] || die "$LOCALNET_HOME has no $(basename "$MARKER") marker; not deleting it"
        rm -rf "$LOCALNET_HOME"
        log "deleted $LOCALNET_HOME"
    fi
}

cmd_env() {
    cat <<EOF
export SIBYL_LOCALNET_HOME='$LOCALNET_HOME'
export LOCALNET_NODE_HOME='$NODE_HOME'
export LOCALNET_CHAIN_ID='$CHAIN_ID'
export LOCALNET_DENOM='$DENOM'
export LOCALNET_GAS_PRICE='$MIN_GAS_PRICE'
export LOCALNET_RPC='$RPC_URL'
export LOCALNET_GRPC='127.0.0.1:$GRPC_PORT'
export LOCALNET_WASMD='$WASMD_BIN'
wasmd() { HOME='$LOCALNET_HOME' LD_LIBRARY_PATH='$WASMD_DIR' '$WASMD_BIN' "\$@" --home '$NODE_HOME'; }
EOF
}

main() {
    case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    env) cmd_env ;;
    *)
        echo "usage: $0 install|start|stop|status|reset|env" >&2
        exit 2
        ;;
    esac
}

# One line: bash has read all of it before it runs, so editing this file mid-run is harmless.
main "$@"; exit
