#!/usr/bin/env bash
# Builds the release wasm of every Sibyl contract and lowers it to what the CosmWasm 3.0 VM accepts.
#
# rustc >= 1.87 emits bulk-memory, sign-ext and non-trapping float-to-int instructions (the prebuilt
# std has them too, so -Ctarget-cpu=mvp does not help). The CosmWasm 3.0 VM rejects bulk memory, so
# binaryen's wasm-opt (version 132; Debian's 108 lacks these passes) rewrites them into MVP code.
#
# Output: artifacts/<crate_name>.wasm and artifacts/checksums.txt (sha256sum format).
#
# Environment:
#   CARGO_TARGET_DIR   cargo target dir (default: $HOME/.cache/sibyl-target)
#   SIBYL_TOOLS_DIR    where binaryen@132 is installed with npm (default: $HOME/.cache/sibyl-tools)
#   SIBYL_CONTRACTS    space-separated crates to build (default: all three contracts)
#   SIBYL_ARTIFACTS_DIR  where to write the artifacts (default: artifacts/ at the repository root)
set -euo pipefail

readonly BINARYEN_VERSION=132
readonly DEFAULT_CONTRACTS="sibyl-staking sibyl-job-escrow sibyl-example-consumer"
# Exactly the lowering that was verified to pass `cosmwasm-check` 3.0.10 (docs/gas-and-size.md).
readonly WASM_OPT_FLAGS=(
  -Oz
  --enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue
  --llvm-memory-copy-fill-lowering --llvm-nontrapping-fptoint-lowering --signext-lowering
  --strip-debug --strip-target-features
)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sibyl-target}"
tools_dir="${SIBYL_TOOLS_DIR:-$HOME/.cache/sibyl-tools}"
wasm_opt="$tools_dir/node_modules/.bin/wasm-opt"
artifacts_dir="${SIBYL_ARTIFACTS_DIR:-$repo_root/artifacts}"
read -r -a contracts <<<"${SIBYL_CONTRACTS:-$DEFAULT_CONTRACTS}"

die() {
  echo "build-wasm.sh: $*" >&2
  exit 1
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    return
  fi
  echo "Installing the wasm32-unknown-unknown target with rustup"
  rustup target add wasm32-unknown-unknown
}

ensure_wasm_opt() {
  if [[ -x "$wasm_opt" ]] && "$wasm_opt" --version | grep -q "version $BINARYEN_VERSION\b"; then
    return
  fi
  command -v npm >/dev/null || die "npm is needed to install binaryen@$BINARYEN_VERSION (apt-get install npm)"
  echo "Installing binaryen@$BINARYEN_VERSION into $tools_dir"
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
  "$wasm_opt" --version | grep -q "version $BINARYEN_VERSION\b" ||
    die "$wasm_opt is not binaryen $BINARYEN_VERSION"
}

file_size() {
  stat -c %s "$1"
}

ensure_wasm_target
ensure_wasm_opt
mkdir -p "$artifacts_dir"

# Paths of the checkout and the cargo registry end up in panic messages; remapping them makes the
# artifacts (and their checksums) the same on every machine.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$repo_root=/sibyl --remap-path-prefix=$cargo_home=/cargo"

# Contracts are optimised for size: chains charge for code bytes and the CosmWasm 3 baseline
# (serde_json, core formatting, std's panic machinery) already takes most of the budget. Host builds
# keep the workspace's opt-level 3; this only applies to these wasm32 builds.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z

summary=()
for crate in "${contracts[@]}"; do
  lib_name="${crate//-/_}"
  # One cargo invocation per contract: building them together would unify features, and a contract
  # that depends on another with `library` would strip that one's entry points.
  echo "Building $crate"
  cargo build --release --target wasm32-unknown-unknown --lib -p "$crate"
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$lib_name.wasm"
  [[ -f "$raw" ]] || die "cargo produced no $raw (is $crate a cdylib?)"
  out="$artifacts_dir/$lib_name.wasm"
  "$wasm_opt" "${WASM_OPT_FLAGS[@]}" "$raw" -o "$out"
  summary+=("$(printf '%-28s %10d %10d' "$lib_name.wasm" "$(file_size "$raw")" "$(file_size "$out")")")
done

(cd "$artifacts_dir" && sha256sum -- *.wasm >checksums.txt)

echo
printf '%-28s %10s %10s\n' "artifact" "rustc (B)" "lowered (B)"
printf '%s\n' "${summary[@]}"
echo
echo "Checksums (artifacts/checksums.txt):"
cat "$artifacts_dir/checksums.txt"
