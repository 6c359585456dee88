"""The real weather example and a construct scenario, synthesized once, run by the local runtime.

These prove that what the constructs emit puts the right bytes into the cache and onto the
topic, retries transient failures and dead-letters the rest without losing anything else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs

from momento_eventbridge_constructs import DynamoToMomentoPipe, MomentoOperation, MomentoPayload
from momento_eventbridge_constructs.examples import weather as weather_example
from momento_eventbridge_constructs.local import LocalMomentoServer, LocalPipeline

from .._iam import IamSimulateAuthorizer
from .._support import ENV, destinations
from ._momento import cached as cached_value
from ._momento import local_server

CACHE = "momento-eventbridge-cache"
TOPIC = "momento-eventbridge-topic"
SCENARIO_CACHE = "orders"
SCENARIO_TOPIC = "order-status"


def scenario(app: cdk.App) -> None:
    stack = cdk.Stack(app, "OrdersStack", env=ENV)
    table = dynamodb.Table(
        stack,
        "Orders",
        partition_key=dynamodb.Attribute(name="OrderId", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    apis = destinations(stack)
    DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=apis[MomentoOperation.CACHE_SET],
        cache_name=SCENARIO_CACHE,
        ttl=cdk.Duration.minutes(5),
        max_retry_attempts=2,
    )
    DynamoToMomentoPipe(
        stack,
        "Status",
        table=table,
        destination=apis[MomentoOperation.TOPIC_PUBLISH],
        cache_name=SCENARIO_CACHE,
        topic_name=SCENARIO_TOPIC,
        event_names=["INSERT", "MODIFY"],
        value=MomentoPayload.from_attributes({"Status": "S"}),
        max_retry_attempts=0,
    )


def old_grant(app: cdk.App) -> None:
    """A pipe whose role (given, immutable) was granted what earlier releases documented:
    events:InvokeApiDestination on the destination's ArnForPolicy only."""
    stack = cdk.Stack(app, "OldGrantStack", env=ENV)
    table = dynamodb.Table(
        stack,
        "Orders",
        partition_key=dynamodb.Attribute(name="OrderId", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    queue = sqs.Queue(stack, "Dlq")
    destination = destinations(stack)[MomentoOperation.CACHE_SET]
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
    table.grant_stream_read(role)
    queue.grant_send_messages(role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["events:InvokeApiDestination"],
            resources=[destination.api_destination_arn_for_policy],
        )
    )
    DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=destination,
        cache_name=SCENARIO_CACHE,
        role=role.without_policy_updates(),
        dead_letter_queue=queue,
        max_retry_attempts=0,
        log_level="OFF",
    )
    # A role given nothing at all: it cannot even read its stream.
    bare = iam.Role(stack, "Bare", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
    DynamoToMomentoPipe(
        stack,
        "Unread",
        table=table,
        destination=destination,
        cache_name=SCENARIO_CACHE,
        role=bare.without_policy_updates(),
        dead_letter_queue=queue,
        log_level="OFF",
    )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("constructs") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context={"region": "us-west-2"})
    weather_example.build_app(app)
    scenario(app)
    old_grant(app)
    app.synth()
    return outdir


@pytest.fixture
def weather(assembly: Path, iam_authorizer: IamSimulateAuthorizer) -> Iterator[LocalPipeline]:
    # Every call made for a role is decided by an IAM evaluator, as on AWS.
    with LocalPipeline.from_cloud_assembly(
        assembly, "WeatherStack", authorizer=iam_authorizer
    ) as lp:
        yield lp


@pytest.fixture
def orders(assembly: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(assembly, "OrdersStack") as lp:
        yield lp


def put_weather(lp: LocalPipeline, location: str, max_temp: int, ttl: int = 120) -> None:
    lp.dynamodb.put_item(
        TableName=lp.table_name("WeatherStack/WeatherTable"),
        Item={
            "Location": {"S": location},
            "MaxTemp": {"N": str(max_temp)},
            "MinTemp": {"N": "50"},
            "ChancesOfPrecipitation": {"N": "10"},
            "TTL": {"N": str(ttl)},
        },
    )


def cached(lp: LocalPipeline, key: str, cache: str = CACHE) -> Any:
    return cached_value(lp, key, cache)


server = local_server


def test_example_puts_updates_evicts_and_announces(
    weather: LocalPipeline, iam_authorizer: IamSimulateAuthorizer
) -> None:
    for city, temp in (("New York", 80), ("Rio de Janeiro", 91), ("São Paulo", 77)):
        put_weather(weather, city, temp, ttl=90)
    weather.drain(timeout=20)
    assert cached(weather, "New York") == {
        "Location": "New York",
        "MaxTemp": "80",
        "MinTemp": "50",
        "ChancesOfPrecipitation": "10",
    }
    assert cached(weather, "São Paulo")["MaxTemp"] == "77"
    puts = [r for r in server(weather).requests if r.method == "PUT"]
    assert {r.query["key"][0] for r in puts} == {"New York", "Rio de Janeiro", "São Paulo"}
    assert {r.query["ttl_seconds"][0] for r in puts} == {"90"}  # the item's relative TTL

    put_weather(weather, "New York", 84)
    weather.drain(timeout=20)
    assert cached(weather, "New York")["MaxTemp"] == "84"

    weather.dynamodb.delete_item(
        TableName=weather.table_name("WeatherStack/WeatherTable"),
        Key={"Location": {"S": "Rio de Janeiro"}},
    )
    weather.drain(timeout=20)
    assert cached(weather, "Rio de Janeiro") is None
    assert cached(weather, "New York") is not None

    notices = [json.loads(m) for m in weather.momento.messages(CACHE, TOPIC)]
    assert [(n["eventName"], n["keys"]["Location"]["S"]) for n in notices] == [
        ("INSERT", "New York"),
        ("INSERT", "Rio de Janeiro"),
        ("INSERT", "São Paulo"),
        ("MODIFY", "New York"),
        ("REMOVE", "Rio de Janeiro"),
    ]
    publishes = [r for r in server(weather).requests if r.method == "POST"]
    assert {r.headers.get("content-type") for r in publishes} == {"text/plain"}
    assert weather.dead_letters() == []
    actions = {request.action for request in iam_authorizer.asked}
    assert {"sts:AssumeRole", "dynamodb:GetRecords", "events:InvokeApiDestination"} <= actions
    # The API destination is asked in both forms, api-destination/NAME and .../NAME/ID.
    invoked = [r.resource for r in iam_authorizer.asked if r.action.endswith("ApiDestination")]
    assert {resource.count("/") for resource in invoked} == {1, 2}
    assert iam_authorizer.errors == [] and iam_authorizer.denials == []


def put_order(
    lp: LocalPipeline, order_id: str, status: str, table: str = "OrdersStack/Orders"
) -> None:
    lp.dynamodb.put_item(
        TableName=lp.table_name(table),
        Item={"OrderId": {"S": order_id}, "Status": {"S": status}, "Total": {"N": "12.5"}},
    )


def test_scenario_caches_the_new_image_with_the_fixed_ttl(orders: LocalPipeline) -> None:
    put_order(orders, "o-1", "NEW")
    orders.drain(timeout=20)
    # new_image(), the default body: the image as a value under "item", valid JSON.
    assert cached(orders, "o-1", SCENARIO_CACHE) == {
        "item": {"OrderId": {"S": "o-1"}, "Status": {"S": "NEW"}, "Total": {"N": "12.5"}}
    }
    (put,) = [r for r in server(orders).requests if r.method == "PUT"]
    assert put.query["ttl_seconds"] == ["300"]
    assert [json.loads(m) for m in orders.momento.messages(SCENARIO_CACHE, SCENARIO_TOPIC)] == [
        {"OrderId": "o-1", "Status": "NEW"}
    ]


def test_scenario_retries_a_500_and_dead_letters_a_400_losing_nothing_else(
    orders: LocalPipeline,
) -> None:
    server(orders).inject_failures(500, 1, method="PUT")
    server(orders).inject_failures(400, 1, method="POST")
    put_order(orders, "o-2", "PAID")
    put_order(orders, "o-3", "NEW")
    orders.drain(timeout=30)

    # The 500 was retried: both orders are cached.
    assert cached(orders, "o-2", SCENARIO_CACHE)["item"]["Status"] == {"S": "PAID"}
    assert cached(orders, "o-3", SCENARIO_CACHE)["item"]["Status"] == {"S": "NEW"}
    put_statuses = [r.status for r in server(orders).requests if r.method == "PUT"]
    assert put_statuses.count(500) == 1 and put_statuses.count(204) == 2

    # The status pipe allows no retry (max_retry_attempts=0): o-2's announcement went to the
    # DLQ after its 400, o-3's was delivered.
    assert [json.loads(m) for m in orders.momento.messages(SCENARIO_CACHE, SCENARIO_TOPIC)] == [
        {"OrderId": "o-3", "Status": "NEW"}
    ]
    (letter,) = orders.dead_letters()
    assert letter["context"]["condition"] == "RetryAttemptsExhausted"
    info = letter["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]


SENTINEL_KEY = "sentinel-momento-key-1b7e4c"


def test_remote_momento_mode_sends_the_real_key_and_never_prints_it(
    assembly: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With MOMENTO_API_KEY and MOMENTO_API_ENDPOINT set, the runtime calls that endpoint with
    that key (a stand-in server on loopback here) and keeps the key out of logs and events."""
    with LocalMomentoServer(caches=[CACHE], api_keys=[SENTINEL_KEY]) as remote:
        monkeypatch.setenv("MOMENTO_API_KEY", SENTINEL_KEY)
        monkeypatch.setenv("MOMENTO_API_ENDPOINT", remote.endpoint)
        caplog.set_level(logging.DEBUG)
        with LocalPipeline.from_cloud_assembly(assembly, "WeatherStack") as lp:
            assert lp.remote_momento and lp.momento_server is None
            put_weather(lp, "Lisbon", 70)
            lp.drain(timeout=20)
            described = [event.describe() for event in lp.events()]
        assert json.loads(remote.items(CACHE)[b"Lisbon"])["MaxTemp"] == "70"
        calls = [r for r in remote.requests if r.method in ("PUT", "POST")]
        assert {r.headers["authorization"] for r in calls} == {SENTINEL_KEY}
        assert {r.status for r in calls} == {204}
    assert described and all(SENTINEL_KEY not in line for line in described)
    assert SENTINEL_KEY not in caplog.text


def test_a_role_without_the_full_arn_grant_dead_letters_like_on_aws(
    assembly: Path, iam_authorizer: IamSimulateAuthorizer
) -> None:
    """Which form EventBridge authorizes an API destination with is not documented, so the
    local runtime requires both: a role granted ArnForPolicy only cannot call Momento, and
    each record is a customer invocation error, then a dead letter (the Pipes error page).
    A role that may not read the stream runs no pipe at all."""
    with LocalPipeline.from_cloud_assembly(
        assembly, "OldGrantStack", authorizer=iam_authorizer, retry_base_delay=0.01
    ) as lp:
        (unread,) = lp.skipped_pipes.values()
        assert unread.startswith("AccessDenied") and "dynamodb:DescribeStream" in unread
        put_order(lp, "A-1", "paid", table="OldGrantStack/Orders")
        lp.drain(timeout=20)
        assert server(lp).requests == []
        (letter,) = lp.dead_letters()
        assert letter["DDBStreamBatchInfo"]["batchSize"] == 1
        (failed,) = [e for e in lp.events() if e.outcome == "failed"]
        assert failed.error_class == "customer invocation error"
        assert "AccessDenied" in failed.error and "events:InvokeApiDestination" in failed.error
        (pipe,) = lp.pipes
    # Only the full ARN (with its ID) is refused; ArnForPolicy, the stream and the queue pass.
    denied = {(r.action, r.resource) for r in iam_authorizer.denials}
    assert denied == {
        ("events:InvokeApiDestination", pipe.destination.arn),
        ("dynamodb:DescribeStream", pipe.source_arn),
    }
    assert iam_authorizer.errors == []
