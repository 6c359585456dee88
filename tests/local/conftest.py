"""Fixtures for the local runtime tests: test stacks shaped like the constructs' output.

The stacks are built from plain aws-cdk-lib L1/L2 constructs following the template contract
of the core constructs (one API destination per Momento call, one connection reading the API
key through a Secrets Manager dynamic reference, one DLQ, pipes with BatchSize 1). Each test
module synthesizes its stack once (module-scoped fixture) into a temporary cdk.out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CACHE = "momento-eventbridge-cache"
TOPIC = "momento-eventbridge-topic"
POISON_TOPIC = "poison-topic"
ENDPOINT = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"
SECRET_NAME = "momento/api-key"
STACK = "WeatherStack"

PUT_TEMPLATE = (
    '{"Location": <$.dynamodb.Keys.Location.S>, "MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>, '
    '"MinTemp": <$.dynamodb.NewImage.MinTemp.N>, '
    '"ChancesOfPrecipitation": <$.dynamodb.NewImage.ChancesOfPrecipitation.N>}'
)
FILTER_TEMPLATE = (
    '{"key": <$.dynamodb.Keys.Location.S>, "region": <$.awsRegion>, '
    '"source": <$.eventSourceARN>, "eventID": <$.eventID>}'
)
TOPIC_TEMPLATE = (
    '{"eventName": <$.eventName>, "keys": <$.dynamodb.Keys>, '
    '"sequenceNumber": <$.dynamodb.SequenceNumber>}'
)


@dataclass(frozen=True)
class StackOptions:
    """Variations of the test stack."""

    starting_position: str = "LATEST"
    declared_secret: bool = False
    endpoint_parameter: bool = True
    poison_pipe: bool = True
    extra_trim_horizon_pipe: bool = False
    max_retries: int = 5
    # (construct ID, filter pattern): one more pipe per entry, publishing FILTER_TEMPLATE to
    # the topic named like the construct ID.
    filter_pipes: tuple[tuple[str, dict[str, Any]], ...] = ()


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def build_weather_app(outdir: Path, options: StackOptions = StackOptions()) -> Path:
    """Synthesize the weather-like test stack into ``outdir``; return it."""
    import aws_cdk as cdk
    from aws_cdk import aws_dynamodb as dynamodb
    from aws_cdk import aws_events as events
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_pipes as pipes
    from aws_cdk import aws_secretsmanager as secretsmanager
    from aws_cdk import aws_sqs as sqs

    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, STACK)
    table = dynamodb.Table(
        stack,
        "WeatherTable",
        partition_key=dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
    )
    dlq = sqs.Queue(stack, "DeadLetterQueue")
    secret: secretsmanager.ISecret
    if options.declared_secret:
        secret = secretsmanager.Secret(
            stack,
            "ApiKeySecret",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"user": "momento"}),
                generate_string_key="apiKey",
            ),
        )
    else:
        secret = secretsmanager.Secret.from_secret_name_v2(stack, "ApiKeySecret", SECRET_NAME)
    connection = events.Connection(
        stack,
        "MomentoConnection",
        authorization=events.Authorization.api_key(
            "Authorization", secret.secret_value_from_json("apiKey")
        ),
    )
    if options.endpoint_parameter:
        endpoint_value = cdk.CfnParameter(
            stack, "MomentoEndpoint", type="String", default=ENDPOINT
        ).value_as_string
    else:
        endpoint_value = ENDPOINT

    def destination(construct_id: str, path: str, method: events.HttpMethod) -> str:
        return events.ApiDestination(
            stack,
            construct_id,
            connection=connection,
            endpoint=f"{endpoint_value}{path}",
            http_method=method,
            rate_limit_per_second=100,
        ).api_destination_arn

    put_arn = destination("CachePutDestination", "/cache/*", events.HttpMethod.PUT)
    delete_arn = destination("CacheDeleteDestination", "/cache/*", events.HttpMethod.DELETE)
    publish_arn = destination("TopicPublishDestination", "/topics/*/*", events.HttpMethod.POST)
    role = iam.Role(stack, "PipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))

    def pipe(
        construct_id: str,
        target: str,
        template: str,
        path_values: list[str],
        query: dict[str, str] | None,
        headers: dict[str, str] | None,
        patterns: list[dict[str, Any]],
        starting_position: str = options.starting_position,
    ) -> None:
        filters = None
        if patterns:
            filters = pipes.CfnPipe.FilterCriteriaProperty(
                filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(p)) for p in patterns]
            )
        pipes.CfnPipe(
            stack,
            construct_id,
            role_arn=role.role_arn,
            source=table.table_stream_arn or "",
            target=target,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position=starting_position,
                    batch_size=1,
                    maximum_retry_attempts=options.max_retries,
                    maximum_record_age_in_seconds=3600,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=dlq.queue_arn),
                ),
                filter_criteria=filters,
            ),
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=template,
                http_parameters=pipes.CfnPipe.PipeTargetHttpParametersProperty(
                    path_parameter_values=path_values,
                    query_string_parameters=query,
                    header_parameters=headers,
                ),
            ),
        )

    key_query = {"key": "$.dynamodb.Keys.Location.S"}
    pipe(
        "CachePutPipe",
        put_arn,
        PUT_TEMPLATE,
        [CACHE],
        {**key_query, "ttl_seconds": "$.dynamodb.NewImage.TTL.N"},
        None,
        [{"eventName": ["INSERT", "MODIFY"]}],
    )
    pipe(
        "CacheDeletePipe",
        delete_arn,
        '{"Location": <$.dynamodb.Keys.Location.S>}',
        [CACHE],
        key_query,
        None,
        [{"eventName": ["REMOVE"]}],
    )
    pipe(
        "TopicPublishPipe",
        publish_arn,
        TOPIC_TEMPLATE,
        [CACHE, TOPIC],
        None,
        {"Content-Type": "text/plain"},
        [],
    )
    if options.poison_pipe:
        # Reads NewImage without filtering REMOVE out: the reference design's defect.
        pipe(
            "PoisonPipe",
            publish_arn,
            '{"MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>}',
            [CACHE, POISON_TOPIC],
            None,
            {"Content-Type": "text/plain"},
            [{"dynamodb": {"Keys": {"Location": {"S": [{"prefix": "Poison"}]}}}}],
        )
    if options.extra_trim_horizon_pipe:
        pipe(
            "ReplayPipe",
            publish_arn,
            '{"replayed": <$.dynamodb.Keys.Location.S>}',
            [CACHE, "replay-topic"],
            None,
            {"Content-Type": "text/plain"},
            [],
            starting_position="TRIM_HORIZON",
        )
    for construct_id, pattern in options.filter_pipes:
        pipe(
            construct_id,
            publish_arn,
            FILTER_TEMPLATE,
            [CACHE, construct_id],
            None,
            {"Content-Type": "text/plain"},
            [pattern],
        )
    app.synth()
    return outdir


@pytest.fixture(autouse=True)
def _no_real_momento(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach the real Momento service."""
    monkeypatch.delenv("MOMENTO_API_KEY", raising=False)
    monkeypatch.delenv("MOMENTO_API_ENDPOINT", raising=False)


def _put_weather(
    client: Any,
    table: str,
    location: str,
    max_temp: int,
    min_temp: int = 50,
    chances: int = 10,
    ttl: int = 120,
) -> None:
    """Write one weather item."""
    client.put_item(
        TableName=table,
        Item={
            "Location": {"S": location},
            "MaxTemp": {"N": str(max_temp)},
            "MinTemp": {"N": str(min_temp)},
            "ChancesOfPrecipitation": {"N": str(chances)},
            "TTL": {"N": str(ttl)},
        },
    )


def _wait_for(condition: Any, timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll ``condition`` until true or ``timeout``; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(interval)


# Helpers are handed out as fixtures, so test modules never import this conftest.


@pytest.fixture(scope="session")
def weather_app_builder() -> Any:
    """``build(outdir, StackOptions(...)) -> outdir``; ``.Options`` is :class:`StackOptions`."""
    build_weather_app.Options = StackOptions  # type: ignore[attr-defined]
    return build_weather_app


@pytest.fixture(scope="module")
def weather_assembly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default test stack, synthesized once per module that uses it."""
    yield build_weather_app(tmp_path_factory.mktemp("cdk") / "cdk.out")


@pytest.fixture(scope="session")
def put_weather() -> Any:
    """``put_weather(client, table, location, max_temp, min_temp=50, chances=10, ttl=120)``."""
    return _put_weather


@pytest.fixture(scope="session")
def wait_for() -> Any:
    """``wait_for(condition, timeout=5.0) -> bool``: bounded polling."""
    return _wait_for


@pytest.fixture()
def fake_clock() -> FakeClock:
    """A clock that only moves with ``advance(seconds)``."""
    return FakeClock()


@pytest.fixture(scope="module")
def iam_evaluator() -> Iterator[Any]:
    """One @cloud-copilot/iam-simulate process (Node.js) per module, see ``iam_authorizer``."""
    from .._iam import IamSimulateAuthorizer

    authorizer = IamSimulateAuthorizer()
    try:
        yield authorizer
    finally:
        authorizer.close()


@pytest.fixture
def iam_authorizer(iam_evaluator: Any) -> Any:
    """An authorizer for ``LocalPipeline(authorizer=...)``: every call made for a role is
    decided by an IAM evaluator as AWS would; ``asked``, ``denials`` and ``errors`` are this
    test's own."""
    return iam_evaluator.view()
