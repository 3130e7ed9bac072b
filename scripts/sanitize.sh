#!/usr/bin/env bash
# Builds the test suite with AddressSanitizer + UndefinedBehaviorSanitizer (g++, -DFIRMNET_SANITIZE=ON) in
# build-sanitize/ and runs it; any sanitizer report fails the test that triggered it. Not part of CI (it
# takes several times as long as scripts/test.sh).
#
#   scripts/sanitize.sh                 # the whole suite
#   scripts/sanitize.sh -R 'Npy|Onnx'   # extra arguments go to ctest (here: a subset)
#   SANITIZE_TARGETS="support_tests frontends_tests" scripts/sanitize.sh -R 'FuzzFindings|Onnx'
#                                       # build only these targets (then select their tests with -R)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
AP_DIR="${FIRMNET_CACHE:-$HOME/.cache/firmnet}/ap_types"
B=build-sanitize
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIRMNET_SANITIZE=ON -DFIRMNET_NATIVE=OFF \
      -DFIRMNET_AP_TYPES_DIR="$AP_DIR" ${SANITIZE_CMAKE_ARGS:-} >/dev/null
# shellcheck disable=SC2086
cmake --build "$B" -j "${SANITIZE_BUILD_JOBS:-$(nproc)}" ${SANITIZE_TARGETS:+--target $SANITIZE_TARGETS}
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$B"
ctest -j "${SANITIZE_TEST_JOBS:-$(nproc)}" --output-on-failure "$@"
