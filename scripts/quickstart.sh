#!/usr/bin/env bash
# Installs, builds, and brings up Shoal's main job on embedded defaults: a
# live auto-scaled cluster of the example web service behind HAProxy on this
# machine (examples/local.yaml), run by `shoal serve` in the background.
# Then it says how to reach it, load it, watch it scale and take it down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

data=shoal-data
api=127.0.0.1:7400
mkdir -p "$data"
if build/shoal get groups --api "http://$api" --data-dir "$data" >/dev/null 2>&1; then
  echo "shoal serve is already running on $api (scripts/down.sh stops it)"
else
  nohup build/shoal serve --config examples/local.yaml --data-dir "$data" --api "$api" \
    >"$data/daemon.log" 2>&1 &
  daemon=$!
  echo "started shoal serve (pid $daemon, log: $data/daemon.log)"
fi

echo -n "waiting for the group to serve"
for _ in $(seq 1 120); do
  if build/shoal get groups --json --api "http://$api" --data-dir "$data" 2>/dev/null | grep -q '"in_service": [2-9]'; then
    break
  fi
  if [ -n "${daemon:-}" ] && ! kill -0 "$daemon" 2>/dev/null; then
    echo; echo "shoal serve exited; its log:"; cat "$data/daemon.log"; exit 1
  fi
  echo -n .
  sleep 1
done
echo
# A load this machine can serve: each request costs 20 ms of CPU and each
# instance may use half a core, so a core serves about 50 requests/s; ramp to
# 60% of the cores (HAProxy, the daemon and the load generator need the rest).
cores="$(nproc)"
rate_hi=$(( cores * 30 ))
rate_lo=$(( rate_hi / 4 > 5 ? rate_hi / 4 : 5 ))
build/shoal get groups --api "http://$api" --data-dir "$data"
echo
build/shoal get instances --api "http://$api" --data-dir "$data"
cat <<MSG

The cluster is up. Try:
  curl http://127.0.0.1:8080/                              # a request through HAProxy
  build/examples/web/shoal_load --url http://127.0.0.1:8080/ --rate $rate_lo --ramp-to $rate_hi --duration 300
                                                           # load it for five minutes (sized for $cores cores)
  build/shoal get instances -w                             # watch it scale (Ctrl-C to stop watching)
  build/shoal get activities -w                            # every scaling activity and its cause
  build/shoal describe group web
  build/shoal spot interrupt <instance-id>                 # a two-minute spot notice
  build/shoal scale web --desired 4
  build/shoal simulate --config examples/default.yaml --trace data/nasa_jul95_requests_per_minute.csv
                                                           # the same decision code on a month of real traffic
  scripts/down.sh                                          # stop the daemon, its instances and HAProxy
(The CLI reads the token from $data/api-token; set SHOAL_DATA_DIR if you run it elsewhere.)
MSG
