#!/usr/bin/env bash
# Configures and builds firmnet in build/ (Release). Usage: scripts/build.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."
AP_DIR="${FIRMNET_CACHE:-$HOME/.cache/firmnet}/ap_types"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFIRMNET_AP_TYPES_DIR="$AP_DIR" "$@" >/dev/null
cmake --build build -j "$(nproc)"
