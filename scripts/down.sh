#!/usr/bin/env bash
# Stops what scripts/quickstart.sh started: the daemon, its instances, HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."
build/shoal down --data-dir shoal-data
