#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with -fsanitize=fuzzer,address,undefined) in build-fuzz/,
# seeds their corpora, and runs each target in turn for the given time. Not part of CI (docs/FUZZING.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    # default: 60 s each for fuzz_onnx fuzz_config fuzz_data fuzz_report fuzz_ir fuzz_keras
#   scripts/fuzz.sh --build                  # build and seed only
#
# Corpora grow in build-fuzz/corpus/<target>/ across runs; crashes land in build-fuzz/artifacts/<target>/;
# each run's libFuzzer output is build-fuzz/logs/<target>-<time>.log. Runs are niced (nice -n 19) and one
# at a time. Seeds: ../shared/models (ONNX models, .npy/.dat data; skipped when absent), the example and
# golden configurations, ../shared/fuzz-findings, and the models the test suite writes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
B=build-fuzz
SHARED="$ROOT/../shared"
ALL=(fuzz_onnx fuzz_config fuzz_data fuzz_report fuzz_ir fuzz_keras)

build_only=0
secs=60
if [ "${1:-}" = "--build" ]; then build_only=1; shift; elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")

command -v clang++ >/dev/null || { echo "fuzz: clang++ is needed (apt-get install clang)"; exit 1; }
AP_DIR="${FIRMNET_CACHE:-$HOME/.cache/firmnet}/ap_types"
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DFIRMNET_FUZZ=ON \
      -DFIRMNET_NATIVE=OFF -DFIRMNET_AP_TYPES_DIR="$AP_DIR" ${FUZZ_CMAKE_ARGS:-} >/dev/null
nice -n 19 cmake --build "$B" -j "${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"

# Seeds: copied once into the corpus (files already there are kept; the fuzzer adds its own).
seed() {  # target, files...
  local dir="$B/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/seed-$(basename "$f")" 2>/dev/null || true; done
}
shopt -s nullglob globstar
# ONNX seeds that the regular build converts within 0.5 s: under ASan+UBSan (about 10x slower) the others
# (e.g. the 512x512 channels-last QONNX models) would exceed -timeout=10 on every run and find nothing.
onnx_seeds=()
for m in "$SHARED"/models/**/*.onnx "$SHARED"/fuzz-findings/*.onnx; do
  rc=0
  [ -x build/firmnet ] && { timeout 0.5 build/firmnet -q inspect "$m" >/dev/null 2>&1 || rc=$?; }
  if [ "$rc" -eq 124 ]; then
    echo "fuzz: seed $(basename "$m") left out (converts in more than 0.5 s)"
    rm -f "$B/corpus/fuzz_onnx/seed-$(basename "$m")"
    continue
  fi
  onnx_seeds+=("$m")
done
seed fuzz_onnx "${onnx_seeds[@]}"
seed fuzz_config examples/**/*.yml tests/golden/*/config.yml "$SHARED"/models/**/*.yml
seed fuzz_data "$SHARED"/models/**/*.npy "$SHARED"/models/**/*.dat "$SHARED"/fuzz-findings/*.npy fuzz/seeds/data/*
seed fuzz_config fuzz/seeds/config/*
seed fuzz_onnx fuzz/seeds/onnx/*
seed fuzz_report "$SHARED"/estimation/**/*.rpt "$SHARED"/estimation/**/*.xml tests/golden/*/project/estimate.json fuzz/seeds/report/*
seed fuzz_ir fuzz/seeds/ir/*
# Keras: full-model .h5 and .keras files (weights-only .h5 and .json architectures exercise the error paths).
seed fuzz_keras "$SHARED"/models/cases/keras/*.h5 "$SHARED"/models/cases/keras/*.keras "$SHARED"/models/**/*.json \
     "$SHARED"/fuzz-findings/*.h5 "$SHARED"/fuzz-findings/*.keras fuzz/seeds/keras/*
# The IR text of the shared models, when the regular build's firmnet is there to print it.
if [ -x build/firmnet ]; then
  mkdir -p "$B/corpus/fuzz_ir"
  for m in "$SHARED"/models/onnx/*.onnx "$SHARED"/models/cases/cnn/*.onnx; do
    out="$B/corpus/fuzz_ir/seed-$(basename "$m" .onnx).fnir"
    [ -f "$out" ] || build/firmnet -q inspect --ir "$m" >"$out" 2>/dev/null || rm -f "$out"
  done
fi
[ "$build_only" = 1 ] && { echo "fuzz: built and seeded ${targets[*]} in $B"; exit 0; }

mkdir -p "$B/logs"
# libhdf5 hangs on some corrupt files; the Keras reader then gives up after this many seconds (an Error), well
# within libFuzzer's -timeout.
export FIRMNET_HDF5_TIMEOUT_S=${FIRMNET_HDF5_TIMEOUT_S:-3}
status=0
for t in "${targets[@]}"; do
  mkdir -p "$B/artifacts/$t"
  log="$B/logs/$t-$(date -u +%Y%m%dT%H%M%S).log"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  # Short inputs mutate faster; ONNX seeds (models up to 0.5 MB) keep libFuzzer's default (the largest seed).
  case $t in fuzz_data|fuzz_report|fuzz_ir) dict+=(-max_len=65536) ;; fuzz_config) dict+=(-max_len=8192) ;; esac
  # fuzz_keras: libhdf5 runs in a forked child, which inherits libFuzzer's malloc-limit hook (no API removes
  # it); a large allocation by libhdf5 in the child then wrote an oom-* file for an input the parent handles
  # (one Error). The single-allocation bound moves to ASan (max_allocation_size_mb: in the parent a report,
  # a finding; in the child an exit, which the reader turns into its Error), the RSS bound stays libFuzzer's.
  asan=${ASAN_OPTIONS:-}
  [ "$t" = fuzz_keras ] && { dict+=(-malloc_limit_mb=1048576); asan="${asan:+$asan:}max_allocation_size_mb=2048"; }
  echo "fuzz: $t for ${secs}s -> $log"
  start=$(date +%s)
  # -timeout=10: an input that takes more than 10 s is a finding; -rss_limit_mb: so is one that needs >2 GiB.
  ( TIMEFORMAT="cpu_user_s=%U cpu_sys_s=%S wall_s=%R"
    time ASAN_OPTIONS="$asan" nice -n 19 "$B/fuzz/$t" "$B/corpus/$t" "${dict[@]}" -max_total_time="$secs" -timeout=10 \
         -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t/" ${FUZZ_ARGS:-} ) >"$log" 2>&1 \
    || { status=1; echo "fuzz: $t FAILED after $(( $(date +%s) - start ))s: see $log and $B/artifacts/$t/"; }
  grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|cpu_user_s" "$log" | sed "s/^/  $t: /" || true
done
exit $status
