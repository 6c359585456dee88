#!/usr/bin/env python3
"""CPU used by an idle local runtime: the weather example's three pipes, nothing written.

    .venv/bin/python benchmarks/idle_cpu.py                 # synthesize, then 20 s idle
    .venv/bin/python benchmarks/idle_cpu.py --assembly examples/weather/cdk.out --seconds 60

It synthesizes ``examples/weather/app.py`` in a child process (so the jsii Node.js kernel is
not running during the measurement), starts ``LocalPipeline`` on it with the local Momento
server, lets the pipes settle, then measures this process's CPU time (every thread: the shard
workers, moto and the Momento server all run in it) over the idle window and prints it as a
share of one core. Afterwards it writes one item and times ``drain()``, to show that idle
workers still pick up a write promptly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "weather" / "app.py"


def synthesize(outdir: Path) -> Path:
    """Synthesize the weather example into ``outdir`` in a child process."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir)}
    env.setdefault("JSII_NODE", str(ROOT / ".venv" / "bin" / "node"))
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    subprocess.run([sys.executable, str(EXAMPLE)], check=True, env=env, cwd=EXAMPLE.parent)
    return outdir


def measure(assembly: Path, seconds: float, settle: float) -> None:
    from momento_eventbridge_constructs.local import LocalPipeline

    with LocalPipeline.from_cloud_assembly(assembly, momento="local") as lp:
        time.sleep(settle)
        cpu_start, wall_start = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu = time.process_time() - cpu_start
        wall = time.monotonic() - wall_start
        print(f"pipes: {len(lp.pipes)} ({', '.join(spec.name for spec in lp.pipes)})")
        print(f"idle for {wall:.1f} s: {cpu:.3f} s of CPU = {cpu / wall:.1%} of one core")
        table = lp.table_name(lp.pipes[0].table_logical_id)
        written = time.monotonic()
        lp.dynamodb.put_item(
            TableName=table,
            Item={
                "Location": {"S": "Idle Town"},
                "MaxTemp": {"N": "70"},
                "MinTemp": {"N": "50"},
                "ChancesOfPrecipitation": {"N": "10"},
                "TTL": {"N": "120"},
            },
        )
        lp.drain(timeout=30)
        print(f"one write after the idle window drained in {time.monotonic() - written:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", type=Path, help="an existing cdk.out of the example")
    parser.add_argument("--seconds", type=float, default=20.0, help="idle window (default 20)")
    parser.add_argument("--settle", type=float, default=3.0, help="wait before measuring")
    args = parser.parse_args()
    if args.assembly is not None:
        measure(args.assembly, args.seconds, args.settle)
        return 0
    with tempfile.TemporaryDirectory(prefix="idle-cpu-") as tmp:
        measure(synthesize(Path(tmp) / "cdk.out"), args.seconds, args.settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
