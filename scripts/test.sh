#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test: the unit and
# simulation tests (ctest), then the unit tests again under AddressSanitizer
# and UndefinedBehaviorSanitizer, then each fuzz target briefly from its seed
# corpus (SHOAL_FUZZ_SECONDS per target, default 10; scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs="$(nproc)"

echo "== build and test (RelWithDebInfo) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_TESTS=ON -DSHOAL_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure --no-tests=error -j"$jobs"

echo "== fault swarm: a few hundred seeded worlds (scripts/swarm.sh runs 10,000) =="
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
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=ON -DSHOAL_BUILD_TESTS=ON -DSHOAL_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target shoal_unit_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/shoal_unit_tests --gtest_brief=1

echo "== unit and integration tests under ThreadSanitizer =="
# -O1 without debug info builds fastest; reports still name the functions.
# halt_on_error: a race in the tests or in a daemon they start fails the run.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DSHOAL_TSAN=ON \
  -DSHOAL_BUILD_TESTS=ON -DSHOAL_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target shoal_unit_tests shoal_integration_tests shoal shoal_web
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
build-tsan/shoal_unit_tests --gtest_brief=1
# The live/simulator comparisons (minutes of wall clock each) and the hundred-instance call
# budget and the two-minute canary analyses (rolling and blue/green) are about decisions and call
# counts, not threads: they run once, above. Under TSan the tests run one at a
# time: overlapped (as ctest does above) the slower instrumented processes
# missed HAProxy's health-check timing, and a race inside Debian's
# uninstrumented libcpp-httplib showed up in a test's helper server.
# The Kafka tests run librdkafka (uninstrumented) and its mock cluster in
# the test process; under TSan a librdkafka broker thread dies with a SEGV
# inside TSan's own allocator (getaddrinfo -> realloc), not in our code:
# they run once, above.
build-tsan/shoal_integration_tests --gtest_brief=1 \
  --gtest_filter='-DaemonTest.AScriptedLoadScalesTheSameLiveAsInTheSimulator:AwsSimEquivalenceTest.*:ServeAwsTest.ASteadyHundredInstanceGroupStaysWithinItsCallBudget:DaemonDeployTest.AReleaseServingFivePercentErrorsIsCaughtByTheCanaryAnalysis:DaemonBlueGreenTest.AReleaseServingFivePercentErrorsIsSwitchedBackFrom:KafkaLogsTest.*:DaemonLogsTest.ThroughKafka*'
unset TSAN_OPTIONS

echo "== fuzz targets, briefly =="
scripts/fuzz.sh "${SHOAL_FUZZ_SECONDS:-10}"
