#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test: the unit,
# simulation and integration tests (ctest), a short fault swarm, the unit
# tests again under AddressSanitizer and UndefinedBehaviorSanitizer, the unit
# tests and the daemon's integration tests under ThreadSanitizer
# (scripts/tsan.sh), then each fuzz target briefly from its seed corpus
# (SHOAL_FUZZ_SECONDS per target, default 10; scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs="$(nproc)"
# Each stage's wall time, so that a slow CI run says where its time went.
stage_name="" stage_start=$SECONDS
stage() {
  [ -z "$stage_name" ] || echo "-- $stage_name: $((SECONDS - stage_start)) s (total $SECONDS s)"
  stage_name="$1" stage_start=$SECONDS
  [ -z "$1" ] || echo "== $1 =="
}

stage "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_TESTS=ON -DSHOAL_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"

# The sanitizer and fuzz builds run while ctest does, at idle CPU priority
# (SCHED_IDLE, nice 19): the integration tests spend most of their time
# waiting on processes and timers, and a SCHED_IDLE task only gets a core
# that nothing else wants, so the tests see the machine as if the builds were
# not there, and the builds use the time ctest leaves free. The same job then
# runs the CPU-bound checks (the swarm, the ASan unit tests, the fuzz
# targets) while the ThreadSanitizer tests, which mostly wait too, run in the
# foreground.
background_checks() {
  local start=$SECONDS
  scripts/tsan.sh --build-only
  touch build/tsan-ready
  # clang-14 (the fuzz build's compiler): at -O0 with ASan + UBSan it compiles
  # this code about twice as fast as GCC 12 (6.9 s against 13.3 s of CPU for
  # src/adapters/local/agent.cc), and it warns where GCC does not. Line
  # tables only: a report still names file and line.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 -DSHOAL_SANITIZE=ON \
    -DCMAKE_CXX_FLAGS_DEBUG="-O0 -gline-tables-only" -DSHOAL_BUILD_TESTS=ON -DSHOAL_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs" --target shoal_unit_tests
  scripts/fuzz.sh --build-only
  echo "== sanitizer and fuzz builds: $((SECONDS - start)) s =="

  echo "== fault swarm: a few hundred seeded worlds (scripts/swarm.sh runs 10,000) =="
  local trace
  trace="$(mktemp --suffix=.csv)"
  head -n 2881 data/nasa_jul95_requests_per_minute.csv > "$trace"   # two days of real traffic
  for run in "default 200 1" "seed 100 100001"; do
    set -- $run
    build/shoal swarm --config "examples/$1.yaml" --trace "$trace" --seeds "$2" --first-seed "$3" --json \
        > "build/swarm-$1.json" || { cat "build/swarm-$1.json"; exit 1; }
  done
  rm -f "$trace"
  grep -E '"(worlds|violations|worlds_per_second)"' build/swarm-default.json build/swarm-seed.json

  echo "== unit tests under ASan + UBSan =="
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/shoal_unit_tests --gtest_brief=1

  echo "== fuzz targets, briefly =="
  scripts/fuzz.sh --no-build "${SHOAL_FUZZ_SECONDS:-10}"
  echo "== background checks done: $((SECONDS - start)) s =="
}
background_log=build/background-checks.log
rm -f build/tsan-ready
setsid -w chrt --idle 0 nice -n 19 bash -c "$(declare -f background_checks); jobs=$jobs; set -euo pipefail; background_checks" \
  >"$background_log" 2>&1 &
background_pid=$!
# Whatever ends this script ends them too.
trap 'kill -- -"$background_pid" 2>/dev/null || true' EXIT

# The background job's scheduling: idle (SCHED_IDLE), low (nice 19) or normal.
background_priority() {
  for pid in $(pgrep -s "$background_pid" 2>/dev/null); do
    case "$1" in
      idle) chrt --idle -a -p 0 "$pid"; renice -n 19 -p "$pid" ;;
      low) chrt --other -a -p 0 "$pid"; renice -n 19 -p "$pid" ;;
      normal) chrt --other -a -p 0 "$pid"; renice -n 0 -p "$pid" ;;
    esac >/dev/null 2>&1 || true
  done
}
background_failed() {
  echo "the background checks failed; their log ($background_log):"
  tail -n 150 "$background_log"
  exit 1
}

stage "unit, simulation and integration tests (ctest; the sanitizer builds run beside it at idle priority)"
ctest --test-dir build --output-on-failure --no-tests=error -j"$jobs"

stage "the rest of the ThreadSanitizer build (at full priority)"
background_priority normal
while [ ! -e build/tsan-ready ] && kill -0 "$background_pid" 2>/dev/null; do sleep 2; done
[ -e build/tsan-ready ] || { wait "$background_pid" || true; background_failed; }

stage "unit tests, and the integration tests of the daemon's threads, under ThreadSanitizer (the other checks beside them at nice 19)"
# nice 19, not SCHED_IDLE: a fuzz target starved of CPU for 30 s would
# report a timeout; at nice 19 it always gets a little.
background_priority low
scripts/tsan.sh --no-build   # scripts/tsan.sh --all: every integration test under TSan

stage "what is left of the ASan + UBSan unit tests, the fault swarm and the fuzz targets"
background_priority normal
wait "$background_pid" || background_failed
trap - EXIT
grep -E '^(== |-- )|"(worlds|violations|worlds_per_second)"|^\[  PASSED|^target|^[a-z_]+ +[0-9?]+ +[0-9]+$' "$background_log"
stage ""
