#!/usr/bin/env bash
# Stops what scripts/quickstart.sh started: the daemon, its instances, HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."
build/shoal down --data-dir shoal-data --api "${SHOAL_API:-http://127.0.0.1:7400}"
