#!/usr/bin/env python3
"""Warm, in-process comparison: the constructs' own cost without start-up noise.

Whole-process times (run.py) are dominated by interpreter start, ``import aws_cdk`` (loading
the aws-cdk-lib assembly into Node.js) and the first synth's lazy module loading, which are the
same for both apps. This builds and synthesizes both apps repeatedly in ONE process after a
warm-up round, alternating (constructs, hand-written, then the reverse), and reports the median
build and synth times and their ratio. The clock is CPU time (user + sys) of the Python
process and the jsii Node.js kernel, read from /proc, unless ``--wall``.

    python benchmarks/warm.py --tables 10 --layout one-stack --rounds 7
    PYTHONPATH=/tmp/scratch/src python benchmarks/warm.py ...   # a patched copy of src/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _child import _descendants

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """CPU time (user + sys) of this process and its live children (the jsii Node.js kernel):
    far less sensitive than wall time to other load on the machine."""
    total = time.process_time()
    for pid in _descendants("self"):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1)
    parser.add_argument("--layout", default="per-stack")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line instead")
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else cpu_seconds

    import _common as common
    import aws_cdk as cdk
    import constructs_app
    import handwritten

    import momento_eventbridge_constructs as package

    apps = {"constructs": constructs_app.build, "handwritten": handwritten.build}
    times: dict[str, dict[str, list[float]]] = {
        name: {"build": [], "synth": [], "total": []} for name in apps
    }
    for round_no in range(args.rounds + 1):  # round 0 warms up both
        order = list(apps) if round_no % 2 == 0 else list(apps)[::-1]
        for name in order:
            outdir = tempfile.mkdtemp(prefix="bench-warm-")
            try:
                start = clock()
                app = apps[name](
                    cdk.App(outdir=outdir, context=common.CONTEXT), args.tables, args.layout
                )
                built = clock()
                app.synth()
                done = clock()
            finally:
                shutil.rmtree(outdir, ignore_errors=True)
            if round_no:
                times[name]["build"].append(built - start)
                times[name]["synth"].append(done - built)
                times[name]["total"].append(done - start)

    ratios = [
        a / b
        for a, b in zip(times["constructs"]["total"], times["handwritten"]["total"], strict=True)
    ]
    build_ratios = [
        a / b
        for a, b in zip(times["constructs"]["build"], times["handwritten"]["build"], strict=True)
    ]
    summary = {
        "tables": args.tables,
        "layout": args.layout,
        "pipes": 3 * args.tables,
        "rounds": args.rounds,
        "clock": "wall" if args.wall else "cpu",
        "package": package.__file__,
        **{
            f"{name}_{phase}_s": statistics.median(values)
            for name, phases in times.items()
            for phase, values in phases.items()
        },
        "ratio_total_median": statistics.median(ratios),
        "ratio_total_min": min(ratios),
        "ratio_total_max": max(ratios),
        "ratio_build_median": statistics.median(build_ratios),
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"package: {package.__file__}")
    print(
        f"N={args.tables} {args.layout}, {3 * args.tables} pipes, {args.rounds} warm rounds, "
        + ("wall time" if args.wall else "CPU time of Python + Node.js")
    )
    print("| app | build (s) | synth (s) | build+synth (s) | per pipe (ms) |")
    print("|---|---:|---:|---:|---:|")
    for name in apps:
        total = statistics.median(times[name]["total"])
        print(
            f"| {name} | {statistics.median(times[name]['build']):.3f} "
            f"| {statistics.median(times[name]['synth']):.3f} | {total:.3f} "
            f"| {1000 * total / (3 * args.tables):.1f} |"
        )
    print(
        f"ratio build+synth constructs/hand-written: median {summary['ratio_total_median']:.3f} "
        f"({summary['ratio_total_min']:.3f}-{summary['ratio_total_max']:.3f}); "
        f"build only: {summary['ratio_build_median']:.3f}"
    )


if __name__ == "__main__":
    main()
