#!/usr/bin/env bash
# Installs, builds, and runs Shoal's main job on embedded defaults: simulate
# the seed's setup and Shoal's recommended one on a bundled real trace
# (NASA-HTTP, July 1995) and print both reports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
trace=data/nasa_jul95_requests_per_minute.csv
echo
echo "=== The seed's setup (examples/seed.yaml) ==="
build/shoal simulate --config examples/seed.yaml --trace "$trace" --plot out-seed.svg
echo
echo "=== Shoal's recommended setup (examples/default.yaml) ==="
build/shoal simulate --config examples/default.yaml --trace "$trace" --plot out-default.svg
echo
echo "Plots: out-seed.svg and out-default.svg (open them in a browser)."
