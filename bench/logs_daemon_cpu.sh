#!/usr/bin/env bash
# Daemon CPU with logging at 50 instances (issue 11 §6): `shoal serve` runs
# 50 local instances of the example service, each also printing LINES lines
# a second to stdout; after all 50 serve, the daemon's CPU (user+sys from
# /proc) and the lines stored are measured over SECONDS seconds.
#
#   bench/logs_daemon_cpu.sh [BUILD_DIR] [LINES_PER_INSTANCE_PER_S] [SECONDS]
set -euo pipefail
build=${1:-build}
lines=${2:-100}
secs=${3:-60}
shoal=$(realpath "$build/shoal")
web=$(realpath "$build/examples/web/shoal_web")
dir=$(mktemp -d /tmp/shoal-logs-cpu-XXXXXX)
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api=$(port); web_port=$(port)
cat > "$dir/cluster.yaml" <<YAML
groups:
  - name: web
    listen_port: $web_port
    min: 50
    max: 50
    desired: 50
    drain_timeout: 5s
    capacity:
      on_demand_percent_above_base: 0
      spot_pools:
        - {instance_type: m4.large, zone: us-east-1a}
        - {instance_type: c5.large, zone: us-east-1b}
    launch:
      command: ["/bin/sh", "-c", "(while :; do seq 1 $lines | sed 's/^/tick line /'; sleep 1; done) & exec $web --port {port} --dir {dir} --cpu-ms 1"]
      cpu_share: 0.02
    health_check: {path: /health, interval: 1s, rise: 1, fall: 3, grace: 120s}
YAML
"$shoal" serve --config "$dir/cluster.yaml" --data-dir "$dir/data" --api "127.0.0.1:$api" > "$dir/daemon.log" 2>&1 &
daemon=$!
cleanup() {
  kill "$daemon" 2>/dev/null || true
  wait "$daemon" 2>/dev/null || true
  for f in "$dir"/data/instances/*/instance.json; do
    pg=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("pgid",0))' "$f" 2>/dev/null || echo 0)
    [ "$pg" -gt 1 ] && kill -KILL -- "-$pg" 2>/dev/null || true
  done
  [ -f "$dir/data/haproxy/haproxy.pid" ] && kill -KILL "$(cat "$dir/data/haproxy/haproxy.pid")" 2>/dev/null || true
  for c in /sys/fs/cgroup/cpu/shoal/*/; do rmdir "$c" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 240); do
  [ -f "$dir/data/api-token" ] && break
  sleep 0.5
done
token=$(cat "$dir/data/api-token")
serving=0
for _ in $(seq 1 240); do
  serving=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$api/v1/groups/web" |
            /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("in_service",0))' 2>/dev/null || echo 0)
  [ "$serving" -ge 50 ] && break
  sleep 1
done
echo "in service: $serving"
sleep 5  # the first passes ship the backlog
cpu() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
count() { sqlite3 "file:$dir/data/logs.db?mode=ro" "SELECT count(*) FROM log_lines" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
c0=$(cpu); n0=$(count); t0=$(date +%s.%N)
sleep "$secs"
c1=$(cpu); n1=$(count); t1=$(date +%s.%N)
/usr/bin/python3 - "$c0" "$c1" "$n0" "$n1" "$t0" "$t1" "$hz" <<'PY'
import sys
c0, c1, n0, n1 = map(int, sys.argv[1:5]); t0, t1 = map(float, sys.argv[5:7]); hz = int(sys.argv[7])
wall = t1 - t0
cpu = (c1 - c0) / hz
print(f"daemon CPU: {cpu:.2f} s over {wall:.1f} s = {100 * cpu / wall:.1f}% of one core")
print(f"lines stored: {n1 - n0} = {(n1 - n0) / wall:.0f} lines/s")
PY
