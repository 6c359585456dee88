"""cdk-nag (AwsSolutions, Serverless) and cfn-lint over the example and a matrix of configurations.

Every scenario is a stack of one app, checked by one cdk-nag walk and synthesized once.
Acknowledged rules: the library acknowledges SQS3 and SQSRedrivePolicy on the dead-letter queue
it creates, and IAM5[Resource::*] (dynamodb:ListStreams) on the pipe role it creates or the
policy it attaches to a given role; for a queue they give, users acknowledge the same two queue
rules (the "GivenQueue" and "Encrypted" stacks do, as a user would). Nothing else is
acknowledged anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
    MomentoPayload,
)
from momento_eventbridge_constructs._nag import DEAD_LETTER_QUEUE_RULES, PIPE_ROLE_RULES
from momento_eventbridge_constructs.examples import weather as weather_example

from .._support import ENDPOINT, ENV, destinations, template_of, weather_table
from ._checks import (
    USER_DEAD_LETTER_QUEUE_RULES,
    Violation,
    acknowledge,
    lint,
    nag,
    nag_by_stack,
)

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
PITR = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
ACKNOWLEDGED = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
WEATHER_PIPES = ("CacheSetPipe", "CacheDeletePipe", "TopicPublishPipe")


def _pipe(
    stack: cdk.Stack,
    id: str,
    table: dynamodb.ITable,
    destination: MomentoApiDestination,
    **props: Any,
) -> DynamoToMomentoPipe:
    if destination.operation is PUBLISH:
        props.setdefault("topic_name", "topic")
    return DynamoToMomentoPipe(
        stack, id, table=table, destination=destination, cache_name="cache", **props
    )


def _stack(app: cdk.App, id: str) -> cdk.Stack:
    return cdk.Stack(app, id, env=ENV)


def _key(stack: cdk.Stack, id: str) -> kms.Key:
    # A customer key as a careful user makes it (AwsSolutions-KMS5: rotation on).
    return kms.Key(stack, id, enable_key_rotation=True)


def _secure_queue(stack: cdk.Stack, id: str, **props: Any) -> sqs.Queue:
    props.setdefault("encryption", sqs.QueueEncryption.SQS_MANAGED)
    queue = sqs.Queue(stack, id, enforce_ssl=True, **props)
    acknowledge(queue, USER_DEAD_LETTER_QUEUE_RULES)
    return queue


def _created(app: cdk.App) -> None:
    """Each operation on its own table, everything else default (the queue is created)."""
    stack = _stack(app, "Created")
    calls = destinations(stack)
    for operation in MomentoOperation:
        table = weather_table(
            stack, f"{operation.name}Table", point_in_time_recovery_specification=PITR
        )
        _pipe(stack, operation.name, table, calls[operation])


def _given_queue(app: cdk.App) -> None:
    """One queue given by the user and shared by every operation's pipe."""
    stack = _stack(app, "GivenQueue")
    calls = destinations(stack)
    queue = _secure_queue(stack, "Dlq")
    table = weather_table(stack, point_in_time_recovery_specification=PITR)
    for operation in MomentoOperation:
        _pipe(stack, operation.name, table, calls[operation], dead_letter_queue=queue)


def _encrypted(app: cdk.App) -> None:
    """Customer-managed keys on table and queue; alarms notify an encrypted SNS topic."""
    stack = _stack(app, "Encrypted")
    calls = destinations(stack)
    table = weather_table(
        stack,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=_key(stack, "TableKey"),
        point_in_time_recovery_specification=PITR,
    )
    queue = _secure_queue(
        stack,
        "Dlq",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=_key(stack, "QueueKey"),
    )
    topic = sns.Topic(stack, "Alarms", master_key=_key(stack, "TopicKey"), enforce_ssl=True)
    for operation in MomentoOperation:
        _pipe(
            stack,
            operation.name,
            table,
            calls[operation],
            dead_letter_queue=queue,
            alarm_action=cloudwatch_actions.SnsAction(topic),
        )


def _imported(app: cdk.App) -> None:
    """An imported table (stream ARN, KMS key), so its key schema is stated."""
    stack = _stack(app, "Imported")
    calls = destinations(stack)
    table = dynamodb.Table.from_table_attributes(
        stack,
        "Table",
        table_arn="arn:aws:dynamodb:us-west-2:123456789012:table/weather",
        table_stream_arn=(
            "arn:aws:dynamodb:us-west-2:123456789012:table/weather/stream/2024-01-01T00:00:00.000"
        ),
        encryption_key=kms.Key.from_key_arn(
            stack,
            "TableKey",
            "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
    )
    key = {"partition_key": dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING)}
    _pipe(stack, "Set", table, calls[SET], **key)
    _pipe(stack, "Delete", table, calls[DELETE], **key)


def _table_v2(app: cdk.App) -> None:
    """A TableV2 with a numeric key and a topic body built from attributes."""
    stack = _stack(app, "TableV2")
    calls = destinations(stack)
    table = dynamodb.TableV2(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.NUMBER),
        dynamo_stream=dynamodb.StreamViewType.NEW_IMAGE,
        point_in_time_recovery_specification=PITR,
    )
    _pipe(stack, "Set", table, calls[SET], ttl=cdk.Duration.minutes(5))
    _pipe(
        stack,
        "Publish",
        table,
        calls[PUBLISH],
        event_names=["INSERT"],
        value=MomentoPayload.from_attributes({"Id": "N", "Name": "S"}),
    )


def _options(app: cdk.App) -> None:
    """Given role and log group, logging off and at TRACE, names, tokens, rate limit, no alarms."""
    stack = _stack(app, "Options")
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "ApiKey", "momento")
    connection = MomentoConnection(
        stack,
        "Connection",
        api_key_secret=secret,
        api_key_secret_field="apiKey",
        connection_name="momento-connection",
        description="Momento key",
    )
    endpoint = cdk.CfnParameter(stack, "Endpoint", default=ENDPOINT).value_as_string
    cache = cdk.CfnParameter(stack, "Cache", default="cache").value_as_string
    set_call = MomentoApiDestination(
        stack,
        "Set",
        connection=connection,
        endpoint=MomentoEndpoint.from_url(endpoint),
        operation=SET,
        rate_limit_per_second=50,
        api_destination_name="momento-set",
        description="cache set",
    )
    delete_call = MomentoApiDestination(
        stack, "Delete", connection=connection, endpoint=ENDPOINT, operation=DELETE
    )
    table = weather_table(stack, point_in_time_recovery_specification=PITR)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
    log_group = logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_WEEK)
    DynamoToMomentoPipe(
        stack,
        "Traced",
        table=table,
        destination=set_call,
        cache_name=cache,
        role=role,
        log_group=log_group,
        log_level="TRACE",
        include_execution_data=True,
        pipe_name="momento-set",
        description="traced",
        max_retry_attempts=0,
        max_record_age=cdk.Duration.hours(24),
        starting_position="TRIM_HORIZON",
    )
    DynamoToMomentoPipe(
        stack,
        "Quiet",
        table=table,
        destination=delete_call,
        cache_name="cache",
        log_level="OFF",
        create_alarms=False,
        max_retry_attempts=10_000,
        max_record_age=cdk.Duration.minutes(1),
    )


SCENARIOS = (_created, _given_queue, _encrypted, _imported, _table_v2, _options)
STACKS = ("Created", "GivenQueue", "Encrypted", "Imported", "TableV2", "Options")


class Synthesized:
    def __init__(self) -> None:
        self.app = cdk.App()
        for scenario in SCENARIOS:
            scenario(self.app)
        weather_example.build_app(self.app)
        self.nag = nag_by_stack(self.app)
        self.assembly = self.app.synth()


@pytest.fixture(scope="module")
def synthesized() -> Iterator[Synthesized]:
    yield Synthesized()


@pytest.mark.parametrize("stack", [*STACKS, "WeatherStack"])
def test_cdk_nag_finds_nothing(synthesized: Synthesized, stack: str) -> None:
    assert synthesized.nag.get(stack, []) == []


@pytest.mark.parametrize("stack", [*STACKS, "WeatherStack"])
def test_cfn_lint_finds_nothing(synthesized: Synthesized, stack: str) -> None:
    assert lint(template_of(synthesized.assembly, stack)) == []


def test_matrix_covers_what_it_claims(synthesized: Synthesized) -> None:
    templates = {name: template_of(synthesized.assembly, name) for name in STACKS}

    def count(stack: str, resource_type: str) -> int:
        return sum(r["Type"] == resource_type for r in templates[stack]["Resources"].values())

    assert count("Created", "AWS::Pipes::Pipe") == 3 and count("Created", "AWS::SQS::Queue") == 3
    assert count("GivenQueue", "AWS::SQS::Queue") == 1
    assert count("Encrypted", "AWS::KMS::Key") == 3
    assert count("Imported", "AWS::DynamoDB::Table") == 0
    assert count("TableV2", "AWS::DynamoDB::GlobalTable") == 1
    assert count("Options", "AWS::Logs::LogGroup") == 1  # the given one; "Quiet" logs nothing
    assert count("Options", "AWS::CloudWatch::Alarm") == 2  # "Traced" only


def _acknowledgements(scope: IConstruct) -> dict[str, dict[str, str]]:
    """Construct path -> acknowledged rule -> reason, for every construct under ``scope``.

    aws-cdk-lib stores each rule under a prefixed key (``Annotation::<rule>``; older releases
    spell it ``annotation::``): the rule is what follows the prefix.
    """
    found: dict[str, dict[str, str]] = {}
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED:
                rules = {key.partition("::")[2]: reason for key, reason in entry.data.items()}
                found.setdefault(construct.node.path, {}).update(rules)
    return found


def test_library_acknowledges_only_its_own_queues_and_roles(synthesized: Synthesized) -> None:
    expected = dict(DEAD_LETTER_QUEUE_RULES)
    created = _acknowledgements(synthesized.app.node.find_child("Created"))
    assert created == {
        **{f"Created/{op.name}/DeadLetterQueue": expected for op in MomentoOperation},
        **{f"Created/{op.name}/Role": PIPE_ROLE_RULES for op in MomentoOperation},
    }
    weather = _acknowledgements(synthesized.app.node.find_child("WeatherStack"))
    # The example's table (point-in-time recovery on) and everything else need no exception.
    assert weather == {
        "WeatherStack/CacheSetPipe/DeadLetterQueue": expected,
        **{f"WeatherStack/{name}/Role": PIPE_ROLE_RULES for name in WEATHER_PIPES},
    }
    # A given role keeps its own findings; the policy the library attaches to it is acknowledged.
    options = _acknowledgements(synthesized.app.node.find_child("Options"))
    assert options["Options/Traced/Policy"] == PIPE_ROLE_RULES
    assert "Options/Role" not in options
    for reason in DEAD_LETTER_QUEUE_RULES.values():
        assert len(reason) > 40 and "dead-letter queue" in reason
    (reason,) = PIPE_ROLE_RULES.values()
    assert "dynamodb:ListStreams" in reason and "eb-pipes-permissions" in reason


def test_a_given_queue_needs_exactly_the_rules_the_library_acknowledges() -> None:
    """The acknowledged rules are the ones that really fire on a pipe's DLQ, and no more."""
    app = cdk.App()
    stack = _stack(app, "S")
    table = weather_table(stack, point_in_time_recovery_specification=PITR)
    queue = sqs.Queue(stack, "Dlq", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
    _pipe(stack, "Pipe", table, destinations(stack)[SET], dead_letter_queue=queue)
    assert nag(stack) == [
        Violation(rule, "S/Dlq/Resource", "error") for rule in sorted(DEAD_LETTER_QUEUE_RULES)
    ]


def test_library_leaves_table_settings_to_the_user() -> None:
    """A table without point-in-time recovery is flagged on the user's table, not changed."""
    app = cdk.App()
    stack = _stack(app, "S")
    table = weather_table(stack)
    _pipe(stack, "Pipe", table, destinations(stack)[SET])
    assert nag(stack) == [Violation("AwsSolutions-DDB3", "S/Table/Resource", "warning")]
    resource = stack.resolve(table.node.default_child._cfn_properties)  # type: ignore[union-attr]
    assert "pointInTimeRecoverySpecification" not in resource


def test_checks_catch_what_they_should() -> None:
    """The helpers report real problems (so an empty result above means something)."""
    app = cdk.App()
    stack = _stack(app, "S")
    sqs.Queue(stack, "Open", encryption=sqs.QueueEncryption.UNENCRYPTED)
    rules = {violation.rule for violation in nag(stack)}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4", "Serverless-SQSRedrivePolicy"} <= rules
    broken = {
        "Parameters": {"Unused": {"Type": "String"}},
        "Resources": {
            "Pipe": {
                "Type": "AWS::Pipes::Pipe",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "Source": "arn:aws:sqs:us-west-2:123456789012:q",
                    "Target": "arn:aws:sqs:us-west-2:123456789012:t",
                    "LogConfiguration": {"Level": "VERBOSE"},
                },
            }
        },
    }
    found = lint(broken)
    assert any(match.startswith("E3030") for match in found), found
    assert any(match.startswith("W2001") for match in found), found
