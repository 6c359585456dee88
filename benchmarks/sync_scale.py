"""Changes per second per shard and Momento calls per change: three pipes against the sync at
batch sizes 1, 10 and 100, through the local runtime with injected latencies.

``python benchmarks/sync_scale.py [--changes N] [--runs R] [--momento-ms M] [--execution-ms E]``
synthesizes one stack per design (one table, one shard: three pipes with a topic; a
``DynamoToMomentoSync`` with a topic at ``batch_size`` 1, 10 and 100), then, for each workload
(``hot``: a Zipf-like choice among 50 keys, 80% puts and 20% deletes; ``distinct``: a put of a
new key each time), writes N changes, then starts the pipes (``TRIM_HORIZON``) and times them
until drained, so the figure is what one shard's reader applies, not how fast the table is
written; then checks the cache against the table. Every Momento answer waits M ms and every
pipe invocation E ms (defaults 20 and 50). Whole runs are interleaved (each round runs every
design once) and medians are printed, then the cost model: dollars per million changes for
each design from the prices below.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
from local_throughput import CACHE, ENDPOINT, ENV, TOPIC, _connection, _table, three_pipes

from momento_eventbridge_constructs import (
    DynamoToMomentoSync,
)
from momento_eventbridge_constructs.local import LocalPipeline

DESIGNS = {"Pipes": 0, "Sync1": 1, "Sync10": 10, "Sync100": 100}
WORKLOADS = ("hot", "distinct")
HOT_KEYS = 50

# Prices, us-east-1, per million unless said (https://aws.amazon.com/eventbridge/pricing/ and
# https://aws.amazon.com/step-functions/pricing/, as the README quotes them).
PIPES_REQUEST = 0.40
API_DESTINATION_CALL = 0.20
EXPRESS_REQUEST = 1.00
EXPRESS_GB_SECOND = 0.00001667  # per GB-second, billed in 100 ms steps at 64 MB
# Pipes counts "each 64 KB chunk of payload" as one request: recalled from the EventBridge
# pricing page, unverified here; a batch of small records is then one request.
PIPES_CHUNK_BYTES = 64 * 1024
# Momento bills data transferred, not operations: $0.50 per GB (unverified here); a call of a
# small item moves about 1 KB.
MOMENTO_PER_GB = 0.50
MOMENTO_BYTES_PER_CALL = 1024


def build(outdir: Path) -> None:
    app = cdk.App(outdir=str(outdir))
    three_pipes(app, starting_position="TRIM_HORIZON")
    for name, size in DESIGNS.items():
        if size == 0:
            continue
        stack = cdk.Stack(app, name, env=ENV)
        DynamoToMomentoSync(
            stack,
            "Sync",
            table=_table(stack),
            connection=_connection(stack),
            endpoint=ENDPOINT,
            cache_name=CACHE,
            topic_name=TOPIC,
            batch_size=size,
            max_concurrency=34 if size > 30 else None,
            starting_position="TRIM_HORIZON",
        )
    app.synth()


def changes(workload: str, count: int, seed: int) -> Iterator[tuple[str, str]]:
    """(``put`` or ``delete``, key) for each change."""
    choose = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(HOT_KEYS)]
    for index in range(count):
        if workload == "distinct":
            yield "put", f"city {index}"
        else:
            key = f"city {choose.choices(range(HOT_KEYS), weights)[0]}"
            yield ("delete" if choose.random() < 0.2 else "put"), key


def measure(
    outdir: Path, stack: str, workload: str, count: int, latency: tuple[float, float]
) -> tuple[float, float, int]:
    """(changes per second, Momento calls per change, keys the cache has wrong) of one run."""
    momento_s, execution_s = latency
    with LocalPipeline.from_cloud_assembly(
        outdir,
        stack,
        momento="local",
        momento_latency=lambda: momento_s,
        execution_latency=lambda: execution_s,
        autostart_pipes=False,
    ) as lp:
        table = lp.table_name(f"{stack}/Table")
        server = lp.momento_server
        assert server is not None
        for index, (action, key) in enumerate(changes(workload, count, seed=18)):
            if action == "put":
                # A new value each time: a put that changes nothing writes no stream record.
                item = {"Location": {"S": key}, "T": {"N": str(index)}}
                lp.dynamodb.put_item(TableName=table, Item=item)
            else:
                lp.dynamodb.delete_item(TableName=table, Key={"Location": {"S": key}})
        before = len(server.requests)
        start = time.perf_counter()
        lp.start_pipes()
        lp.drain(timeout=1800)
        elapsed = time.perf_counter() - start
        calls = [r for r in server.requests[before:] if r.method in ("PUT", "DELETE", "POST")]
        assert lp.dead_letters() == [], "a benchmark run must not lose a change"
        items = lp.dynamodb.scan(TableName=table)["Items"]
        present = {item["Location"]["S"] for item in items}
        keys = {key for _, key in changes(workload, count, seed=18)}
        wrong = sum((lp.momento.get(CACHE, key) is not None) != (key in present) for key in keys)
        # The sync keeps the cache equal to the table; three pipes may race (put vs delete).
        assert wrong == 0 or stack == "Pipes", f"{stack}: {wrong} keys disagree with the table"
    return count / elapsed, len(calls) / count, wrong


def cost_per_million(design: str, calls: float, rate: float, execution_s: float) -> float:
    """Dollars per million changes (prices above). An execution's billed duration is what the
    run measured per batch (one batch after the other per shard) less the injected pipe
    latency, rounded up to 100 ms, at 64 MB."""
    momento = calls * MOMENTO_BYTES_PER_CALL / 1e9 * MOMENTO_PER_GB * 1e6
    if design == "Pipes":
        # Each change passes the set or delete pipe and the publish pipe.
        return 2 * (PIPES_REQUEST + API_DESTINATION_CALL) + momento
    size = DESIGNS[design]
    seconds = max(0.1, math.ceil(max(0.0, size / rate - execution_s) / 0.1) * 0.1)
    duration = seconds * 64 / 1024 * EXPRESS_GB_SECOND * 1e6
    return (PIPES_REQUEST + EXPRESS_REQUEST + duration) / size + momento


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300, help="changes per run (300)")
    parser.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--momento-ms", type=float, default=20.0, help="per Momento call")
    parser.add_argument("--execution-ms", type=float, default=50.0, help="per invocation")
    args = parser.parse_args(argv)
    latency = (args.momento_ms / 1000, args.execution_ms / 1000)
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "cdk.out"
        build(outdir)
        for _ in range(args.runs):  # whole runs interleaved: every design sees the same load
            for workload in WORKLOADS:
                for design in DESIGNS:
                    run = measure(outdir, design, workload, args.changes, latency)
                    results.setdefault((design, workload), []).append(run)
                    print(
                        f"{design} {workload}: {run[0]:.1f}/s {run[1]:.2f} calls", file=sys.stderr
                    )
    print(f"latencies: {args.momento_ms:g} ms per Momento call, {args.execution_ms:g} ms per "
          f"pipe invocation; {args.changes} changes per run, medians of {args.runs}")  # fmt: skip
    print(
        "| design | workload | changes/s per shard | Momento calls per change "
        "| keys wrong (most) | $ per M changes |"
    )
    print("|---|---|---|---|---|---|")
    for (design, workload), runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        calls = statistics.median(r[1] for r in runs)
        cost = cost_per_million(design, calls, rate, latency[1])
        wrong = max(r[2] for r in runs)
        print(f"| {design} | {workload} | {rate:.1f} | {calls:.2f} | {wrong} | {cost:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
