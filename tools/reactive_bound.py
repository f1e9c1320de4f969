#!/usr/bin/python3
"""What sizing from the load already seen can reach on a trace, at best.

`shoal simulate` compares a policy's cost with an oracle that sizes every
minute exactly, with no launch delay, at 80% CPU. No real policy can: a
launch takes minutes, so capacity for minute t is decided from the load seen
up to t - LAUNCH. This tool asks how close a simple, idealised family of such
rules gets, to tell how much of a policy's distance from the oracle is the
policy's and how much is the trace's (its minute-to-minute noise, its jumps
from nothing).

The family: capacity at minute t is

    max(MIN, ceil(FACTOR * max(load[t-LAUNCH-WINDOW+1 .. t-LAUNCH]) / unit))

units, that is FACTOR times the busiest minute of the last WINDOW minutes
that were known a launch time ago. Idealised in the rule's favour: capacity
comes and goes at once (no boot, no drain, no billing minimum), and FACTOR
and WINDOW are picked knowing the whole trace. For each WINDOW the tool finds
the least FACTOR whose lost requests (load above capacity at 100% CPU, as the
simulator counts them) stay within each ceiling, and prints its
instance-hours against the oracle's. The oracle and the unit are the
simulator's: a unit serves peak/PEAK_INSTANCES requests a minute, and the
oracle holds ceil(load / unit / 0.8) each minute.

    tools/reactive_bound.py TRACE.csv [TRACE.csv ...] [--launch 3] [--min 2]
        [--peak-instances 40] [--lost-pct 0.01 ...] [--windows 1,3,10,30,60,120]
        [--json]

Instance-hours are not cost: the simulator's cost also has the price paid
over the oracle's (the cheapest pool every minute), about 5% with the default
pools. Standard library only.
"""

import argparse
import csv
import json
import math
import sys
from collections import deque


def load_trace(path):
    """The requests per minute of a minute,requests CSV (a header is skipped)."""
    out = []
    try:
        f = open(path, newline="")
    except OSError as e:
        sys.exit(f"{path}: cannot read it: {e.strerror}")
    with f:
        for row in csv.reader(f):
            if not row or not row[0].strip() or not row[0].strip()[0].isdigit():
                continue
            try:
                value = float(row[-1])
            except ValueError:
                sys.exit(f"{path}: '{row[-1]}' is not a number of requests")
            if value < 0 or math.isnan(value):
                sys.exit(f"{path}: a negative or NaN number of requests: {row[-1]}")
            out.append(value)
    if not out or max(out) <= 0:
        sys.exit(f"{path}: no minute with requests")
    return out


def known_max(load, window, launch):
    """For each minute t, the busiest minute of [t-launch-window+1, t-launch]
    (the first minute's load before any is known)."""
    out = [0.0] * len(load)
    q = deque()
    for t in range(len(load)):
        j = t - launch
        if j < 0:
            out[t] = load[0]
            continue
        while q and load[q[-1]] <= load[j]:
            q.pop()
        q.append(j)
        while q[0] < j - window + 1:
            q.popleft()
        out[t] = load[q[0]]
    return out


def evaluate(load, seen, factor, unit, minimum):
    """(lost requests, unit-minutes) of the rule with this factor."""
    lost = 0.0
    units = 0
    for demand, busiest in zip(load, seen):
        c = max(minimum, math.ceil(factor * busiest / unit - 1e-9))
        units += c
        if demand > c * unit:
            lost += demand - c * unit
    return lost, units


def least_factor(load, seen, unit, minimum, ceiling_pct, total):
    """The least factor (to 0.001) within the loss ceiling, or None."""
    lo, hi = 0.0, 16.0
    lost, _ = evaluate(load, seen, hi, unit, minimum)
    if 100.0 * lost / total > ceiling_pct:
        return None
    while hi - lo > 0.001:
        mid = (lo + hi) / 2
        lost, _ = evaluate(load, seen, mid, unit, minimum)
        if 100.0 * lost / total <= ceiling_pct:
            hi = mid
        else:
            lo = mid
    return hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--launch", type=int, default=3, help="minutes from the decision to serving (default 3)")
    ap.add_argument("--min", type=int, default=2, help="units always held (default 2, as examples/default.yaml)")
    ap.add_argument("--peak-instances", type=int, default=40, help="units the peak minute needs at 100%% CPU")
    ap.add_argument("--lost-pct", type=float, action="append", help="loss ceilings, %% of requests (default 0.01)")
    ap.add_argument("--windows", default="1,3,10,30,60,120", help="windows to try, minutes")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.launch < 0 or a.min < 0 or a.peak_instances < 1:
        sys.exit("--launch and --min must be >= 0 and --peak-instances >= 1")
    try:
        windows = [int(w) for w in a.windows.split(",")]
    except ValueError:
        sys.exit(f"--windows must be a comma list of minutes, got '{a.windows}'")
    if any(w < 1 for w in windows):
        sys.exit("--windows: each window must be at least 1 minute")
    ceilings = a.lost_pct or [0.01]
    results = []
    for path in a.traces:
        load = load_trace(path)
        unit = max(load) / a.peak_instances
        total = sum(load)
        oracle_hours = sum(math.ceil(x / unit / 0.8 - 1e-9) for x in load) / 60
        for ceiling in ceilings:
            best = None
            for w in windows:
                seen = known_max(load, w, a.launch)
                f = least_factor(load, seen, unit, a.min, ceiling, total)
                if f is None:
                    continue
                lost, units = evaluate(load, seen, f, unit, a.min)
                row = {"trace": path, "lost_pct_ceiling": ceiling, "window": w, "factor": round(f, 3),
                       "instance_hours": round(units / 60, 1), "oracle_hours": round(oracle_hours, 1),
                       "to_oracle": round(units / 60 / oracle_hours, 3), "lost_pct": round(100 * lost / total, 5)}
                results.append(row)
                if best is None or row["instance_hours"] < best["instance_hours"]:
                    best = row
            if not a.json:
                if best is None:
                    print(f"{path}: no window keeps the loss within {ceiling}%")
                else:
                    print(f"{path}  lost <= {ceiling}%: best window {best['window']} min, factor {best['factor']}: "
                          f"{best['instance_hours']:.0f} instance-hours = {best['to_oracle']:.2f} x the oracle's "
                          f"{oracle_hours:.0f} (lost {best['lost_pct']:.4f}%)")
    if a.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
