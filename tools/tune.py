#!/usr/bin/env python3
"""Grid-search policy parameters with `shoal simulate` on the three real traces.

Usage: tools/tune.py [--shoal build/shoal] [--wc98 ../shared/traces/wc98_requests_per_minute.csv]
Prints one line per candidate: cost and service on each trace, and whether it
beats the seed (lower cost, no more lost requests, no more hot minutes).
This is a tool for people tuning examples/default.yaml, not part of the build.
"""
import argparse, itertools, json, os, subprocess, sys, tempfile

TEMPLATE = """groups:
  - name: web
    min: {min}
    desired: {min}
    max: 120
    capacity:
      on_demand_base: {base}
      on_demand_percent_above_base: 0
      allocation_strategy: price-capacity-optimized
      spot_pools:
{pools}
    alarms:
      - {{name: cpu-surge, metric: cpu_utilization, statistic: Average, period: 1m,
          evaluation_periods: {surge_n}, datapoints_to_alarm: {surge_n}, comparison: ">=", threshold: {surge}}}
    policies:
      - name: track-cpu
        type: target-tracking
        metric: cpu_utilization
        target: {target}
        warmup: {warmup}
        alarm_shape:
          scale_out: {{evaluation_periods: {out_n}, datapoints: {out_n}}}
          scale_in: {{evaluation_periods: {in_n}, datapoints: {in_n}, ratio: {ratio}}}
      - name: surge
        type: step
        alarm: cpu-surge
        adjustment_type: percent
        min_adjustment_magnitude: {minadj}
        warmup: {warmup}
        steps:
          - {{lower: 0, upper: 15, adjustment: {step1}}}
          - {{lower: 15, adjustment: {step2}}}
    spot:
      on_notice: replace
"""

POOLS = [("m4.large", z) for z in "abcdf"] + [("c5.large", z) for z in "abcdf"] + [("m5.large", z) for z in "ab"]


def run(shoal, config_text, trace):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(config_text)
        path = f.name
    try:
        out = subprocess.run([shoal, "simulate", "--config", path, "--trace", trace, "--json"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)
    finally:
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shoal", default="build/shoal")
    ap.add_argument("--wc98", default="../shared/traces/wc98_requests_per_minute.csv")
    ap.add_argument("--grid", default="base=1;surge_n=1;target=45,50;ratio=0.8;in_n=15,30;out_n=1,2;surge=65,75;step1=30;step2=80;warmup=3m;min=2;minadj=2")
    args = ap.parse_args()
    traces = ["data/nasa_jul95_requests_per_minute.csv", "data/nasa_aug95_requests_per_minute.csv", args.wc98]
    seed = {t: run(args.shoal, open("examples/seed.yaml").read(), t) for t in traces}
    grid = {}
    for part in args.grid.split(";"):
        k, v = part.split("=")
        grid[k] = v.split(",")
    pools = "\n".join(f"        - {{instance_type: {t}, zone: us-east-1{z}}}" for t, z in POOLS)
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values))
        text = TEMPLATE.format(pools=pools, **params)
        cells, beats = [], True
        for t in traces:
            r, s = run(args.shoal, text, t), seed[t]
            ok = (r["cost_usd"] < s["cost_usd"] and r["lost_requests"] <= s["lost_requests"]
                  and r["hot_minutes"] <= s["hot_minutes"] and r["lost_pct"] <= 0.01)
            beats &= ok
            cells.append(f"{os.path.basename(t)[:9]} ${r['cost_usd']:.0f}/{s['cost_usd']:.0f} "
                         f"x{r['cost_to_oracle']:.2f} lost {r['lost_pct']:.4f}%/{s['lost_pct']:.4f}% "
                         f"hot {r['hot_minutes']}/{s['hot_minutes']}{'' if ok else ' !'}")
        print(("BEATS " if beats else "      ") + " ".join(f"{k}={v}" for k, v in params.items()) + " | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
