#!/usr/bin/python3
"""Build a test trace with scheduled, minute-scale bursts from a base trace.

Real traffic often has bursts that clients cause on a schedule: cron jobs,
scheduled pushes and reports fire at the same minute of every quarter hour,
hour or day, and the load jumps to several times its level within a minute.
This tool adds such bursts to a per-minute trace (minute,requests), so a
policy can be shown on traffic nobody tuned it on.

    tools/burst_trace.py BASE.csv OUT.csv --burst '*/15 * *:4:2' [--burst ...]
        [--start 00:00] [--start-weekday 5] [--probability 1] [--jitter 0] [--seed 1]

A burst is CRON:HEIGHT:LENGTH[:RAMP]:
  CRON    three cron fields, minute hour weekday (0 = Sunday), each '*',
          '*/N', 'N', 'A-B' or a comma list of those: '*/15 * *' is every
          quarter hour, '0 9 1-5' is 09:00 on weekdays, '30 */6 *' is
          half past every sixth hour.
  HEIGHT  the load during the burst, as a multiple of the base's mean over
          the hour before it (4: four times the level).
  LENGTH  minutes the burst lasts.
  RAMP    minutes it takes to rise (default 0: at full height in its first
          minute).
--start HH:MM and --start-weekday give the wall-clock time of minute 0 (for
the NASA traces: 00:00 on a Saturday, 1 Jul 1995; the defaults).
--probability: the chance each scheduled burst fires (below 1, some
repetitions are missing). --jitter N: each burst starts up to N minutes late.
Both draw from a generator seeded with --seed, so the output is the same on
every run. Standard library only.
"""

import argparse
import csv
import random
import sys


def parse_field(text, low, high):
    """The set of values a cron field allows, within [low, high]."""
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError("a step must be at least 1")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(part)
            end = start if step == 1 else high
        if start < low or end > high or start > end:
            raise ValueError("%s is outside %d-%d" % (part, low, high))
        values.update(range(start, end + 1, step))
    return values


class Burst:
    def __init__(self, spec):
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            raise ValueError("a burst is CRON:HEIGHT:LENGTH[:RAMP], got %r" % spec)
        fields = parts[0].split()
        if len(fields) != 3:
            raise ValueError("CRON takes three fields (minute hour weekday), got %r" % parts[0])
        self.minutes = parse_field(fields[0], 0, 59)
        self.hours = parse_field(fields[1], 0, 23)
        self.weekdays = parse_field(fields[2], 0, 6)
        self.height = float(parts[1])
        self.length = int(parts[2])
        self.ramp = int(parts[3]) if len(parts) == 4 else 0
        if self.height < 1 or self.length < 1 or self.ramp < 0 or self.ramp >= self.length + 1:
            raise ValueError("HEIGHT must be >= 1, LENGTH >= 1 and RAMP in 0..LENGTH in %r" % spec)

    def fires(self, minute_of_day, weekday):
        return (minute_of_day % 60 in self.minutes and minute_of_day // 60 in self.hours
                and weekday in self.weekdays)

    def shape(self, i):
        """The share of the full height in the burst's i-th minute."""
        if self.ramp == 0 or i >= self.ramp:
            return 1.0
        return (i + 1) / (self.ramp + 1)


def read_trace(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["minute", "requests"]:
        raise ValueError("%s: expected a header 'minute,requests'" % path)
    values = []
    for n, row in enumerate(rows[1:], start=2):
        if int(row[0]) != len(values):
            raise ValueError("%s:%d: minutes must start at 0 and skip none" % (path, n))
        values.append(float(row[1]))
    return values


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("out")
    parser.add_argument("--burst", action="append", required=True, help="CRON:HEIGHT:LENGTH[:RAMP]")
    parser.add_argument("--start", default="00:00", help="wall-clock time of minute 0, HH:MM")
    parser.add_argument("--start-weekday", type=int, default=6, help="weekday of minute 0, 0 = Sunday")
    parser.add_argument("--probability", type=float, default=1.0)
    parser.add_argument("--jitter", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        bursts = [Burst(b) for b in args.burst]
        hh, mm = (int(x) for x in args.start.split(":"))
        base = read_trace(args.base)
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    if not 0 < args.probability <= 1 or args.jitter < 0 or not 0 <= args.start_weekday <= 6:
        print("error: --probability in (0, 1], --jitter >= 0, --start-weekday 0..6", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    start = hh * 60 + mm
    extra = [0.0] * len(base)
    fired = 0
    for t in range(len(base)):
        clock = start + t
        minute_of_day = clock % 1440
        weekday = (args.start_weekday + clock // 1440) % 7
        for b in bursts:
            if not b.fires(minute_of_day, weekday):
                continue
            # Draw both numbers for every scheduled burst, fired or not, so
            # one burst's draw never shifts another's.
            hit = rng.random()
            late = rng.randint(0, args.jitter) if args.jitter else 0
            if hit >= args.probability:
                continue
            fired += 1
            begin = t + late
            hour = base[max(0, begin - 60):begin] or base[:1]
            level = sum(hour) / len(hour)
            for i in range(b.length):
                if begin + i < len(base):
                    extra[begin + i] += (b.height - 1) * level * b.shape(i)
    with open(args.out, "w", newline="") as f:
        f.write("minute,requests\n")
        for t, v in enumerate(base):
            f.write("%d,%d\n" % (t, round(v + extra[t])))
    print("%s: %d minutes, %d bursts" % (args.out, len(base), fired), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
