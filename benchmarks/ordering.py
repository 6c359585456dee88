"""Does the put/delete race of three pipes show locally? The same rounds through both designs.

``python benchmarks/ordering.py [--rounds N]`` writes N rounds of put-then-delete and
delete-then-put of 20 keys in quick succession into a table served by three pipes and into one
served by ``DynamoToMomentoSync`` (stacks of ``local_throughput.py``), drains the local
runtime, and counts the keys whose cache entry disagrees with the table.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import local_throughput as stacks

from momento_eventbridge_constructs.local import LocalPipeline

KEYS = 20


def run(outdir: Path, stack: str, rounds: int) -> tuple[int, int]:
    """(keys whose cache disagrees with the table, dead letters) after ``rounds`` rounds."""
    with LocalPipeline.from_cloud_assembly(outdir, stack) as lp:
        table = lp.table_name(f"{stack}/Table")
        present: dict[str, bool] = {}
        for index in range(rounds):
            key = {"Location": {"S": f"city {index % KEYS}"}}
            item = {**key, "T": {"N": str(index)}}
            writes = [("put", item), ("delete", key)]
            for action, value in writes if index % 2 == 0 else reversed(writes):
                if action == "put":
                    lp.dynamodb.put_item(TableName=table, Item=value)
                else:
                    lp.dynamodb.delete_item(TableName=table, Key=value)
            present[key["Location"]["S"]] = index % 2 == 1
        lp.drain(timeout=600)
        wrong = sum(
            (lp.momento.get(stacks.CACHE, key) is not None) != cached
            for key, cached in present.items()
        )
        return wrong, len(lp.dead_letters())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds (default 200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        outdir = Path(tmp) / "cdk.out"
        stacks.build(outdir)
        for stack in ("Pipes", "Sync"):
            wrong, letters = run(outdir, stack, args.rounds)
            print(
                f"{stack:5}: {wrong} of {KEYS} keys disagree with the table, {letters} dead letters"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
