"""Which constructs read each table stream, kept in the construct tree.

DynamoDB Streams throttles more than two readers per shard (the ``LimitExceededException`` of
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html), so
an app with a third reader on one stream gets a warning. The registry is one construct at the
root of the app; the warning is decided when the app is synthesized, so an acknowledgement made
after the pipes were created counts, wherever the warning's text says it may be made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import jsii
from aws_cdk import Annotations
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct, IConstruct, IValidation

from ._validation import is_token

READER_WARNING_ID = "momento-eventbridge-constructs:StreamReaders"
MAX_READERS_PER_SHARD = 2
REGISTRY_ID = "MomentoEventBridgeConstructsStreamReaders"
PROBE_ID = "MomentoStreamReadersAcknowledgementProbe"
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"  # Validations.ACKNOWLEDGED_RULES_METADATA_KEY


@dataclass
class _Stream:
    """The readers of one stream: by table object (token ARN) or by literal ARN."""

    key: object
    tables: list[dynamodb.ITable] = field(default_factory=list)
    readers: list[Construct] = field(default_factory=list)


class StreamReaders(Construct):
    """The registry (one per app, found with ``try_find_child``); it has no resources."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._streams: list[_Stream] = []
        self._validating = False

    @staticmethod
    def of(scope: Construct) -> StreamReaders:
        """The registry of the app that holds ``scope``."""
        root = scope.node.root
        found = root.node.try_find_child(REGISTRY_ID)
        if isinstance(found, StreamReaders):
            return found
        return StreamReaders(cast(Construct, root), REGISTRY_ID)

    def add(self, reader: Construct, table: dynamodb.ITable, stream_arn: str) -> None:
        """Count ``reader`` on the stream; warn at synth time when it is over the limit."""
        # A token ARN belongs to one table object; a literal one may be imported many times.
        key: object = table if is_token(stream_arn) else stream_arn
        stream = next((s for s in self._streams if s.key is key or s.key == key), None)
        if stream is None:
            stream = _Stream(key)
            self._streams.append(stream)
        if not any(known is table for known in stream.tables):
            stream.tables.append(table)
        stream.readers.append(reader)
        if len(stream.readers) > MAX_READERS_PER_SHARD and not self._validating:
            self._validating = True
            self.node.add_validation(_WarnOverLimit(self))

    def warn_over_limit(self) -> None:
        for stream in self._streams:
            if len(stream.readers) > MAX_READERS_PER_SHARD:
                _warn(stream)


@jsii.implements(IValidation)
class _WarnOverLimit:
    def __init__(self, registry: StreamReaders) -> None:
        self._registry = registry

    def validate(self) -> list[str]:
        self._registry.warn_over_limit()
        return []


def _warn(stream: _Stream) -> None:
    """One warning, on the last reader, unless the table, any reader or an ancestor of one of
    them acknowledged it (``Annotations.acknowledge_warning``)."""
    candidates: list[IConstruct] = [*stream.tables, *stream.readers]
    if any(_acknowledged(scope) for scope in candidates):
        return
    Annotations.of(stream.readers[-1]).add_warning_v2(READER_WARNING_ID, _message(stream))


def _acknowledged(scope: IConstruct) -> bool:
    """Whether the warning is acknowledged on ``scope`` or one of its ancestors.

    CDK keeps acknowledgements private, so this asks CDK itself: a warning added on a new child
    of ``scope`` is suppressed when ``scope`` or an ancestor acknowledged it. A child, because
    aws-cdk-lib releases before the fix of aws/aws-cdk#38820 ignore an acknowledgement on the
    very construct a warning is added to. The child is removed again.
    """
    probe = Construct(cast(Construct, scope), PROBE_ID)
    try:
        Annotations.of(probe).add_warning_v2(READER_WARNING_ID, "acknowledgement probe")
        if not probe.node.metadata:
            return True
    finally:
        scope.node.try_remove_child(PROBE_ID)
    return _acknowledged_as_a_rule(scope)


def _acknowledged_as_a_rule(scope: IConstruct) -> bool:
    """Acknowledged through core ``Validations`` with the id the CDK CLI prints
    (``Annotation::<id>``), which aws-cdk-lib releases before aws/aws-cdk#37765 record as a
    rule acknowledgement only (metadata ``aws:cdk:acknowledged-rules``) without passing it on
    to ``Annotations``."""
    wanted = {READER_WARNING_ID, f"Annotation::{READER_WARNING_ID}"}
    for node in scope.node.scopes:
        for entry in node.node.metadata:
            data = entry.data
            if entry.type == ACKNOWLEDGED_RULES and isinstance(data, dict) and wanted & set(data):
                return True
    return False


def _message(stream: _Stream) -> str:
    readers = stream.readers
    paths = ", ".join(reader.node.path for reader in readers)
    table = stream.tables[0].node.path
    return (
        f"{len(readers)} pipes read the stream of table {table} ({paths}). DynamoDB Streams "
        f"throttles more than {MAX_READERS_PER_SHARD} readers per shard, which delays every pipe "
        "on the stream. Keep at most two pipes per table (e.g. drop the delete pipe and let "
        "evicted items expire by TTL), or, if the delay is "
        "acceptable, acknowledge it on the table, any of its pipes or their stack: "
        f"Annotations.of(table).acknowledge_warning('{READER_WARNING_ID}') (or "
        "Validations.of(table).acknowledge with the id cdk synth prints)."
    )
