#!/usr/bin/env bash
# The main job on the bundled example: set up, build, make the jet-tagger model, then
# inspect -> convert -> predict (emulator) -> csim (g++ + ap_types) and check both agree bit for bit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
out=out/example
mkdir -p $out
build/examples/make_example_model $out/jet_tagger.onnx $out/x.npy 1000
fn=build/firmnet
$fn inspect $out/jet_tagger.onnx -c examples/jet_tagger/config.yml
$fn convert $out/jet_tagger.onnx -c examples/jet_tagger/config.yml -o $out/prj --input $out/x.npy
$fn predict $out/jet_tagger.onnx -c examples/jet_tagger/config.yml --input $out/x.npy --output $out/y_emu.npy
$fn predict $out/jet_tagger.onnx -c examples/jet_tagger/config.yml --input $out/x.npy --output $out/y_float.npy --float
$fn csim $out/prj --input $out/x.npy --output $out/y_csim.npy
if cmp -s $out/y_emu.npy $out/y_csim.npy; then
  echo "example: emulator and C simulation agree bit for bit on 1000 samples ($out/y_emu.npy == $out/y_csim.npy)"
else
  echo "example: MISMATCH between emulator and C simulation" >&2
  exit 1
fi
