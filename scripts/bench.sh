#!/usr/bin/env bash
# Builds and runs the benchmarks (bench/firmnet_bench.cpp); prints Google Benchmark's table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/bench/firmnet_bench "$@"
