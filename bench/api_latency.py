#!/usr/bin/python3
"""API latency while the daemon works: starts `shoal serve` on a throwaway
data dir with a group of the example service, then scales it from 2 to 22
instances (one tick launches 20) while a client keeps reading GET
/v1/groups, and prints p50 / p99 / max of those reads during the scale-out
window, and the same for a quiet window before it.

  bench/api_latency.py [BUILD_DIR]     (default: build)
"""
import http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
shoal = os.path.abspath(os.path.join(build, "shoal"))
web = os.path.abspath(os.path.join(build, "examples/web/shoal_web"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


work = tempfile.mkdtemp(prefix="shoal-api-latency-")
api, lb = free_port(), free_port()
config = os.path.join(work, "cluster.yaml")
with open(config, "w") as f:
    f.write(f"""groups:
  - name: web
    listen_port: {lb}
    min: 1
    desired: 2
    max: 40
    capacity: {{on_demand_base: 0, on_demand_percent_above_base: 100}}
    launch:
      command: ["{web}", "--port", "{{port}}", "--dir", "{{dir}}", "--cpu-ms", "1"]
      cpu_share: 0.05
    health_check: {{path: /health, interval: 1s, rise: 1, fall: 2, grace: 60s}}
""")
log = open(os.path.join(work, "daemon.log"), "w")
daemon = subprocess.Popen([shoal, "serve", "--config", config, "--data-dir", os.path.join(work, "data"),
                           "--api", f"127.0.0.1:{api}"], stdout=log, stderr=log)
token = None
try:
    for _ in range(200):
        try:
            token = open(os.path.join(work, "data", "api-token")).read().strip()
            c = http.client.HTTPConnection("127.0.0.1", api, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    headers = {"Authorization": "Bearer " + token}

    def call(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", api, timeout=30)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, data

    def in_service():
        status, data = call("GET", "/v1/groups/web")
        return json.loads(data)["in_service"] if status == 200 else 0

    while in_service() < 2:
        time.sleep(0.2)
    samples = []  # (t, seconds)
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            t0 = time.monotonic()
            call("GET", "/v1/groups")
            samples.append((t0, time.monotonic() - t0))

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(3)
    scale_at = time.monotonic()
    call("POST", "/v1/groups/web/scale", json.dumps({"desired": 22}))
    while in_service() < 22 and time.monotonic() - scale_at < 60:
        time.sleep(0.2)
    served_at = time.monotonic()
    stop.set()
    thread.join()
    quiet = [d for t, d in samples if t < scale_at]
    busy = [d for t, d in samples if scale_at <= t < served_at]
    for name, values in (("quiet", quiet), ("scale-out 2 -> 22", busy)):
        if not values:
            continue
        print(f"{name:18s} reads {len(values):5d}  p50 {1000 * statistics.median(values):7.2f} ms  "
              f"p99 {1000 * percentile(values, 99):7.2f} ms  max {1000 * max(values):7.2f} ms")
    print(f"scale-out to 22 in service took {served_at - scale_at:.1f} s")
finally:
    subprocess.run([shoal, "down", "--data-dir", os.path.join(work, "data")], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGKILL)
    daemon.wait()
    shutil.rmtree(work, ignore_errors=True)
