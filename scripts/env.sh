# Shared settings for the scripts: sourced, not run.
# The cargo target dir lives outside the clone so that rebuilds of a fresh clone are fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sibyl-target}"
export SIBYL_TOOLS_DIR="${SIBYL_TOOLS_DIR:-$HOME/.cache/sibyl-tools}"
SIBYL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SIBYL_ROOT
