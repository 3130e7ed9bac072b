#!/usr/bin/env bash
# Regenerates the golden projects in tests/golden/<case>/project/ with the current build, then shows what
# changed. Review the diff (git diff tests/golden) before committing it. Usage: scripts/update_golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
FIRMNET_UPDATE_GOLDEN=1 ctest --test-dir build -R '^golden/' --output-on-failure
git status --short tests/golden
git diff --stat tests/golden
