"""Start-up cost of the command line: ``momento-eventbridge-constructs --help``, whole processes.

    python benchmarks/cli_startup.py                      # 30 runs of the installed package
    python benchmarks/cli_startup.py --src DIR            # a patched copy of the package instead
    python benchmarks/cli_startup.py --baseline DIR       # also DIR, interleaved, and the ratio

Each run is the console script as a user starts it (interpreter start to exit). The report gives
the median and min-max of wall time and CPU time (user + sys), and whether the command line
loaded aws-cdk-lib (it must not: ``--help`` needs only the standard library). On a shared
machine wall time follows the load; CPU time is the steadier figure. ``--src`` and
``--baseline`` put a directory holding ``momento_eventbridge_constructs`` first on
``PYTHONPATH``, e.g. ``git archive main src | tar -x -C /tmp/main`` then ``--baseline
/tmp/main/src``; with both, runs alternate so drift in the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = "momento-eventbridge-constructs"
# Runs the console script's entry point, then reports whether aws-cdk-lib was imported.
PROBE = (
    "import sys\n"
    "from momento_eventbridge_constructs.cli import main\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('aws_cdk' in sys.modules, file=sys.stderr)\n"
)


def environment(src: str | None) -> dict[str, str]:
    """The child's environment: ``src`` first on ``PYTHONPATH`` when given."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if src:
        env["PYTHONPATH"] = src
    return env


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loads_aws_cdk(env: dict[str, str]) -> bool:
    """Whether ``--help`` imports aws-cdk-lib with this environment."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, env=env, capture_output=True, text=True
    )
    return done.stderr.strip().splitlines()[-1] == "True"


def summary(label: str, runs: list[tuple[float, float]], env: dict[str, str]) -> str:
    """One line of the report."""
    walls = [wall for wall, _ in runs]
    cpus = [cpu for _, cpu in runs]
    return (
        f"{label:9} wall {statistics.median(walls) * 1000:6.1f} ms "
        f"({min(walls) * 1000:.1f}-{max(walls) * 1000:.1f})  "
        f"cpu {statistics.median(cpus) * 1000:6.1f} ms  "
        f"aws-cdk-lib loaded: {loads_aws_cdk(env)}  ({len(runs)} runs, median)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per case (default 30)")
    parser.add_argument("--src", help="directory holding the package to measure")
    parser.add_argument("--baseline", help="directory holding the package to compare with")
    args = parser.parse_args(argv)
    command = [str(Path(sys.executable).parent / SCRIPT), "--help"]
    cases = {"measured": environment(args.src)}
    if args.baseline:
        cases["baseline"] = environment(args.baseline)
    for env in cases.values():  # warm the file cache and the bytecode caches
        run_once(command, env)
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    for run in range(args.runs):
        for label in cases if run % 2 == 0 else reversed(cases):
            results[label].append(run_once(command, cases[label]))
    for label, runs in results.items():
        print(summary(label, runs, cases[label]))
    if args.baseline:
        print(f"ratio measured / baseline: {ratios(results)}")
    return 0


def ratios(results: dict[str, list[tuple[float, float]]]) -> str:
    """Median wall and CPU time of the measured package over the baseline's."""

    def ratio(index: int) -> float:
        measured = statistics.median(run[index] for run in results["measured"])
        return measured / statistics.median(run[index] for run in results["baseline"])

    return f"wall {ratio(0):.3f}, cpu {ratio(1):.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
