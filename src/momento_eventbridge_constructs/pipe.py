"""The pipe from a DynamoDB table stream to one Momento call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_pipes as pipes
from constructs import Construct
from publication import publish

from ._destination_rules import invoke_statement
from ._pipe_base import PipeBackedConstruct
from ._pipe_config import PipeConfig, PipeProps, validate
from ._reader_options import ReaderOptions, given
from ._readers import READER_WARNING_ID
from ._validation import Checker
from .api_destination import IMomentoApiDestination
from .enums import StreamEvent
from .operation import MomentoOperation

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["READER_WARNING_ID", "DynamoToMomentoPipe"]


class DynamoToMomentoPipe(PipeBackedConstruct):
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

    Args:
        destination: the Momento call to make. Required.
        key_attribute: the attribute whose value is the Momento key (cache calls and
            ``MomentoPayload.from_attributes`` only; checked and unused on a publish whose
            body does not read the key). Must be a key attribute. Default: the table's
            partition key (known to CDK, or stated with ``partition_key``).
        key_type: the key attribute's type, ``STRING`` or ``NUMBER``; when given, it must
            match the table's schema. Default: from the table's schema. ``BINARY`` keys
            are rejected: stream records carry them as standard base64, which is not
            URL-safe.
        event_names: the stream events the pipe lets through (``StreamEvent`` members or
            their strings). Default: ``INSERT`` and
            ``MODIFY`` for ``CACHE_SET``, ``REMOVE`` for ``CACHE_DELETE``, all three for
            ``TOPIC_PUBLISH``.

    Keyword Args:
        table (dynamodb.ITable): the source table; it must have a stream. Required.
        partition_key (dynamodb.Attribute): the partition key (name and type) of an imported table,
            as on ``dynamodb.Table``; the key rules then apply as for a table CDK knows. Default:
            none, which is right for a table defined in the app (CDK knows its schema; a stated one
            must match it). Required for an imported table (``Table.from_table_attributes``)
            whenever the pipe reads the key: cache calls and ``MomentoPayload.from_attributes``.
        sort_key (dynamodb.Attribute): the sort key of an imported table, when it has one (a cache
            call on it is then rejected: one attribute does not identify an item). Default: none (no
            sort key, or the table's own schema); needs ``partition_key``.
        cache_name (str): the Momento cache (for topics: the cache that holds the topic). Required;
            URL-safe characters only.
        topic_name (str): the Momento topic. Required for ``TOPIC_PUBLISH``, rejected otherwise.
        value (MomentoPayload): the body of ``CACHE_SET`` and ``TOPIC_PUBLISH``. Default:
            ``MomentoPayload.new_image()`` for ``CACHE_SET``, ``MomentoPayload.change_notice()`` for
            ``TOPIC_PUBLISH``. ``CACHE_DELETE`` has no body, so a value is rejected there.
        ttl (Duration): a fixed time to live for cached items (``CACHE_SET`` only), 1 second to
            ``max_ttl``. Default: 1 hour when ``ttl_attribute`` is not given either.
        ttl_attribute (str): a numeric attribute of the new image that holds the time to live in
            *relative seconds* (``CACHE_SET`` only; exclusive with ``ttl``). A pipe sends it as it
            is (templates have no arithmetic): an item without it, or with a value Momento rejects
            (0, negative, over the cache's limit), fails and goes to the dead-letter queue.
            ``DynamoToMomentoSync`` cuts it to ``max_ttl`` and falls back to ``max_ttl`` instead,
            and also reads DynamoDB's epoch TTL. Default: none.
        max_ttl (Duration): the largest ``ttl`` accepted. Default: 24 hours, Momento's limit for
            on-demand caches; raise it only for caches with a higher limit. Rejected with
            ``ttl_attribute``, where a pipe could not apply it.
        dead_letter_queue (sqs.IQueue): where records go after the last retry. Default: a queue
            created with SQS-managed encryption, HTTPS-only access and 14-day retention. A given
            queue is granted ``sqs:SendMessage`` (and KMS use for a customer key).
        max_retry_attempts (int): retries of a failed call before the record goes to the dead-letter
            queue (0-10000). Default: 5.
        max_record_age (Duration): records older than this go to the dead-letter queue unprocessed
            (1 minute to 24 hours, the stream's retention). Default: 1 hour.
        starting_position (StartingPosition | str): where a new pipe starts reading, a
            ``StartingPosition`` (or its string). Default: ``LATEST``. Changing it replaces the
            pipe.
        log_level (LogLevel | str): a ``LogLevel`` (or its string): ``OFF``, ``ERROR``, ``INFO`` or
            ``TRACE``. Default: ``ERROR``.
        include_execution_data (bool): log payloads and requests unredacted (they contain item
            data). Default: False.
        log_group (logs.ILogGroup): where the pipe logs. Default: a log group created with
            ``log_retention``; none when ``log_level`` is ``OFF``.
        log_retention (logs.RetentionDays): retention of the created log group. Default: one month.
        role (iam.IRole): the role the pipe assumes, any ``iam.IRole`` (imported ones included); a
            policy with exactly what the pipe needs is attached to it. An immutable role
            (``mutable=False``, ``without_policy_updates()``) is used as given, with no policy:
            grant it what the API page (docs/api.md) lists. Default: a role trusted by
            ``pipes.amazonaws.com`` for pipes of this account and region.
        pipe_name (str): the pipe's physical name (1-64 of ``[.-_A-Za-z0-9]``). Default: generated
            by CloudFormation.
        description (str): the pipe's description. Default: names the Momento call and cache.
        create_alarms (bool): create alarms on dead-letter queue messages and failed executions.
            Default: True.
        alarm_action (cloudwatch.IAlarmAction): an action (e.g. ``SnsAction``) for both alarms.
            Default: none. Constructs sharing a dead-letter queue share its alarm: each action is
            listed once, and at most 5 different ones fit (CloudWatch's limit per alarm state).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        destination: IMomentoApiDestination,
        key_attribute: str | None = None,
        key_type: dynamodb.AttributeType | None = None,
        event_names: Sequence[StreamEvent | str] | None = None,
        **options: Unpack[ReaderOptions],
    ) -> None:
        config = validate(given(PipeProps, locals()), Checker(f"DynamoToMomentoPipe {id!r}"))
        super().__init__(scope, id)
        self._expose(config)
        self._build_delivery(config.delivery)
        self._bind_role(config.delivery, invoke_statement(config.destination, "InvokeMomento"))
        self._build_pipe(config)
        self._finish(config.delivery, [])

    def _expose(self, config: PipeConfig) -> None:
        self.destination: IMomentoApiDestination = config.destination
        """The API destination the pipe calls."""
        self.operation: MomentoOperation = config.operation
        """The Momento call the pipe makes."""
        self.cache_name: str = config.cache_name
        """The Momento cache."""
        self.topic_name: str | None = config.topic_name
        """The Momento topic (``TOPIC_PUBLISH`` only)."""
        self.event_names: tuple[str, ...] = config.events
        """The stream events the pipe lets through."""
        self.input_template: str | None = config.input_template
        """The rendered body template (None for ``CACHE_DELETE``)."""
        self.key_attribute: str | None = config.key.attribute if config.key else None
        """The attribute whose value is the Momento key (None when unused)."""

    def _build_pipe(self, config: PipeConfig) -> None:
        pattern = '{"eventName":[' + ",".join(f'"{e}"' for e in config.events) + "]}"
        self._create_pipe(
            config.delivery,
            target=config.destination.api_destination_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=config.input_template,
                http_parameters=pipes.CfnPipe.PipeTargetHttpParametersProperty(
                    path_parameter_values=config.path_values,
                    query_string_parameters=dict(config.query) or None,
                    header_parameters=config.headers,
                ),
            ),
            description=config.description,
            filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                filters=[pipes.CfnPipe.FilterProperty(pattern=pattern)]
            ),
        )


publish()
