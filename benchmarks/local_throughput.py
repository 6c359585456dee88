"""Records per second through the local runtime: the sync against the three pipes.

``python benchmarks/local_throughput.py [--changes N] [--runs R]`` synthesizes one stack with a
weather-shaped table served by three pipes (set, delete, publish) and another served by one
``DynamoToMomentoSync`` with a topic, then, for each, writes the same workload (N puts, then N
deletes, in one shard) and times how long the local runtime takes to apply every change. Both
paths make two Momento calls per change (the write, then the announcement). Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
)
from momento_eventbridge_constructs.local import LocalPipeline

ENV = cdk.Environment(account="123456789012", region="us-west-2")
ENDPOINT = MomentoEndpoint.for_region("us-west-2")
CACHE, TOPIC = "bench", "bench-changes"


def _table(stack: cdk.Stack) -> dynamodb.Table:
    return dynamodb.Table(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )


def _connection(stack: cdk.Stack) -> MomentoConnection:
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Key", "momento-api-key")
    return MomentoConnection(stack, "Connection", api_key_secret=secret)


def three_pipes(app: cdk.App, **options: Any) -> cdk.Stack:
    """The stack ``Pipes``: a table and the three racing pipes (set, delete, publish);
    ``options`` go to every pipe."""
    pipes = cdk.Stack(app, "Pipes", env=ENV)
    table, connection = _table(pipes), _connection(pipes)
    for operation in MomentoOperation:
        destination = MomentoApiDestination(
            pipes, operation.name, connection=connection, endpoint=ENDPOINT, operation=operation
        )
        DynamoToMomentoPipe(
            pipes,
            f"{operation.name}Pipe",
            table=table,
            destination=destination,
            cache_name=CACHE,
            topic_name=TOPIC if operation is MomentoOperation.TOPIC_PUBLISH else None,
            **options,
        )
    return pipes


def build(outdir: Path) -> None:
    app = cdk.App(outdir=str(outdir))
    three_pipes(app)
    sync = cdk.Stack(app, "Sync", env=ENV)
    DynamoToMomentoSync(
        sync,
        "Sync",
        table=_table(sync),
        connection=_connection(sync),
        endpoint=ENDPOINT,
        cache_name=CACHE,
        topic_name=TOPIC,
    )
    app.synth()


def measure(outdir: Path, stack: str, changes: int) -> float:
    """Changes applied per second (puts then deletes), from the first write to drained."""
    with LocalPipeline.from_cloud_assembly(outdir, stack) as lp:
        table = lp.table_name(f"{stack}/Table")
        start = time.perf_counter()
        for index in range(changes // 2):
            lp.dynamodb.put_item(
                TableName=table, Item={"Location": {"S": f"city {index}"}, "T": {"N": "1"}}
            )
        for index in range(changes // 2):
            lp.dynamodb.delete_item(TableName=table, Key={"Location": {"S": f"city {index}"}})
        lp.drain(timeout=600)
        elapsed = time.perf_counter() - start
        assert lp.dead_letters() == [], "a benchmark run must not lose a change"
    return changes / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=400, help="changes per run (default 400)")
    parser.add_argument("--runs", type=int, default=3, help="runs per design (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "cdk.out"
        build(outdir)
        rates: dict[str, list[float]] = {"Pipes": [], "Sync": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            for stack in rates:
                rates[stack].append(measure(outdir, stack, args.changes))
                print(f"{stack}: {rates[stack][-1]:.0f} changes/s", file=sys.stderr)
    for stack, values in rates.items():
        print(f"{stack:5} median {statistics.median(values):7.1f} changes/s  runs {values}")
    ratio = statistics.median(rates["Sync"]) / statistics.median(rates["Pipes"])
    print(f"sync / three pipes: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
