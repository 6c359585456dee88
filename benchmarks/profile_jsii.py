#!/usr/bin/env python3
"""Count jsii round trips (Python -> Node.js requests) of the constructs app and the baseline.

Every request jsii sends to its Node.js kernel (create, get, set, invoke, static calls,
callback completions) goes through ``_NodeProcess.send``; this wraps it with counters, per
request kind and per call site: the innermost frame in ``src/momento_eventbridge_constructs``
(for the constructs) or in the app file (``WeatherStack`` / ``handwritten.py``). Each app runs
in its own process, so the counts include nothing of the other.

    python benchmarks/profile_jsii.py                  # N=1, both apps, side by side
    python benchmarks/profile_jsii.py --tables 10 --layout one-stack --top 30
    PYTHONPATH=/tmp/scratch/src python benchmarks/profile_jsii.py   # a patched copy of src/
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _profile(app_name: str, n: int, layout: str) -> dict[str, object]:
    """In this process: build and synth one app with the kernel's send() instrumented."""
    sys.path.insert(0, str(HERE))
    import _common as common
    import aws_cdk as cdk
    from jsii._kernel.providers import process as jsii_process

    kinds: Counter[str] = Counter()
    sites: Counter[str] = Counter()
    phase = {"name": "import"}
    per_phase: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    original = jsii_process._NodeProcess.send
    package = os.sep + "momento_eventbridge_constructs" + os.sep
    app_files = ("handwritten.py", "constructs_app.py")

    def site() -> str:
        frame = sys._getframe(2)
        fallback = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if package in filename:
                short = filename.split(package, 1)[1]
                return f"{short}:{frame.f_lineno} {frame.f_code.co_name}"
            if fallback is None and filename.endswith(app_files):
                fallback = f"{Path(filename).name}:{frame.f_lineno} {frame.f_code.co_name}"
            frame = frame.f_back  # type: ignore[assignment]
        return fallback or "(aws-cdk-lib / jsii internals)"

    def send(self, request, response_type):  # type: ignore[no-untyped-def]
        kind = type(request).__name__.replace("Request", "").lstrip("_")
        kinds[kind] += 1
        per_phase[phase["name"]] += 1
        if phase["name"] == "build":
            sites[site()] += 1
        start = time.perf_counter()
        try:
            return original(self, request, response_type)
        finally:
            seconds[phase["name"]] += time.perf_counter() - start

    jsii_process._NodeProcess.send = send  # type: ignore[method-assign]
    if app_name == "constructs":
        import constructs_app as module
    else:
        import handwritten as module  # type: ignore[no-redef]

    with tempfile.TemporaryDirectory(prefix="bench-prof-") as outdir:
        phase["name"] = "build"
        kinds.clear()
        t0 = time.perf_counter()
        app = module.build(cdk.App(outdir=outdir, context=common.CONTEXT), n, layout)
        t1 = time.perf_counter()
        build_kinds = dict(kinds)
        phase["name"] = "synth"
        app.synth()
        t2 = time.perf_counter()
    return {
        "app": app_name,
        "round_trips": dict(per_phase),
        "jsii_seconds": dict(seconds),
        "build_kinds": build_kinds,
        "build_s": t1 - t0,
        "synth_s": t2 - t1,
        "sites": sites.most_common(),
    }


def run_child(app_name: str, n: int, layout: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", app_name, "--tables", str(n), "--layout", layout],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(n: int, layout: str, top: int) -> str:
    ours, base = run_child("constructs", n, layout), run_child("handwritten", n, layout)
    pipes = 3 * n
    lines = [f"### jsii round trips, N={n} {layout} ({pipes} pipes)", ""]
    lines.append("| | constructs | hand-written | extra | extra per pipe |")
    lines.append("|---|---:|---:|---:|---:|")
    for key in ("build", "synth"):
        a = ours["round_trips"].get(key, 0)  # type: ignore[union-attr]
        b = base["round_trips"].get(key, 0)  # type: ignore[union-attr]
        lines.append(f"| round trips during {key} | {a} | {b} | {a - b} | {(a - b) / pipes:.1f} |")
    for key in ("build_s", "synth_s"):
        a, b = float(ours[key]), float(base[key])  # type: ignore[arg-type]
        lines.append(f"| {key[:-2]} time (s, in-process) | {a:.2f} | {b:.2f} | {a - b:+.2f} | |")
    a = ours["jsii_seconds"].get("build", 0.0)  # type: ignore[union-attr]
    b = base["jsii_seconds"].get("build", 0.0)  # type: ignore[union-attr]
    lines.append(
        f"| time inside jsii send() during build (s) | {a:.2f} | {b:.2f} | {a - b:+.2f} | |"
    )
    kinds = sorted(set(ours["build_kinds"]) | set(base["build_kinds"]))  # type: ignore[arg-type]
    for kind in kinds:
        a = ours["build_kinds"].get(kind, 0)  # type: ignore[union-attr]
        b = base["build_kinds"].get(kind, 0)  # type: ignore[union-attr]
        lines.append(f"| build: `{kind}` | {a} | {b} | {a - b} | {(a - b) / pipes:.1f} |")
    lines += [
        "",
        f"Top call sites of the constructs app during build (of {len(ours['sites'])}):",
        "",
    ]  # type: ignore[arg-type]
    lines += ["| round trips | call site |", "|---:|---|"]
    for where, count in ours["sites"][:top]:  # type: ignore[index]
        lines.append(f"| {count} | `{where}` |")
    lines += ["", "Top call sites of the hand-written app during build:", ""]
    lines += ["| round trips | call site |", "|---:|---|"]
    for where, count in base["sites"][:top]:  # type: ignore[index]
        lines.append(f"| {count} | `{where}` |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1)
    parser.add_argument("--layout", default="per-stack")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--child", choices=("constructs", "handwritten"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_profile(args.child, args.tables, args.layout)))
        return
    print(report(args.tables, args.layout, args.top))


if __name__ == "__main__":
    main()
