#!/usr/bin/env bash
# Deploys Sibyl's three contracts on the real local wasmd chain (scripts/localnet.sh) with the
# wasmd CLI and checks that they answer: stores the wasm, instantiates staking and the job escrow
# (and checks that the escrow refuses a wrong chain id), adds the escrow as a slasher, registers
# the digits model, instantiates the example consumer, runs smart queries and prints each
# transaction's gas. Starts the localnet if it is not running, and then stops it again at the end.
# Wasm from $SIBYL_ARTIFACTS_DIR (default $SIBYL_ROOT/artifacts, made by scripts/build-wasm.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

LOCALNET="$SIBYL_ROOT/scripts/localnet.sh"
ARTIFACTS="${SIBYL_ARTIFACTS_DIR:-$SIBYL_ROOT/artifacts}"
MODEL_FILE="$SIBYL_ROOT/models/digits/digits.sibylmodel"
TX_DEADLINE_SECS=30

log() { echo "smoke: $*"; }
die() { echo "smoke: FAILED: $*" >&2; exit 1; }

for name in sibyl_staking sibyl_job_escrow sibyl_example_consumer; do
    [ -f "$ARTIFACTS/$name.wasm" ] ||
        die "$ARTIFACTS/$name.wasm is missing: run \`bash scripts/build-wasm.sh\` or set SIBYL_ARTIFACTS_DIR"
done

started_here=0
if ! "$LOCALNET" status >/dev/null; then
    "$LOCALNET" start
    started_here=1
fi
stop_if_started() {
    local rc=$?
    if ((started_here)); then "$LOCALNET" stop || true; fi
    exit "$rc"
}
trap stop_if_started EXIT

eval "$("$LOCALNET" env)"
address() { wasmd keys show "$1" -a --keyring-backend test; }
ADMIN="$(address admin)"
TREASURY="$(address treasury)"
COMMUNITY_POOL="$(address community-pool)"

GAS_LABELS=()
GAS_USED=()
GAS_WANTED=()
LAST_TX=""

# tx LABEL ARGS...: signs `wasmd tx ARGS` as admin, waits until it is in a block, checks that it
# succeeded, records its gas and leaves its JSON result in $LAST_TX.
tx() {
    local label="$1" out code hash
    shift
    if ! out="$(wasmd tx "$@" --from admin --keyring-backend test --chain-id "$LOCALNET_CHAIN_ID" \
        --node "$LOCALNET_RPC" --gas auto --gas-adjustment 1.3 --gas-prices "$LOCALNET_GAS_PRICE" \
        --broadcast-mode sync -y -o json 2>&1)"; then
        die "$label: \`wasmd tx $1 $2 ...\` failed: $out"
    fi
    # The CLI may print a "gas estimate" line before the JSON.
    out="$(echo "$out" | grep '^{' | tail -n1)"
    code="$(echo "$out" | jq -r '.code')"
    hash="$(echo "$out" | jq -r '.txhash')"
    [ "$code" = 0 ] || die "$label: rejected by CheckTx (code $code): $(echo "$out" | jq -r '.raw_log')"
    local started=$SECONDS
    until LAST_TX="$(wasmd query tx "$hash" --node "$LOCALNET_RPC" -o json 2>/dev/null)"; do
        ((SECONDS - started < TX_DEADLINE_SECS)) || die "$label: tx $hash not in a block after ${TX_DEADLINE_SECS}s"
        sleep 0.2
    done
    code="$(echo "$LAST_TX" | jq -r '.code')"
    [ "$code" = 0 ] || die "$label: failed in block (code $code): $(echo "$LAST_TX" | jq -r '.raw_log')"
    GAS_LABELS+=("$label")
    GAS_USED+=("$(echo "$LAST_TX" | jq -r '.gas_used')")
    GAS_WANTED+=("$(echo "$LAST_TX" | jq -r '.gas_wanted')")
    log "$label: ok (height $(echo "$LAST_TX" | jq -r '.height'), gas_used ${GAS_USED[-1]})"
}

# event_attr TYPE KEY: the first value of attribute KEY in an event of TYPE in $LAST_TX.
event_attr() {
    echo "$LAST_TX" | jq -r --arg t "$1" --arg k "$2" \
        '[.events[] | select(.type == $t) | .attributes[] | select(.key == $k) | .value][0] // empty'
}

# query CONTRACT MSG: the smart query's answer (its `data`).
query() {
    local out
    out="$(wasmd query wasm contract-state smart "$1" "$2" --node "$LOCALNET_RPC" -o json 2>&1)" ||
        die "smart query $2 on $1 failed: $out"
    echo "$out" | jq -c '.data'
}

# check DESCRIPTION JSON JQ-FILTER: the filter must hold on the JSON.
check() {
    echo "$2" | jq -e "$3" >/dev/null || die "$1: expected $3, got $2"
    log "check: $1"
}

# store NAME VAR: uploads $ARTIFACTS/NAME.wasm and sets VAR to its code id.
store() {
    tx "store $1" wasm store "$ARTIFACTS/$1.wasm"
    local code_id
    code_id="$(event_attr store_code code_id)"
    [ -n "$code_id" ] || die "store $1: no code_id in the events"
    printf -v "$2" '%s' "$code_id"
}

# instantiate LABEL CODE_ID MSG VAR: instantiates (admin: the admin account), sets VAR to the address.
instantiate() {
    tx "instantiate $1" wasm instantiate "$2" "$3" --label "$1" --admin "$ADMIN"
    local addr
    addr="$(event_attr instantiate _contract_address)"
    [ -n "$addr" ] || die "instantiate $1: no contract address in the events"
    printf -v "$4" '%s' "$addr"
}

# Set by store and instantiate.
staking_code="" escrow_code="" consumer_code="" staking="" escrow="" consumer=""
smoke_started=$SECONDS
log "chain $LOCALNET_CHAIN_ID at $LOCALNET_RPC, admin $ADMIN, wasm from $ARTIFACTS"

store sibyl_staking staking_code
store sibyl_job_escrow escrow_code
store sibyl_example_consumer consumer_code
log "code ids: staking $staking_code, escrow $escrow_code, consumer $consumer_code"

# Windows for ~300 ms blocks, as the devnet demo computes them (30 s of blocks, at least 50).
WINDOW_BLOCKS=100
UNBONDING_PERIOD=$((21 * 24 * 3600))
staking_msg="$(jq -nc --arg admin "$ADMIN" --arg denom "$LOCALNET_DENOM" --arg pool "$COMMUNITY_POOL" \
    --argjson unbonding "$UNBONDING_PERIOD" '{
    admin: $admin, bond_denom: $denom, min_self_bond: "1000000", unbonding_period: $unbonding,
    max_active_operators: 100, jail_duration: 86400, slashed_funds_destination: $pool,
    max_commission: "0.5", max_commission_change: "0.05", commission_change_period: 86400,
    max_unbonding_entries: 7, reward_warmup: 1}')"
instantiate sibyl-staking "$staking_code" "$staking_msg" staking

escrow_msg() { # CHAIN_ID
    jq -nc --arg admin "$ADMIN" --arg staking "$staking" --arg denom "$LOCALNET_DENOM" \
        --arg treasury "$TREASURY" --arg chain "$1" --argjson w "$WINDOW_BLOCKS" '{
    admin: $admin, staking_contract: $staking, fee_denom: $denom, price_per_unit: "1000",
    protocol_fee_bps: 500, treasury: $treasury, commit_window: $w, reveal_window: $w,
    default_redundancy: 3, max_redundancy: 5, max_inline_input_bytes: 16384,
    max_output_bytes: 16384, wrong_result_slash: "0.05", missed_job_slash: "0.01",
    chain_id: $chain, callback_gas_limit: 500000, seed_source: "block_data",
    decline_fee_bps: 2000, max_block_time_secs: 1, settlement_margin: $w}'
}

# The escrow binds the chain id into attestations and must refuse one that is not this chain's.
if out="$(wasmd tx wasm instantiate "$escrow_code" "$(escrow_msg not-this-chain)" --label wrong-chain \
    --admin "$ADMIN" --from admin --keyring-backend test --chain-id "$LOCALNET_CHAIN_ID" \
    --node "$LOCALNET_RPC" --gas auto --gas-prices "$LOCALNET_GAS_PRICE" -y -o json 2>&1)"; then
    die "the escrow accepted chain_id \"not-this-chain\" on $LOCALNET_CHAIN_ID: $out"
fi
echo "$out" | grep -q "differs from this chain's id" ||
    die "instantiating the escrow with a wrong chain id failed for another reason: $out"
log "check: the escrow refuses chain_id \"not-this-chain\" (simulation error, no tx)"

instantiate sibyl-job-escrow "$escrow_code" "$(escrow_msg "$LOCALNET_CHAIN_ID")" escrow
log "staking $staking"
log "escrow  $escrow"

tx "staking update_slashers" wasm execute "$staking" \
    "$(jq -nc --arg e "$escrow" '{update_slashers: {add: [$e], remove: []}}')"

MODEL_HASH="$(sha256sum "$MODEL_FILE" | cut -d' ' -f1)"
register_msg="$(jq -nc --arg h "$MODEL_HASH" --arg uri "file://$MODEL_FILE" '{register_model: {
    model_hash: $h, uri: $uri, input_spec: {dtype: "u8", shape: [1, 8, 8, 1]},
    output_spec: {dtype: "i32", shape: [1, 1]}, cost_units: 1}}')"
tx "escrow register_model (digits)" wasm execute "$escrow" "$register_msg"

consumer_msg="$(jq -nc --arg e "$escrow" --arg h "$MODEL_HASH" \
    '{escrow: $e, model_hash: $h, redundancy: 3, quorum: 2}')"
instantiate sibyl-example-consumer "$consumer_code" "$consumer_msg" consumer
log "consumer $consumer"

# Smart queries.
answer="$(query "$staking" '{"config":{}}')"
check "staking config: bond_denom $LOCALNET_DENOM, admin, unbonding period" "$answer" \
    ".bond_denom == \"$LOCALNET_DENOM\" and .admin == \"$ADMIN\" and .unbonding_period == $UNBONDING_PERIOD and .min_self_bond == \"1000000\""
answer="$(query "$staking" '{"slashers":{}}')"
check "staking slashers: exactly the escrow" "$answer" ".slashers == [\"$escrow\"]"
answer="$(query "$escrow" '{"config":{}}')"
check "escrow config: chain id $LOCALNET_CHAIN_ID, staking contract, fee denom" "$answer" \
    ".chain_id == \"$LOCALNET_CHAIN_ID\" and .staking_contract == \"$staking\" and .fee_denom == \"$LOCALNET_DENOM\" and .commit_window == $WINDOW_BLOCKS and .seed_source == \"block_data\""
answer="$(query "$escrow" "$(jq -nc --arg h "$MODEL_HASH" '{model: {model_hash: $h}}')")"
check "escrow model: the digits model as registered" "$answer" \
    "tostring | contains(\"$MODEL_HASH\") and contains(\"file://$MODEL_FILE\")"
answer="$(query "$escrow" "$(jq -nc --arg h "$MODEL_HASH" '{price: {model_hash: $h}}')")"
# 1000 per unit × 1 unit × redundancy 3 = 3000; 5 % protocol fee = 150; (3000 - 150) / 3 = 950 each;
# a decliner gets 20 % of a share = 190.
check "escrow price (redundancy 3): 3000 total, 150 fee, 950 per operator, 190 decline fee" "$answer" \
    ".total == {denom: \"$LOCALNET_DENOM\", amount: \"3000\"} and .protocol_fee == \"150\" and .per_operator == \"950\" and .remainder == \"0\" and .decline_fee == \"190\""
answer="$(query "$escrow" "$(jq -nc --arg h "$MODEL_HASH" '{price: {model_hash: $h, redundancy: 5}}')")"
check "escrow price (redundancy 5): 5000 total, 950 per operator" "$answer" \
    ".total.amount == \"5000\" and .protocol_fee == \"250\" and .per_operator == \"950\""
answer="$(query "$consumer" '{"config":{}}')"
check "consumer config: escrow and model" "$answer" \
    ".escrow == \"$escrow\" and .model_hash == \"$MODEL_HASH\" and .redundancy == 3 and .quorum == 2"

echo
printf '%-34s %10s %10s\n' "message" "gas_used" "gas_wanted"
for i in "${!GAS_LABELS[@]}"; do
    printf '%-34s %10s %10s\n' "${GAS_LABELS[$i]}" "${GAS_USED[$i]}" "${GAS_WANTED[$i]}"
done
echo
log "ok: all checks passed in $((SECONDS - smoke_started))s (chain $LOCALNET_CHAIN_ID, wasmd $(wasmd version))"
