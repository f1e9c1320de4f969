#!/usr/bin/env bash
# Installs the Debian 12 packages Shoal builds and tests with. Idempotent:
# packages already present are skipped, so a second run does no network work.
# Usage: scripts/install-deps.sh [--test]
#   --test  also the real tools the integration tests run against (only the
#           test command needs them, not the quick start)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libsqlite3-dev
  librdkafka-dev  # the Kafka log destination (its tests run librdkafka's mock cluster)
  libcpp-httplib-dev libssl-dev libcurl4-openssl-dev libpugixml-dev libarchive-dev haproxy
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libfuzzer-14-dev  # the fuzz build (scripts/fuzz.sh)
)
TEST_PACKAGES=(
  prometheus                 # promtool, and a Prometheus that scrapes the daemon (metrics_test)
  nagios4-core ansible-core  # nagios4 -v and ansible-inventory (daemon_inventory_test)
  chromium chromium-driver   # the dashboard test drives headless Chromium (dashboard_test)
  rsyslog rsyslog-kafka      # rsyslogd with omkafka runs the generated config (rsyslog_kafka_test); never started as a service
)
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=("${TEST_PACKAGES[@]}")
elif [ $# -gt 0 ]; then
  echo "install-deps: unknown argument '$1' (the only one is --test)" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
