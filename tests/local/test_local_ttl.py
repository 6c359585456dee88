"""The TTL rule end to end in the local runtime: one table, a set pipe and a sync.

Both read ``ttl_attribute``. The sync cuts every value to ``[1 s, max_ttl]`` and caches an item
without the attribute for ``max_ttl``; the pipe sends the attribute as it is (its templates have
no arithmetic), so a value Momento rejects, or a missing attribute, is dead-lettered, never
cached with another TTL and never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoOperation,
)
from momento_eventbridge_constructs.local import LocalPipeline

from .._support import ENDPOINT, ENV, destinations
from ._momento import local_server

pytestmark = pytest.mark.slow

STACK = "TtlStack"
PIPE_CACHE = "by-pipe"
SYNC_CACHE = "by-sync"
MAX_TTL = 7200
# id -> the item's TTL attribute (None: the item has none)
ITEMS = {"fits": 90, "zero": 0, "negative": -5, "too-long": 100_000, "missing": None}


def build(app: cdk.App) -> None:
    stack = cdk.Stack(app, STACK, env=ENV)
    table = dynamodb.Table(
        stack,
        "Items",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    calls = destinations(stack)
    DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=calls[MomentoOperation.CACHE_SET],
        cache_name=PIPE_CACHE,
        ttl_attribute="ttl",
        max_retry_attempts=0,
    )
    connection = calls[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    DynamoToMomentoSync(
        stack,
        "Sync",
        table=table,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name=SYNC_CACHE,
        ttl_attribute="ttl",
        max_ttl=cdk.Duration.seconds(MAX_TTL),
    )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("ttl") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    build(app)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def lp(assembly: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(
        assembly, STACK, state_machine_retry_scale=0.01, retry_base_delay=0.01
    ) as pipeline:
        for item_id, ttl in ITEMS.items():
            item = {"id": {"S": item_id}, "v": {"S": "x"}}
            if ttl is not None:
                item["ttl"] = {"N": str(ttl)}
            pipeline.dynamodb.put_item(TableName=pipeline.table_name(f"{STACK}/Items"), Item=item)
        pipeline.drain(timeout=30)
        yield pipeline


def sent_ttls(lp: LocalPipeline, cache: str) -> dict[str, tuple[str | None, int]]:
    """Key -> (ttl_seconds sent, status answered) of the sets that reached ``cache``."""
    return {
        r.query["key"][0]: (r.query.get("ttl_seconds", [None])[0], r.status)
        for r in local_server(lp).requests
        if r.method == "PUT" and r.path == f"/cache/{cache}"
    }


def test_the_sync_cuts_every_ttl_to_max_ttl_and_falls_back_to_it(lp: LocalPipeline) -> None:
    assert sent_ttls(lp, SYNC_CACHE) == {
        "fits": ("90", 204),
        "zero": ("1", 204),
        "negative": ("1", 204),
        "too-long": (str(MAX_TTL), 204),
        "missing": (str(MAX_TTL), 204),
    }
    assert all(lp.momento.get(SYNC_CACHE, key) is not None for key in ITEMS)


def test_the_pipe_sends_the_attribute_as_it_is_and_dead_letters_what_momento_rejects(
    lp: LocalPipeline,
) -> None:
    # A missing attribute renders no query value, so no request is made for it at all.
    assert sent_ttls(lp, PIPE_CACHE) == {
        "fits": ("90", 204),
        "zero": ("0", 400),
        "negative": ("-5", 400),
        "too-long": ("100000", 400),
    }
    assert lp.momento.get(PIPE_CACHE, "fits") is not None
    assert all(lp.momento.get(PIPE_CACHE, key) is None for key in ITEMS if key != "fits")
    pipe_arn = lp.pipe(f"{STACK}/Put/Pipe").arn
    letters = [
        letter
        for letter in lp.dead_letters()
        if letter.get("context", {}).get("partnerResourceArn") == pipe_arn
    ]
    # zero, negative, too-long and missing: none is lost silently.
    assert len(letters) == 4, letters
    assert all(letter["DDBStreamBatchInfo"]["batchSize"] == 1 for letter in letters)
