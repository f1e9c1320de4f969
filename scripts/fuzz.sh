#!/usr/bin/env bash
# Fuzzes every reader of outside input: builds the libFuzzer targets of fuzz/
# (clang-14, -fsanitize=fuzzer,address,undefined) into build-fuzz/, runs each
# for SECONDS_PER_TARGET seconds (default 300) from its seed corpus, prints per
# target the executions and the crashes found, and exits non-zero on any
# crash (a sanitizer report, an uncaught exception, a broken property, a
# timeout or running out of memory).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    e.g. scripts/fuzz.sh 60 config imds
#   scripts/fuzz.sh --build-only                        only build (scripts/test.sh builds while ctest runs)
#   scripts/fuzz.sh --no-build [SECONDS] [TARGET...]    run what an earlier build left in build-fuzz/
#
# Inputs found along the way are kept in build-fuzz/corpus/<target>/ (shrunk
# to those that add coverage when they pass 2000 files), so a later run starts
# from them; a crash's input is saved in
# build-fuzz/artifacts/<target>/ and replays with build-fuzz/fuzz/fuzz_<target> FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1 run=1
case "${1:-}" in
  --build-only) run=0; shift ;;
  --no-build) build=0; shift ;;
esac
seconds="${1:-300}"
if [[ ! "$seconds" =~ ^[1-9][0-9]{0,5}$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]  (seconds: 1..999999)" >&2
  exit 2
fi
shift $(( $# > 0 ? 1 : 0 ))

all_targets=()
for src in fuzz/*.cc; do all_targets+=("$(basename "$src" .cc)"); done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [ ! -f "fuzz/$t.cc" ]; then
    echo "fuzz.sh: no target '$t' (have: ${all_targets[*]})" >&2
    exit 2
  fi
done

if [ "$build" = 1 ]; then
  scripts/install-deps.sh
  echo "== fuzz build (clang-14, libFuzzer + ASan + UBSan) =="
  # -O1 with line tables only: a crash's stack still names file and line, and
  # the build takes a fraction of -O2 -g on two cores.
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DSHOAL_FUZZ=ON -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"$(nproc)"
fi
[ "$run" = 1 ] || exit 0
for t in "${targets[@]}"; do
  if [ ! -x "build-fuzz/fuzz/fuzz_$t" ]; then
    echo "fuzz.sh: build-fuzz/fuzz/fuzz_$t is not built: run scripts/fuzz.sh --build-only first (or without --no-build)" >&2
    exit 2
  fi
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
summary=()
failed=0
for t in "${targets[@]}"; do
  work="build-fuzz/corpus/$t"
  artifacts="build-fuzz/artifacts/$t"
  log="build-fuzz/fuzz-$t.log"
  mkdir -p "$work" "$artifacts"
  # The kept inputs only grow; past a few thousand files (slow to load), keep
  # only those that add coverage.
  if [ "$(find "$work" -type f | wc -l)" -gt 2000 ]; then
    rm -rf "$work.min" && mkdir "$work.min"
    if "build-fuzz/fuzz/fuzz_$t" -merge=1 "$work.min" "$work" >"$log" 2>&1; then
      rm -rf "$work" && mv "$work.min" "$work"
    else
      rm -rf "$work.min"
    fi
  fi
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048
        -artifact_prefix="$artifacts/")
  [ -f "fuzz/dict/$t.dict" ] && args+=(-dict="fuzz/dict/$t.dict")
  echo "== fuzz_$t: ${seconds}s =="
  status=0
  "build-fuzz/fuzz/fuzz_$t" "${args[@]}" "$work" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  crashes="$(find "$artifacts" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi  # died before writing its input
  summary+=("$(printf '%-18s %10s %8s' "$t" "${execs:-?}" "$crashes")")
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz_$t found a crash (exit $status); the report:"
    grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\|INITED\)' "$log" | tail -n 60
    find "$artifacts" -maxdepth 1 -type f ! -name 'slow-unit-*' -printf "input: %p (replay: build-fuzz/fuzz/fuzz_$t %p)\n"
  fi
done

echo "== fuzz summary (${seconds}s per target) =="
printf '%-18s %10s %8s\n' target executions crashes
printf '%s\n' "${summary[@]}"
exit "$failed"
