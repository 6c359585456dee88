"""The pipe from a DynamoDB table stream to one Momento call."""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from typing import Literal

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from ._nag import DEAD_LETTER_QUEUE_RULES, acknowledge
from ._table import ATTRIBUTE_TYPE_CODES, TableFacts, read_table
from ._validation import Checker, is_number_token, is_token
from .api_destination import MomentoApiDestination
from .errors import MomentoConstructError
from .operation import MomentoOperation
from .payload import KeyInfo, MomentoPayload, check_record_paths, placeholders

__all__ = ["DynamoToMomentoPipe", "EventName", "LogLevel", "StartingPosition"]

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
StartingPosition = Literal["LATEST", "TRIM_HORIZON"]
LogLevel = Literal["OFF", "ERROR", "INFO", "TRACE"]

EVENT_NAMES: tuple[EventName, ...] = ("INSERT", "MODIFY", "REMOVE")
DEFAULT_EVENTS: dict[MomentoOperation, tuple[EventName, ...]] = {
    MomentoOperation.CACHE_SET: ("INSERT", "MODIFY"),
    MomentoOperation.CACHE_DELETE: ("REMOVE",),
    MomentoOperation.TOPIC_PUBLISH: ("INSERT", "MODIFY", "REMOVE"),
}
ALLOWED_EVENTS: dict[MomentoOperation, frozenset[str]] = {
    MomentoOperation.CACHE_SET: frozenset({"INSERT", "MODIFY"}),
    MomentoOperation.CACHE_DELETE: frozenset({"REMOVE"}),
    MomentoOperation.TOPIC_PUBLISH: frozenset(EVENT_NAMES),
}

DEFAULT_TTL_SECONDS = 3600
DEFAULT_MAX_TTL_SECONDS = 24 * 3600  # Momento's hard limit on on-demand caches
DEFAULT_MAX_RETRY_ATTEMPTS = 5
MAX_RETRY_ATTEMPTS = 10_000
DEFAULT_MAX_RECORD_AGE_SECONDS = 3600
MIN_RECORD_AGE_SECONDS = 60
MAX_RECORD_AGE_SECONDS = 24 * 3600  # DynamoDB Streams keeps records for 24 hours
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
DLQ_RETENTION = Duration.days(14)
# Built once: each Duration is a jsii object, and creating one is a round trip to Node.js.
DLQ_ALARM_PERIOD = Duration.minutes(1)
FAILURE_ALARM_PERIOD = Duration.minutes(5)

PIPES_METRIC_NAMESPACE = "AWS/EventBridge/Pipes"
READER_WARNING_ID = "momento-eventbridge-constructs:StreamReaders"
MAX_READERS_PER_SHARD = 2

# Registries keyed by the Python objects themselves, so that keeping them costs no jsii round
# trip (``node.root`` and ``node.path`` are two each). Which pipes read a table's stream (by
# table object; by construct tree and ARN for an imported stream ARN), the one DLQ alarm per
# queue.
_Readers = list["weakref.ref[DynamoToMomentoPipe]"]
_READERS: weakref.WeakKeyDictionary[object, _Readers] = weakref.WeakKeyDictionary()
_READERS_BY_ARN: weakref.WeakKeyDictionary[IConstruct, dict[str, _Readers]] = (
    weakref.WeakKeyDictionary()
)
_DLQ_ALARMS: weakref.WeakKeyDictionary[sqs.IQueue, cloudwatch.Alarm] = weakref.WeakKeyDictionary()


def _has(value: object, attribute: str) -> bool:
    """``hasattr`` without calling a jsii property getter (a round trip) on the instance."""
    return hasattr(type(value), attribute) or (attribute in getattr(value, "__dict__", {}))


class DynamoToMomentoPipe(Construct):
    """An EventBridge pipe that applies every change of a DynamoDB table to Momento.

    The pipe reads the table's stream, lets through the chosen event names, and makes the
    destination's Momento call once per record: ``CACHE_SET`` puts the item under its key with
    a TTL, ``CACHE_DELETE`` evicts it, ``TOPIC_PUBLISH`` announces the change.

    Secure, lossless defaults: batch size 1 (API destinations do not batch); bounded retries
    (5) and record age (1 hour); every record that still fails goes to an SQS dead-letter queue
    (created with SSE, HTTPS-only access and 14-day retention unless given); a role trusted
    only by pipes of this account and region, allowed exactly the stream, the destination, the
    queue and the log group; logs at ERROR without payloads; alarms on the queue and on failed
    executions.

    Example::

        DynamoToMomentoPipe(self, "CacheSet", table=table, destination=put,
                            cache_name="weather")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table: dynamodb.ITable,
        destination: MomentoApiDestination,
        cache_name: str,
        topic_name: str | None = None,
        key_attribute: str | None = None,
        key_type: dynamodb.AttributeType | None = None,
        value: MomentoPayload | None = None,
        ttl: Duration | None = None,
        ttl_attribute: str | None = None,
        max_ttl: Duration | None = None,
        event_names: Sequence[EventName] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        max_retry_attempts: int = DEFAULT_MAX_RETRY_ATTEMPTS,
        max_record_age: Duration | None = None,
        starting_position: StartingPosition = "LATEST",
        log_level: LogLevel = "ERROR",
        include_execution_data: bool = False,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays | None = None,
        role: iam.IRole | None = None,
        pipe_name: str | None = None,
        description: str | None = None,
        create_alarms: bool = True,
        alarm_action: cloudwatch.IAlarmAction | None = None,
    ) -> None:
        """
        Args:
            table: the source table; it must have a stream. Required.
            destination: the Momento call to make. Required.
            cache_name: the Momento cache (for topics: the cache that holds the topic).
                Required; URL-safe characters only.
            topic_name: the Momento topic. Required for ``TOPIC_PUBLISH``, rejected otherwise.
            key_attribute: the attribute whose value is the Momento key. Default: the table's
                partition key when the table exposes its schema; required otherwise (cache
                calls and ``MomentoPayload.from_attributes`` only). Must be a key attribute.
            key_type: the key attribute's type, ``STRING`` or ``NUMBER``. Default: from the
                table's schema; required for an imported table. ``BINARY`` keys are rejected:
                stream records carry them as standard base64, which is not URL-safe.
            value: the body of ``CACHE_SET`` and ``TOPIC_PUBLISH``. Default:
                ``MomentoPayload.new_image()`` for ``CACHE_SET``,
                ``MomentoPayload.change_notice()`` for ``TOPIC_PUBLISH``. ``CACHE_DELETE`` has
                no body, so a value is rejected there.
            ttl: a fixed time to live for cached items (``CACHE_SET`` only). Default: 1 hour
                when ``ttl_attribute`` is not given either.
            ttl_attribute: a numeric attribute of the new image that holds the time to live in
                *relative seconds* (``CACHE_SET`` only; not DynamoDB's epoch TTL, which
                templates cannot convert). Every item must carry it. Exclusive with ``ttl``.
            max_ttl: the largest ``ttl`` accepted. Default: 24 hours, Momento's limit for
                on-demand caches; raise it only for caches with a higher limit.
            event_names: the stream events the pipe lets through. Default: ``INSERT`` and
                ``MODIFY`` for ``CACHE_SET``, ``REMOVE`` for ``CACHE_DELETE``, all three for
                ``TOPIC_PUBLISH``.
            dead_letter_queue: where records go after the last retry. Default: a queue created
                with SQS-managed encryption, HTTPS-only access and 14-day retention. A given
                queue is granted ``sqs:SendMessage`` (and KMS use for a customer key).
            max_retry_attempts: retries of a failed call before the record goes to the
                dead-letter queue (0-10000). Default: 5.
            max_record_age: records older than this go to the dead-letter queue unprocessed
                (1 minute to 24 hours, the stream's retention). Default: 1 hour.
            starting_position: where a new pipe starts reading: ``LATEST`` or
                ``TRIM_HORIZON``. Default: ``LATEST``. Changing it replaces the pipe.
            log_level: ``OFF``, ``ERROR``, ``INFO`` or ``TRACE``. Default: ``ERROR``.
            include_execution_data: log payloads and requests unredacted (they contain item
                data). Default: False.
            log_group: where the pipe logs. Default: a log group created with
                ``log_retention``; none when ``log_level`` is ``OFF``.
            log_retention: retention of the created log group. Default: one month.
            role: the role the pipe assumes; it is granted exactly what the pipe needs. Default:
                a role trusted by ``pipes.amazonaws.com`` for pipes of this account and region.
            pipe_name: the pipe's physical name (1-64 of ``[.-_A-Za-z0-9]``). Default: generated
                by CloudFormation.
            description: the pipe's description. Default: names the Momento call and cache.
            create_alarms: create alarms on dead-letter queue messages and failed executions.
                Default: True.
            alarm_action: an action (e.g. ``SnsAction``) for both alarms. Default: none.
        """
        check = Checker(f"DynamoToMomentoPipe {id!r}")

        # --- validate every prop before building anything -----------------------------------
        if table is None or not _has(table, "table_stream_arn"):
            check.fail("table", table, "must be an aws_dynamodb.ITable with a stream")
        check.instance("destination", destination, MomentoApiDestination, "a MomentoApiDestination")
        operation = destination.operation
        check.url_safe_name("cache_name", cache_name, "cache")
        if operation is MomentoOperation.TOPIC_PUBLISH:
            if topic_name is None:
                check.fail(
                    "topic_name",
                    topic_name,
                    "is required when the destination's operation is TOPIC_PUBLISH",
                )
            check.url_safe_name("topic_name", topic_name, "topic")
        elif topic_name is not None:
            check.fail(
                "topic_name",
                topic_name,
                f"applies only to TOPIC_PUBLISH; the destination makes {operation.name}",
            )

        events = _check_event_names(check, event_names, operation)
        ttl_query = _check_ttl(check, operation, ttl, ttl_attribute, max_ttl)
        if value is not None:
            check.instance("value", value, MomentoPayload, "a MomentoPayload")
            if operation is MomentoOperation.CACHE_DELETE:
                check.fail("value", value, "CACHE_DELETE sends no body; leave value unset")

        check.whole_number("max_retry_attempts", max_retry_attempts, 0, MAX_RETRY_ATTEMPTS)
        record_age = _seconds(
            check, "max_record_age", max_record_age, DEFAULT_MAX_RECORD_AGE_SECONDS
        )
        if not MIN_RECORD_AGE_SECONDS <= record_age <= MAX_RECORD_AGE_SECONDS:
            check.fail(
                "max_record_age",
                check.shown(f"{record_age} seconds"),
                "must be from 1 minute to 24 hours (DynamoDB Streams keeps records for "
                "24 hours, and an unbounded age lets a failing record block its shard)",
            )
        check.choice("starting_position", starting_position, ("LATEST", "TRIM_HORIZON"))
        check.choice("log_level", log_level, ("OFF", "ERROR", "INFO", "TRACE"))
        if not isinstance(include_execution_data, bool):
            check.fail("include_execution_data", include_execution_data, "must be True or False")
        if log_level == "OFF":
            for prop, given in (("log_group", log_group), ("log_retention", log_retention)):
                if given is not None:
                    check.fail(prop, given, "is unused when log_level is 'OFF'")
            if include_execution_data:
                check.fail("include_execution_data", True, "is unused when log_level is 'OFF'")
        if log_group is not None and log_retention is not None:
            check.fail(
                "log_retention",
                log_retention,
                "applies only to the log group the construct creates; set the retention "
                "of the given log_group on that log group",
            )
        if log_retention is not None and not isinstance(log_retention, logs.RetentionDays):
            check.fail("log_retention", log_retention, "must be an aws_logs.RetentionDays")
        check.eventbridge_name("pipe_name", pipe_name)
        check.description("description", description)
        if not isinstance(create_alarms, bool):
            check.fail("create_alarms", create_alarms, "must be True or False")
        if alarm_action is not None and not create_alarms:
            check.fail("alarm_action", alarm_action, "is unused when create_alarms is False")

        facts = read_table(table)
        if facts.stream_arn is None:
            check.fail(
                "table",
                table.node.path,
                "has no stream; create it with stream=StreamViewType.NEW_AND_OLD_IMAGES "
                "(dynamo_stream for TableV2) or import it with table_stream_arn",
            )

        payload = value or (
            MomentoPayload.new_image()
            if operation is MomentoOperation.CACHE_SET
            else MomentoPayload.change_notice()
        )
        key = None
        if operation is not MomentoOperation.TOPIC_PUBLISH or payload.needs_key:
            key = _check_key(
                check,
                facts,
                key_attribute,
                key_type,
                cache_call=operation is not MomentoOperation.TOPIC_PUBLISH,
            )
        elif key_attribute is not None or key_type is not None:
            check.fail(
                "key_attribute" if key_attribute is not None else "key_type",
                key_attribute if key_attribute is not None else key_type,
                "is unused: TOPIC_PUBLISH with this value does not read the key",
            )

        input_template = None
        if operation is not MomentoOperation.CACHE_DELETE:
            try:
                input_template = payload.render(key)
            except MomentoConstructError as error:
                check.fail(error.prop, error.value, error.rule)

        query: dict[str, str] = {}
        if key is not None and operation is not MomentoOperation.TOPIC_PUBLISH:
            query["key"] = f"$.dynamodb.Keys.{key.attribute}.{key.type_code}"
        if ttl_query is not None:
            query["ttl_seconds"] = ttl_query

        def check_paths(paths: list[str], prop: str) -> None:
            check_record_paths(
                paths,
                events=events,
                view_type=facts.view_type if facts.schema_known else None,
                key_attributes=facts.key_attributes,
                check=check,
                prop=prop,
            )

        if input_template is not None:
            check_paths(placeholders(input_template), "value")
        if ttl_attribute is not None:
            check_paths([query["ttl_seconds"]], "ttl_attribute")

        if dead_letter_queue is not None:
            if not _has(dead_letter_queue, "queue_arn"):
                check.fail("dead_letter_queue", dead_letter_queue, "must be an aws_sqs.IQueue")
            if dead_letter_queue.fifo:
                check.fail(
                    "dead_letter_queue",
                    dead_letter_queue.node.path,
                    "must be a standard queue: pipes send dead letters without the message "
                    "group ID a FIFO queue requires",
                )
        if role is not None and not _has(role, "role_arn"):
            check.fail("role", role, "must be an aws_iam.IRole")
        if log_group is not None and not _has(log_group, "log_group_arn"):
            check.fail("log_group", log_group, "must be an aws_logs.ILogGroup")

        # --- build --------------------------------------------------------------------------
        super().__init__(scope, id)
        stack = Stack.of(self)
        stream_arn = facts.stream_arn
        assert stream_arn is not None  # checked above

        self.table: dynamodb.ITable = table
        """The source table."""
        self.destination: MomentoApiDestination = destination
        """The API destination the pipe calls."""
        self.operation: MomentoOperation = operation
        """The Momento call the pipe makes."""
        self.cache_name: str = cache_name
        """The Momento cache."""
        self.topic_name: str | None = topic_name
        """The Momento topic (``TOPIC_PUBLISH`` only)."""
        self.event_names: tuple[str, ...] = tuple(e for e in EVENT_NAMES if e in events)
        """The stream events the pipe lets through."""
        self.input_template: str | None = input_template
        """The rendered body template (None for ``CACHE_DELETE``)."""
        self.key_attribute: str | None = key.attribute if key else None
        """The attribute whose value is the Momento key (None when unused)."""

        created_queue = dead_letter_queue is None
        if dead_letter_queue is None:
            dead_letter_queue = sqs.Queue(
                self,
                "DeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=DLQ_RETENTION,
            )
            # cdk-nag cannot see that a Pipes DeadLetterConfig makes this queue a DLQ; a given
            # queue is the user's to acknowledge.
            acknowledge(dead_letter_queue, DEAD_LETTER_QUEUE_RULES)
        self.dead_letter_queue: sqs.IQueue = dead_letter_queue
        """The dead-letter queue: records that still failed after the last retry."""

        self.log_group: logs.ILogGroup | None = None
        """The log group the pipe writes to (None when ``log_level`` is ``OFF``)."""
        if log_level != "OFF":
            self.log_group = log_group or logs.LogGroup(
                self, "LogGroup", retention=log_retention or DEFAULT_LOG_RETENTION
            )
        # Each ARN is a jsii property read (a round trip): read each once.
        queue_arn = self.dead_letter_queue.queue_arn
        log_group_arn = self.log_group.log_group_arn if self.log_group is not None else None

        statements = [
            iam.PolicyStatement(
                sid="ReadTableStream",
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                resources=[stream_arn],
            ),
            iam.PolicyStatement(
                sid="InvokeMomento",
                actions=["events:InvokeApiDestination"],
                resources=[destination.api_destination_arn_for_policy],
            ),
            iam.PolicyStatement(
                sid="SendToDeadLetterQueue",
                actions=["sqs:SendMessage"],
                resources=[queue_arn],
            ),
        ]
        if log_group_arn is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="WriteLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group_arn],
                )
            )
        if facts.encryption_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="DecryptTableStream",
                    actions=["kms:Decrypt"],
                    resources=[facts.encryption_key.key_arn],
                )
            )
        # The queue created above uses SQS-managed encryption: no key to grant.
        queue_key = None if created_queue else self.dead_letter_queue.encryption_master_key
        if queue_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="EncryptDeadLetters",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[queue_key.key_arn],
                )
            )

        policy: iam.Policy | None = None
        if role is None:
            # Confused-deputy guard: only pipes of this account and region may assume the role.
            # The ARN pattern is built without the pipe's own ARN, which would be a cycle.
            conditions = {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="pipes", resource="pipe", resource_name=pipe_name or "*"
                    )
                },
            }
            self.role: iam.IRole = iam.Role(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("pipes.amazonaws.com", conditions=conditions),
                description="Lets an EventBridge pipe apply DynamoDB stream records to Momento",
                inline_policies={"DynamoToMomento": iam.PolicyDocument(statements=statements)},
            )
            """The role the pipe assumes."""
        else:
            self.role = role
            policy = iam.Policy(self, "Policy", statements=statements, roles=[role])

        log_configuration = None
        if log_group_arn is not None:
            log_configuration = pipes.CfnPipe.PipeLogConfigurationProperty(
                level=log_level,
                include_execution_data=["ALL"] if include_execution_data else None,
                cloudwatch_logs_log_destination=(
                    pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(log_group_arn=log_group_arn)
                ),
            )
        else:
            log_configuration = pipes.CfnPipe.PipeLogConfigurationProperty(level="OFF")

        headers = (
            {"Content-Type": "text/plain"} if operation is MomentoOperation.TOPIC_PUBLISH else None
        )
        path_values = [cache_name] if topic_name is None else [cache_name, topic_name]
        self.pipe: pipes.CfnPipe = pipes.CfnPipe(
            self,
            "Pipe",
            role_arn=self.role.role_arn,
            source=stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=(
                    pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                        starting_position=starting_position,
                        batch_size=1,
                        maximum_retry_attempts=max_retry_attempts,
                        maximum_record_age_in_seconds=record_age,
                        dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=queue_arn),
                    )
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[
                        pipes.CfnPipe.FilterProperty(
                            pattern=json.dumps(
                                {"eventName": list(self.event_names)}, separators=(",", ":")
                            )
                        )
                    ]
                ),
            ),
            target=destination.api_destination_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=input_template,
                http_parameters=pipes.CfnPipe.PipeTargetHttpParametersProperty(
                    path_parameter_values=path_values,
                    query_string_parameters=query or None,
                    header_parameters=headers,
                ),
            ),
            log_configuration=log_configuration,
            name=pipe_name,
            description=description
            or f"DynamoDB stream to Momento: {operation.name} on cache {cache_name}",
        )
        """The EventBridge pipe (L1)."""
        if policy is not None:
            # Pipes checks its permissions when it is created: attach them first.
            self.pipe.node.add_dependency(policy)

        self.dead_letter_queue_alarm: cloudwatch.Alarm | None = None
        """Alarm on any message in the dead-letter queue (None when alarms are off). Shared by
        every pipe of the construct tree that uses the same queue."""
        self.failure_alarm: cloudwatch.Alarm | None = None
        """Alarm on failed pipe executions (None when alarms are off)."""
        if create_alarms:
            self._create_alarms(alarm_action)

        self._guard_stream_readers(stream_arn)

    def _create_alarms(self, action: cloudwatch.IAlarmAction | None) -> None:
        dlq_alarm = _DLQ_ALARMS.get(self.dead_letter_queue)
        if dlq_alarm is None:
            dlq_alarm = cloudwatch.Alarm(
                self,
                "DeadLetterQueueAlarm",
                alarm_description=(
                    "Momento updates failed after every retry and are in the dead-letter queue. "
                    "Each message names a stream shard and sequence range; the records stay in "
                    "the stream for 24 hours."
                ),
                metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=DLQ_ALARM_PERIOD, statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            _DLQ_ALARMS[self.dead_letter_queue] = dlq_alarm
        self.dead_letter_queue_alarm = dlq_alarm
        self.failure_alarm = cloudwatch.Alarm(
            self,
            "FailureAlarm",
            alarm_description="The pipe failed to apply DynamoDB changes to Momento.",
            metric=cloudwatch.Metric(
                namespace=PIPES_METRIC_NAMESPACE,
                metric_name="ExecutionFailed",
                dimensions_map={"PipeName": self.pipe.ref},
                statistic="Sum",
                period=FAILURE_ALARM_PERIOD,
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if action is not None:
            self.failure_alarm.add_alarm_action(action)
            dlq_alarm.add_alarm_action(action)

    def _guard_stream_readers(self, stream_arn: str) -> None:
        """Warn when more than two pipes of one app read the same table stream."""
        # Construct paths are read only when the warning is due: each costs two round trips.
        if is_token(stream_arn):
            readers = _READERS.setdefault(self.table, [])
        else:
            readers = _READERS_BY_ARN.setdefault(self.node.root, {}).setdefault(stream_arn, [])
        readers.append(weakref.ref(self))
        if len(readers) > MAX_READERS_PER_SHARD:
            paths = ", ".join(pipe.node.path for pipe in (ref() for ref in readers) if pipe)
            Annotations.of(self).add_warning_v2(
                READER_WARNING_ID,
                f"{len(readers)} pipes read the stream of table {self.table.node.path} "
                f"({paths}). DynamoDB Streams throttles more than "
                f"{MAX_READERS_PER_SHARD} readers per shard, which delays every pipe on the "
                "stream. Keep at most two pipes per table (e.g. drop the delete pipe and let "
                "evicted items expire by TTL), or, if the delay is acceptable, acknowledge it "
                f"with Annotations.of(pipe).acknowledge_warning('{READER_WARNING_ID}').",
            )


def _check_event_names(
    check: Checker, event_names: Sequence[str] | None, operation: MomentoOperation
) -> frozenset[str]:
    if event_names is None:
        return frozenset(DEFAULT_EVENTS[operation])
    if isinstance(event_names, str) or not isinstance(event_names, Sequence):
        check.fail(
            "event_names", event_names, "must be a list of event names, e.g. ['INSERT', 'MODIFY']"
        )
    if not event_names:
        check.fail("event_names", event_names, "must name at least one event")
    for name in event_names:
        if name not in EVENT_NAMES:
            check.fail(
                "event_names",
                event_names,
                f"{name!r} is not a stream event; use INSERT, MODIFY or REMOVE",
            )
    if len(set(event_names)) != len(event_names):
        check.fail("event_names", event_names, "must not repeat an event name")
    allowed = ALLOWED_EVENTS[operation]
    extra = sorted(set(event_names) - allowed)
    if extra:
        reason = (
            "REMOVE records have no new image to cache; pair a CACHE_DELETE pipe with REMOVE"
            if operation is MomentoOperation.CACHE_SET
            else "CACHE_DELETE evicts removed items only; INSERT and MODIFY belong to CACHE_SET"
        )
        check.fail(
            "event_names",
            event_names,
            f"{operation.name} accepts only {', '.join(sorted(allowed))}: {reason}",
        )
    return frozenset(event_names)


def _seconds(check: Checker, prop: str, duration: Duration | None, default: int) -> int:
    if duration is None:
        return default
    if not isinstance(duration, Duration):
        check.fail(prop, duration, "must be an aws_cdk.Duration")
    seconds = duration.to_seconds(integral=False)
    if is_number_token(seconds):
        check.fail(prop, check.shown("<token>"), "must be a concrete duration, not a token")
    if seconds != int(seconds):
        check.fail(
            prop, check.shown(duration.to_human_string()), "must be a whole number of seconds"
        )
    return int(seconds)


def _check_ttl(
    check: Checker,
    operation: MomentoOperation,
    ttl: Duration | None,
    ttl_attribute: str | None,
    max_ttl: Duration | None,
) -> str | None:
    """The ``ttl_seconds`` query value: a fixed number or a JSON path (CACHE_SET only)."""
    if operation is not MomentoOperation.CACHE_SET:
        for prop, given in (("ttl", ttl), ("ttl_attribute", ttl_attribute), ("max_ttl", max_ttl)):
            if given is not None:
                check.fail(
                    prop,
                    check.shown(_show_duration(given)),
                    f"applies only to CACHE_SET; the destination makes {operation.name}",
                )
        return None
    if ttl is not None and ttl_attribute is not None:
        check.fail(
            "ttl",
            check.shown(_show_duration(ttl)),
            f"ttl and ttl_attribute ({ttl_attribute!r}) are exclusive; give one",
        )
    cap = _seconds(check, "max_ttl", max_ttl, DEFAULT_MAX_TTL_SECONDS)
    if cap < 1:
        check.fail("max_ttl", check.shown(f"{cap} seconds"), "must be at least 1 second")
    if ttl_attribute is not None:
        check.attribute_name("ttl_attribute", ttl_attribute)
        return f"$.dynamodb.NewImage.{ttl_attribute}.N"
    seconds = _seconds(check, "ttl", ttl, DEFAULT_TTL_SECONDS)
    if not 1 <= seconds <= cap:
        check.fail(
            "ttl",
            check.shown(f"{seconds} seconds"),
            f"must be from 1 second to {cap} seconds ("
            + (
                "Momento's 24-hour limit on on-demand caches; raise max_ttl for caches with a "
                "higher limit)"
                if max_ttl is None
                else "max_ttl)"
            ),
        )
    return str(seconds)


def _show_duration(value: object) -> str:
    if isinstance(value, Duration):
        try:
            return value.to_human_string()
        except Exception:  # a token duration has no human form
            return "<token duration>"
    return repr(value)


def _check_key(
    check: Checker,
    facts: TableFacts,
    key_attribute: str | None,
    key_type: dynamodb.AttributeType | None,
    *,
    cache_call: bool,
) -> KeyInfo:
    known = facts.key_attributes
    if key_attribute is None:
        if known is None:
            check.fail(
                "key_attribute",
                None,
                "is required: the table does not expose its key schema (imported table)",
            )
        key_attribute = known[0]
    check.attribute_name("key_attribute", key_attribute)
    if known is not None and key_attribute not in known:
        check.fail(
            "key_attribute",
            key_attribute,
            f"must be a key attribute of the table ({', '.join(known)}); only key "
            "attributes are present on every stream record",
        )
    if cache_call and known is not None and len(known) > 1:
        check.fail(
            "table",
            check.shown(f"key ({', '.join(known)})"),
            "has a sort key, so one attribute alone does not identify an item: items sharing "
            f"{key_attribute!r} would overwrite and evict each other in the cache. Cache a "
            "table whose partition key identifies the item",
        )
    if key_type is not None and not isinstance(key_type, dynamodb.AttributeType):
        check.fail("key_type", key_type, "must be an aws_dynamodb.AttributeType")
    given = ATTRIBUTE_TYPE_CODES[key_type.name] if key_type is not None else None
    schema = facts.key_types.get(key_attribute)
    if given is not None and schema is not None and given != schema:
        check.fail(
            "key_type",
            key_type.name if key_type else None,
            f"the table defines {key_attribute!r} as {schema!r}",
        )
    code = schema or given
    if code is None:
        check.fail(
            "key_type",
            None,
            "is required: the table does not expose its key schema (imported table)",
        )
    if code == "B":
        check.fail(
            "key_type",
            "BINARY",
            "binary keys reach the pipe as standard base64, which is not URL-safe and "
            "cannot be a Momento key; key the cache by a STRING or NUMBER attribute",
        )
    return KeyInfo(key_attribute, code)
