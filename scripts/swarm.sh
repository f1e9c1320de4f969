#!/usr/bin/env bash
# The long fault swarm: SEEDS worlds (default 10,000) of two days of real
# traffic each, full of faults, every invariant checked in each. Prints the
# figures (worlds, violations, faults injected by kind, worlds per second)
# and exits non-zero when any world broke an invariant; each failing seed is
# listed with the command that replays it.
#   scripts/swarm.sh [SEEDS] [FIRST_SEED] [CONFIG]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-10000}"
first="${2:-1}"
config="${3:-examples/default.yaml}"
if [ ! -x build/shoal ]; then
  scripts/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target shoal
fi
trace="$(mktemp --suffix=.csv)"
out="$(mktemp --suffix=.json)"
trap 'rm -f "$trace" "$out"' EXIT
head -n 2881 data/nasa_jul95_requests_per_minute.csv > "$trace"   # two days
status=0
build/shoal swarm --config "$config" --trace "$trace" --seeds "$seeds" --first-seed "$first" --json > "$out" || status=$?
/usr/bin/python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"worlds {r['worlds']}  violations {r['violations']}  restarts {r['restarts']}  "
      f"{r['seconds']} s  {r['worlds_per_second']} worlds/s")
print("faults injected: " + ", ".join(f"{k}={v}" for k, v in sorted(r["faults_injected"].items())))
for f in r["failures"]:
    print(f"seed {f['seed']}:")
    for v in f["violations"]:
        print("  " + v)
    print("  replay: " + f["replay"])
PY
exit "$status"
