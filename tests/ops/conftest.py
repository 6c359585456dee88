"""Fixtures for the operating commands: stacks built from the constructs, synthesized once,
run by the local runtime, with the commands pointed at its moto and its Momento.

The commands reach AWS through boto3's standard configuration (``AWS_ENDPOINT_URL`` names the
local moto server; moto's default account, so plain clients see what the runtime created) and
Momento through ``MOMENTO_API_ENDPOINT`` / ``MOMENTO_API_KEY``, exactly as against AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoOperation,
)

from .._support import ENDPOINT, ENV, destinations

PIPES_STACK = "OpsPipes"
BULK_STACK = "OpsBulk"
SYNC_STACK = "OpsSync"
BATCHED_SYNC_STACK = "OpsBatchedSync"
CACHE = "orders"
TOPIC = "order-changes"
SYNC_CACHE = "readings"
SYNC_TOPIC = "reading-changes"


def _pipes_stack(app: cdk.App) -> None:
    """Set (new image, relative TTL attribute), delete and publish pipes on one table."""
    stack = cdk.Stack(app, PIPES_STACK, env=ENV)
    table = dynamodb.Table(
        stack,
        "Orders",
        partition_key=dynamodb.Attribute(name="OrderId", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        time_to_live_attribute="expiresAt",
    )
    apis = destinations(stack)
    put = DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=apis[MomentoOperation.CACHE_SET],
        cache_name=CACHE,
        ttl_attribute="ttl",
        max_retry_attempts=1,
    )
    DynamoToMomentoPipe(
        stack,
        "Delete",
        table=table,
        destination=apis[MomentoOperation.CACHE_DELETE],
        cache_name=CACHE,
        dead_letter_queue=put.dead_letter_queue,
        max_retry_attempts=1,
    )
    DynamoToMomentoPipe(
        stack,
        "Publish",
        table=table,
        destination=apis[MomentoOperation.TOPIC_PUBLISH],
        cache_name=CACHE,
        topic_name=TOPIC,
        dead_letter_queue=put.dead_letter_queue,
        max_retry_attempts=1,
    )


def _bulk_stack(app: cdk.App) -> None:
    """One set pipe (new image, relative TTL attribute): the 2,000-item backfill."""
    stack = cdk.Stack(app, BULK_STACK, env=ENV)
    table = dynamodb.Table(
        stack,
        "Items",
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=destinations(stack)[MomentoOperation.CACHE_SET],
        cache_name="items",
        ttl_attribute="ttl",
        max_retry_attempts=0,
    )


def _sync_stack(app: cdk.App, name: str = SYNC_STACK, **batching: Any) -> None:
    """A sync with a composite key, an epoch TTL and announcements."""
    stack = cdk.Stack(app, name, env=ENV)
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    table = dynamodb.Table(
        stack,
        "Readings",
        partition_key=dynamodb.Attribute(name="station", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="day", type=dynamodb.AttributeType.NUMBER),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoSync(
        stack,
        "Sync",
        table=table,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name=SYNC_CACHE,
        topic_name=SYNC_TOPIC,
        ttl_epoch_attribute="expiresAt",
        max_retry_attempts=1,
        **batching,
    )


@pytest.fixture(scope="session")
def ops_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four test stacks and the bundled weather example's two, synthesized once."""
    from momento_eventbridge_constructs.examples import weather

    outdir = tmp_path_factory.mktemp("ops") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={"region": "us-west-2"})
    _pipes_stack(app)
    _bulk_stack(app)
    _sync_stack(app, batch_size=1)  # one record per execution
    # Batches of 10 read from the stream's start: records written before the pipes start
    # share a batch.
    _sync_stack(app, BATCHED_SYNC_STACK, batch_size=10, starting_position="TRIM_HORIZON")
    weather.build_app(app)
    app.synth()
    return outdir


@dataclass
class Deployed:
    """A stack running in the local runtime, and how the commands reach it."""

    lp: Any
    assembly: Path
    stack: str
    resources: list[str]
    """``--resource LOGICAL_ID=NAME`` for every table, pipe, queue and log group."""

    @property
    def server(self) -> Any:
        assert self.lp.momento_server is not None
        return self.lp.momento_server

    def table(self, path: str) -> str:
        return str(self.lp.table_name(f"{self.stack}/{path}"))

    def cached(self, cache: str, key: str) -> Any:
        value = self.lp.momento.get(cache, key)
        return None if value is None else json.loads(value)

    def dead_letter_url(self) -> str:
        urls = {pipe.dead_letter_url for pipe in self.lp.pipes if pipe.dead_letter_url}
        assert len(urls) == 1
        return str(urls.pop())

    def queue_depth(self) -> int:
        attributes = self.lp.aws.sqs().get_queue_attributes(
            QueueUrl=self.dead_letter_url(),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def cli(self, command: str, *arguments: str) -> int:
        """Run ``momento-eventbridge-constructs COMMAND CDK_OUT --stack STACK ARGUMENTS``."""
        from momento_eventbridge_constructs.cli import main

        return int(main([command, str(self.assembly), "--stack", self.stack, *arguments]))

    def context(self, **options: Any) -> Any:
        from momento_eventbridge_constructs.ops import OpsContext

        return OpsContext.open(self.assembly, self.stack, resources=self.resources, **options)


def _resources(lp: Any, stack: str) -> list[str]:
    """Physical names of the stack's resources as the local runtime made them."""
    template = lp.stack.template["Resources"]
    names: dict[str, str] = {}
    for pipe in lp.pipes:
        names[pipe.logical_id] = pipe.name
        names[pipe.table_logical_id] = lp.table_name(pipe.table_logical_id)
        queue = template[pipe.logical_id]["Properties"]["SourceParameters"][
            "DynamoDBStreamParameters"
        ]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        names[queue] = pipe.dead_letter_url
    for logical_id, resource in template.items():
        if resource["Type"] == "AWS::Logs::LogGroup":
            names[logical_id] = f"/local/{stack}/{logical_id}"
    return [f"{logical_id}={name}" for logical_id, name in names.items()]


@pytest.fixture
def deploy(ops_assembly: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``deploy(stack, **runtime options) -> Deployed``: start a stack; point the commands at it."""
    from momento_eventbridge_constructs.local import LocalPipeline
    from momento_eventbridge_constructs.local.aws import DEFAULT_ACCOUNT

    started: list[Any] = []

    def start(stack: str, **options: Any) -> Deployed:
        settings: dict[str, Any] = {
            "account_id": DEFAULT_ACCOUNT,
            "momento": "local",
            "retry_base_delay": 0.01,
            "retry_max_delay": 0.02,
            "state_machine_retry_scale": 0.01,
        }
        settings.update(options)
        lp = LocalPipeline.from_cloud_assembly(ops_assembly, stack, **settings).start()
        started.append(lp)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", lp.aws.endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        monkeypatch.setenv("AWS_REGION", lp.aws.region)
        monkeypatch.setenv("MOMENTO_API_ENDPOINT", lp.momento_endpoint)
        monkeypatch.setenv("MOMENTO_API_KEY", lp.momento_server.api_key)
        return Deployed(lp, ops_assembly, stack, _resources(lp, stack))

    yield start
    for lp in started:
        lp.stop()
