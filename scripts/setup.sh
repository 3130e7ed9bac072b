#!/usr/bin/env bash
# Installs everything firmnet needs on a fresh Debian 12 machine, then fetches Xilinx's open-source
# ap_types headers (Apache-2.0, shipped inside the hls4ml wheel on PyPI) into a cache outside git.
# Idempotent: a second run does nothing but check.
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config
      libonnx-dev libprotobuf-dev protobuf-compiler   # ONNX protobuf model reading
      libyaml-cpp-dev                                 # hls4ml-style YAML configs
      libcli11-dev                                    # command line
      libfmt-dev                                      # formatting
      nlohmann-json3-dev                              # estimate.json, vendor report JSON, Keras configs, test cases
      libhdf5-dev                                     # Keras .h5 models and weights (HDF5 1.10, hdf5-serial)
      libzip-dev                                      # Keras 3 .keras archives (zip)
      libpugixml-dev                                  # reading Vivado/Vitis HLS csynth.xml
      libgtest-dev libgmock-dev                       # tests
      libbenchmark-dev                                # bench/
      clang                                           # tests: generated firmware is warning-free in clang++ -std=c++11 too
      python3 python3-pip unzip)                      # fetching ap_types from PyPI

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ap_types: pinned hls4ml release; only its headers are used.
HLS4ML_VERSION=1.3.0
CACHE="${FIRMNET_CACHE:-$HOME/.cache/firmnet}"
AP_DIR="$CACHE/ap_types"
if [ ! -f "$AP_DIR/ap_fixed.h" ]; then
  echo "setup: fetching ap_types headers (hls4ml==$HLS4ML_VERSION from PyPI) into $AP_DIR"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: "hls4ml==$HLS4ML_VERSION" -d "$tmp"
  (cd "$tmp" && unzip -q -o hls4ml-*.whl 'hls4ml/templates/vivado/ap_types/*')
  mkdir -p "$CACHE"
  rm -rf "$AP_DIR"
  cp -r "$tmp/hls4ml/templates/vivado/ap_types" "$AP_DIR"
  rm -rf "$tmp"
fi
echo "setup: ok (ap_types in $AP_DIR)"
