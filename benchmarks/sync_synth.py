"""Synth cost of the example's two designs: ``WeatherSyncStack`` against ``WeatherStack``.

``python benchmarks/sync_synth.py [--runs N]`` synthesizes each stack alone, as a whole process
(Python start, ``import aws_cdk``, building the tree and ``app.synth()``), interleaved so both
see the same machine load, and prints the medians of wall and CPU time and their ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys
import aws_cdk as cdk
from momento_eventbridge_constructs import MomentoEndpoint
from momento_eventbridge_constructs.examples import weather

stack_class = {"WeatherStack": weather.WeatherStack, "WeatherSyncStack": weather.WeatherSyncStack}
app = cdk.App(outdir=sys.argv[2])
stack_class[sys.argv[1]](
    app,
    sys.argv[1],
    api_key_secret_name=weather.DEFAULT_SECRET_NAME,
    endpoint=MomentoEndpoint.for_region("us-west-2"),
    env=cdk.Environment(region="us-west-2"),
)
app.synth()
"""
STACKS = ("WeatherStack", "WeatherSyncStack")


def run_once(stack: str, outdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds (this child and its Node.js kernel) of one synthesis."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CHILD, stack, str(outdir)],
        check=True,
        env={**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"},
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per stack (default 7)")
    args = parser.parse_args(argv)
    results: dict[str, list[tuple[float, float]]] = {stack: [] for stack in STACKS}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for stack in STACKS if run % 2 == 0 else reversed(STACKS):
                results[stack].append(run_once(stack, Path(tmp) / f"{stack}-{run}"))
    medians = {
        stack: (
            statistics.median(wall for wall, _ in runs),
            statistics.median(cpu for _, cpu in runs),
        )
        for stack, runs in results.items()
    }
    for stack, (wall, cpu) in medians.items():
        print(f"{stack:17} wall {wall:5.2f} s  cpu {cpu:5.2f} s  ({args.runs} runs, median)")
    sync, pipes = medians["WeatherSyncStack"], medians["WeatherStack"]
    print(
        f"ratio WeatherSyncStack / WeatherStack: wall {sync[0] / pipes[0]:.2f}, "
        f"cpu {sync[1] / pipes[1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
