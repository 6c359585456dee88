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
from dataclasses import dataclass
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

# Prices, us-east-1, dollars per million unless said.
# EventBridge (https://aws.amazon.com/eventbridge/pricing/): Pipes $0.40 per million requests
# after filtering, each 64 KB chunk of a request's payload billed as one request, so a batch
# sent to one target is one request per 64 KB of the batch; API destinations $0.20 per million
# invocations. Read from a copy of the page's text (the page itself was not readable offline).
PIPES_REQUEST = 0.40
API_DESTINATION_CALL = 0.20
CHUNK_BYTES = 64 * 1024
# Step Functions (https://aws.amazon.com/step-functions/pricing/): Express $1.00 per million
# requests (executions started) plus duration, rounded up to 100 ms, memory billed in 64 MB
# chunks; $0.06 per GB-hour is the first tier (the first 1,000 GB-hours a month), lower beyond,
# so the model overstates the duration of a large account. An inline Map costs nothing more.
EXPRESS_REQUEST = 1.00
EXPRESS_GB_SECOND = 0.06 / 3600
EXPRESS_MEMORY_GB = 64 / 1024
# Momento (https://www.gomomento.com/pricing, as Momento's docs, docs.momentohq.com/cache/manage/
# pricing, stated it): $0.50 per GB transferred, metered in 1 KB steps per operation (a call of
# a small item counts 1 KB). Unverified that this is still the current price.
MOMENTO_PER_GB = 0.50
MOMENTO_KB_STEP = 1024
# Not modelled: DynamoDB Streams reads ($0.02 per 100,000 GetRecords after 2.5 million a month,
# https://aws.amazon.com/dynamodb/pricing/on-demand/; each GetRecords returns up to 1,000
# records, so at most a few cents per million changes, three times over for three pipes), and
# data transfer out.


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


@dataclass(frozen=True)
class Run:
    """One run of one design over one workload."""

    rate: float  # changes per second
    calls: float  # Momento calls per change
    momento_kb: float  # Momento KB metered per change (1 KB steps per call)
    chunks: float  # Pipes requests per change (64 KB chunks of what the sync's pipe sends)
    wrong: int  # keys the cache has wrong


def measure(
    outdir: Path, stack: str, workload: str, count: int, latency: tuple[float, float]
) -> Run:
    """One run: write ``count`` changes, start the pipes, time them until drained."""
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
        metered = sum(max(1, math.ceil(len(r.body) / MOMENTO_KB_STEP)) for r in calls)
        chunks = _sync_chunks(lp, stack) if stack != "Pipes" else 2.0 * count
        assert lp.dead_letters() == [], "a benchmark run must not lose a change"
        items = lp.dynamodb.scan(TableName=table)["Items"]
        present = {item["Location"]["S"] for item in items}
        keys = {key for _, key in changes(workload, count, seed=18)}
        wrong = sum((lp.momento.get(CACHE, key) is not None) != (key in present) for key in keys)
        # The sync keeps the cache equal to the table; three pipes may race (put vs delete).
        assert wrong == 0 or stack == "Pipes", f"{stack}: {wrong} keys disagree with the table"
    return Run(count / elapsed, len(calls) / count, metered / count, chunks / count, wrong)


def _sync_chunks(lp: LocalPipeline, stack: str) -> float:
    """Pipes requests the sync's pipe was billed for: 64 KB chunks of each execution's input."""
    name = lp.pipe(f"{stack}/Sync/Pipe").name
    bodies = [str(e.body) for e in lp.events(name) if e.outcome == "delivered"]
    return float(sum(math.ceil(len(body.encode()) / CHUNK_BYTES) for body in set(bodies)))


def cost_per_million(design: str, run: Run, execution_s: float) -> float:
    """Dollars per million changes (prices above). An execution's billed duration is what the
    run measured per batch (one batch after the other per shard) less the injected pipe
    latency, rounded up to 100 ms, at 64 MB."""
    momento = run.momento_kb * 1024 / 1e9 * MOMENTO_PER_GB * 1e6
    if design == "Pipes":
        # Each change passes the set or delete pipe and the publish pipe, each calling its
        # API destination once (API destinations cannot take batches).
        return run.chunks * PIPES_REQUEST + 2 * API_DESTINATION_CALL + momento
    size = DESIGNS[design]
    seconds = max(0.1, math.ceil(max(0.0, size / run.rate - execution_s) / 0.1) * 0.1)
    duration = seconds * EXPRESS_MEMORY_GB * EXPRESS_GB_SECOND * 1e6
    return run.chunks * PIPES_REQUEST + (EXPRESS_REQUEST + duration) / size + momento


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300, help="changes per run (300)")
    parser.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--momento-ms", type=float, default=20.0, help="per Momento call")
    parser.add_argument("--execution-ms", type=float, default=50.0, help="per invocation")
    args = parser.parse_args(argv)
    latency = (args.momento_ms / 1000, args.execution_ms / 1000)
    results: dict[tuple[str, str], list[Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "cdk.out"
        build(outdir)
        for _ in range(args.runs):  # whole runs interleaved: every design sees the same load
            for workload in WORKLOADS:
                for design in DESIGNS:
                    run = measure(outdir, design, workload, args.changes, latency)
                    results.setdefault((design, workload), []).append(run)
                    print(
                        f"{design} {workload}: {run.rate:.1f}/s {run.calls:.2f} calls",
                        file=sys.stderr,
                    )
    print(f"latencies: {args.momento_ms:g} ms per Momento call, {args.execution_ms:g} ms per "
          f"pipe invocation; {args.changes} changes per run, medians of {args.runs}")  # fmt: skip
    print(
        "| design | workload | changes/s per shard | Momento calls per change "
        "| keys wrong (most) | $ per M changes |"
    )
    print("|---|---|---|---|---|---|")
    for (design, workload), runs in results.items():
        median = Run(
            statistics.median(r.rate for r in runs),
            statistics.median(r.calls for r in runs),
            statistics.median(r.momento_kb for r in runs),
            statistics.median(r.chunks for r in runs),
            max(r.wrong for r in runs),
        )
        cost = cost_per_million(design, median, latency[1])
        print(
            f"| {design} | {workload} | {median.rate:.1f} | {median.calls:.2f} "
            f"| {median.wrong} | {cost:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
