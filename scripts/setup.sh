#!/usr/bin/env bash
# Installs everything Sibyl needs on a fresh Debian/Ubuntu machine; safe to run again.
#   - Vulkan loader + Mesa's lavapipe (a CPU Vulkan driver), glslc and spirv-tools for the shaders
#   - the wasm32 Rust target, rustfmt and clippy
#   - binaryen 132 (wasm-opt) from npm, to lower the contracts' wasm for the CosmWasm 3.0 VM
#   - jq, which the localnet scripts read the wasmd CLI's JSON with (wasmd itself is built by
#     `scripts/localnet.sh install`, which the test command runs)
#   - Debian's chromium, the real browser of the dashboard's test (driven by playwright-core)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

apt_packages=(mesa-vulkan-drivers libvulkan1 vulkan-tools glslc spirv-tools jq chromium)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for component in rustfmt clippy; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

if [ ! -x "$SIBYL_TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
    echo "setup: installing binaryen@132 into $SIBYL_TOOLS_DIR"
    mkdir -p "$SIBYL_TOOLS_DIR"
    (cd "$SIBYL_TOOLS_DIR" && npm install --silent --no-audit --no-fund binaryen@132)
fi
echo "setup: ok (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
