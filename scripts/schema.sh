#!/usr/bin/env bash
# Regenerates the JSON schema of every contract into schema/<contract>/.
#   scripts/schema.sh          write schema/
#   scripts/schema.sh --check  fail if the committed schema/ is stale
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SIBYL_ROOT"

contracts=(staking job-escrow example-consumer)
out=schema
if [ "${1:-}" = "--check" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
for contract in "${contracts[@]}"; do
    cargo run --quiet --locked -p "sibyl-$contract" --bin "$contract-schema" -- "$out/$contract"
done
if [ "${1:-}" = "--check" ]; then
    for contract in "${contracts[@]}"; do
        if ! diff -r "schema/$contract" "$out/$contract"; then
            echo "schema/$contract is stale: run scripts/schema.sh and commit the result" >&2
            exit 1
        fi
    done
    echo "schema: up to date"
fi
