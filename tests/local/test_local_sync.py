"""DynamoToMomentoSync at batch_size 1, synthesized once, run end to end by the local runtime.

The pipe starts the state machine for every record in stream order; its HTTP tasks reach the
local Momento with the connection's key; what fails after the retries becomes one dead letter
naming the keys.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import DynamoToMomentoSync, MomentoOperation, MomentoPayload
from momento_eventbridge_constructs.engine.assembly import load_stack
from momento_eventbridge_constructs.local import LocalPipeline

from .._iam import IamSimulateAuthorizer
from .._support import ENDPOINT, ENV, destinations
from ._momento import cached as cached_value
from ._momento import local_server

pytestmark = pytest.mark.slow

CACHE = "readings"
TOPIC = "reading-changes"
STACK = "SyncStack"


def build(app: cdk.App) -> None:
    stack = cdk.Stack(app, STACK, env=ENV)
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    readings = dynamodb.Table(
        stack,
        "Readings",
        partition_key=dynamodb.Attribute(name="station", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="day", type=dynamodb.AttributeType.NUMBER),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoSync(
        stack,
        "Sync",
        table=readings,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name=CACHE,
        topic_name=TOPIC,
        ttl_epoch_attribute="expiresAt",
        max_retry_attempts=1,
        batch_size=1,  # batches: test_local_batched_sync.py
    )
    cities = dynamodb.Table(
        stack,
        "Cities",
        partition_key=dynamodb.Attribute(name="city", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoSync(
        stack,
        "CitySync",
        table=cities,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name="cities",
        value=MomentoPayload.from_attributes({"population": "N"}),
        ttl=cdk.Duration.minutes(10),
        batch_size=1,
    )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("sync") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    build(app)
    app.synth()
    return outdir


@pytest.fixture
def lp(assembly: Path, iam_authorizer: IamSimulateAuthorizer) -> Iterator[LocalPipeline]:
    # Every call made for the pipe's and the state machine's roles is decided by an IAM
    # evaluator, as on AWS: a denial fails the change here too.
    with LocalPipeline.from_cloud_assembly(
        assembly,
        STACK,
        state_machine_retry_scale=0.01,
        retry_base_delay=0.01,
        authorizer=iam_authorizer,
    ) as pipeline:
        yield pipeline
    assert iam_authorizer.errors == []


def put_reading(lp: LocalPipeline, station: str, day: int, temp: int, expires: int) -> None:
    lp.dynamodb.put_item(
        TableName=lp.table_name(f"{STACK}/Readings"),
        Item={
            "station": {"S": station},
            "day": {"N": str(day)},
            "temp": {"N": str(temp)},
            "expiresAt": {"N": str(expires)},
        },
    )


def delete_reading(lp: LocalPipeline, station: str, day: int) -> None:
    lp.dynamodb.delete_item(
        TableName=lp.table_name(f"{STACK}/Readings"),
        Key={"station": {"S": station}, "day": {"N": str(day)}},
    )


def cached(lp: LocalPipeline, key: str, cache: str = CACHE) -> Any:
    return cached_value(lp, key, cache)


server = local_server


def test_composite_keys_bodies_and_epoch_ttl(lp: LocalPipeline) -> None:
    now = int(time.time())
    put_reading(lp, "Zürich Nord", 20261128, 4, now + 600)
    put_reading(lp, "Oslo", 20261128, -3, now - 60)  # already expired: evicted, not set
    lp.drain(timeout=30)

    # The Momento key is pk#sk; the body is new_image() under "item", valid JSON.
    assert cached(lp, "Zürich Nord#20261128") == {
        "item": {
            "station": {"S": "Zürich Nord"},
            "day": {"N": "20261128"},
            "temp": {"N": "4"},
            "expiresAt": {"N": str(now + 600)},
        }
    }
    assert cached(lp, "Oslo#20261128") is None
    (put,) = [r for r in server(lp).requests if r.method == "PUT"]
    # The cache TTL is the time left on the epoch TTL (within the run's seconds).
    assert now + 600 - time.time() - 5 <= int(put.query["ttl_seconds"][0]) <= 600
    deletes = [r for r in server(lp).requests if r.method == "DELETE"]
    assert [r.query["key"] for r in deletes] == [["Oslo#20261128"]]


def test_every_call_of_a_full_change_is_allowed_by_iam(
    lp: LocalPipeline, iam_authorizer: IamSimulateAuthorizer
) -> None:
    far = int(time.time()) + 3600
    put_reading(lp, "Lima", 7, 20, far)
    lp.drain(timeout=30)
    delete_reading(lp, "Lima", 7)
    lp.drain(timeout=30)
    assert cached(lp, "Lima#7") is None
    assert [json.loads(m)["eventName"] for m in lp.momento.messages(CACHE, TOPIC)] == [
        "INSERT",
        "REMOVE",
    ]
    assert iam_authorizer.denials == []
    asked = {(r.principal.split(":")[0], r.action) for r in iam_authorizer.asked}
    assert ("states.amazonaws.com", "sts:AssumeRole") in asked
    actions = {action for _, action in asked}
    assert {
        "dynamodb:GetRecords",
        "states:StartSyncExecution",
        "events:RetrieveConnectionCredentials",
        "secretsmanager:GetSecretValue",
    } <= actions
    http = {
        (r.context["states:HTTPMethod"], r.context["states:HTTPEndpoint"].split("/")[3])
        for r in iam_authorizer.asked
        if r.action == "states:InvokeHTTPEndpoint"
    }
    assert http == {("PUT", "cache"), ("DELETE", "cache"), ("POST", "topics")}


def test_a_state_machine_role_its_service_cannot_assume_fails_every_change(
    assembly: Path, iam_authorizer: IamSimulateAuthorizer
) -> None:
    """The trust of earlier releases (stateMachine/*, no state machine ARN matches it): the
    execution cannot start, the pipe retries and dead-letters the batch; nothing is cached."""
    stack = load_stack(assembly, STACK)
    template = copy.deepcopy(dict(stack.template))
    for resource in template["Resources"].values():
        trust = json.dumps(resource.get("Properties", {}).get("AssumeRolePolicyDocument", {}))
        if "states.amazonaws.com" in trust:
            old = trust.replace(":stateMachine:*", ":stateMachine/*")
            resource["Properties"]["AssumeRolePolicyDocument"] = json.loads(old)
    with LocalPipeline(
        replace(stack, template=template), retry_base_delay=0.01, authorizer=iam_authorizer
    ) as pipeline:
        put_reading(pipeline, "Oslo", 9, 1, int(time.time()) + 600)
        pipeline.drain(timeout=30)
        assert [r for r in server(pipeline).requests if r.method != "GET"] == []
        assert cached(pipeline, "Oslo#9") is None
        (letter,) = pipeline.dead_letters()
        assert letter["DDBStreamBatchInfo"]["batchSize"] == 1
        failed = [e for e in pipeline.events() if e.outcome == "failed"]
        assert failed and "sts:AssumeRole" in failed[0].error
    assert {(r.principal, r.action) for r in iam_authorizer.denials} == {
        ("states.amazonaws.com", "sts:AssumeRole")
    }


def test_removals_evict_and_every_change_is_announced(lp: LocalPipeline) -> None:
    far = int(time.time()) + 3600
    put_reading(lp, "Lima", 1, 20, far)
    lp.drain(timeout=30)
    delete_reading(lp, "Lima", 1)
    lp.drain(timeout=30)
    assert cached(lp, "Lima#1") is None
    notices = [json.loads(m) for m in lp.momento.messages(CACHE, TOPIC)]
    assert [n["eventName"] for n in notices] == ["INSERT", "REMOVE"]
    assert notices[1]["keys"] == {"station": {"S": "Lima"}, "day": {"N": "1"}}


def test_from_attributes_on_a_single_key_table(lp: LocalPipeline) -> None:
    lp.dynamodb.put_item(
        TableName=lp.table_name(f"{STACK}/Cities"),
        Item={"city": {"S": "Kyōto"}, "population": {"N": "1460000"}},
    )
    lp.drain(timeout=30)
    assert cached(lp, "Kyōto", "cities") == {"city": "Kyōto", "population": "1460000"}
    (put,) = [r for r in server(lp).requests if r.method == "PUT"]
    assert put.query["ttl_seconds"] == ["600"]


def test_a_429_is_retried_inside_the_state_machine(lp: LocalPipeline) -> None:
    server(lp).inject_failures(429, 2, method="PUT")
    put_reading(lp, "Quito", 2, 14, int(time.time()) + 600)
    lp.drain(timeout=30)
    assert cached(lp, "Quito#2")["item"]["temp"] == {"N": "14"}
    statuses = [r.status for r in server(lp).requests if r.method == "PUT"]
    assert statuses == [429, 429, 204]
    assert lp.dead_letters() == []


def test_a_change_failing_every_retry_is_one_dead_letter_with_its_keys(lp: LocalPipeline) -> None:
    server(lp).inject_failures(500, 4, method="PUT")  # 1 try + 3 retries
    put_reading(lp, "Bern", 3, 1, int(time.time()) + 600)
    put_reading(lp, "Bern", 4, 2, int(time.time()) + 600)
    lp.drain(timeout=30)
    # The pipe moved on: the next record of the shard was applied.
    assert cached(lp, "Bern#3") is None
    assert cached(lp, "Bern#4")["item"]["temp"] == {"N": "2"}
    (letter,) = lp.dead_letters()
    assert letter["source"] == "DynamoToMomentoSync"
    assert letter["keys"] == {"station": {"S": "Bern"}, "day": {"N": "3"}}
    assert letter["momentoKey"] == "Bern#3"
    assert (letter["eventName"], letter["stage"]) == ("INSERT", "cache")
    assert letter["error"] == "States.Http.StatusCode.500"
    assert letter["table"] == lp.table_name(f"{STACK}/Readings")
    assert letter["sequenceNumber"]


def test_a_failed_announcement_keeps_the_cache_write(lp: LocalPipeline) -> None:
    server(lp).inject_failures(400, 1, method="POST")
    put_reading(lp, "Nairobi", 5, 25, int(time.time()) + 600)
    lp.drain(timeout=30)
    assert cached(lp, "Nairobi#5")["item"]["temp"] == {"N": "25"}
    (letter,) = lp.dead_letters()
    assert (letter["stage"], letter["error"]) == ("announce", "States.Http.StatusCode.400")


def test_put_then_delete_rounds_end_exactly_as_the_table(lp: LocalPipeline) -> None:
    """Quick put→delete and delete→put of the same keys: the cache ends as the table."""
    rounds = 200
    far = int(time.time()) + 3600
    expected: dict[str, bool] = {}
    for index in range(rounds):
        station, day = f"S{index % 20}", index % 7
        if index % 2 == 0:
            put_reading(lp, station, day, index, far)
            delete_reading(lp, station, day)
            expected[f"{station}#{day}"] = False
        else:
            delete_reading(lp, station, day)
            put_reading(lp, station, day, index, far)
            expected[f"{station}#{day}"] = True
    lp.drain(timeout=240)
    for key, present in expected.items():
        assert (cached(lp, key) is not None) == present, key
    # And the table agrees: exactly its items are cached, with their last values.
    items = lp.dynamodb.scan(TableName=lp.table_name(f"{STACK}/Readings"))["Items"]
    in_table = {f"{i['station']['S']}#{i['day']['N']}": i["temp"]["N"] for i in items}
    assert in_table.keys() == {key for key, present in expected.items() if present}
    for key, temp in in_table.items():
        assert cached(lp, key)["item"]["temp"] == {"N": temp}
    assert lp.dead_letters() == []


@pytest.mark.parametrize(("status", "meaning"), [(401, "bad API key"), (404, "missing cache")])
def test_a_4xx_is_not_retried_and_is_dead_lettered(
    lp: LocalPipeline, status: int, meaning: str
) -> None:
    server(lp).inject_failures(status, 1, method="PUT")
    put_reading(lp, "Accra", 6, 30, int(time.time()) + 600)
    lp.drain(timeout=30)
    # Retrying cannot heal a bad key or a missing cache: one try, then the dead letter.
    assert [r.status for r in server(lp).requests if r.method == "PUT"] == [status], meaning
    (letter,) = lp.dead_letters()
    assert letter["error"] == f"States.Http.StatusCode.{status}"
    assert letter["momentoKey"] == "Accra#6"
