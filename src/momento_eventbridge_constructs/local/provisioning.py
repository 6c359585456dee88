"""The resources of a stack template created in local AWS, and removed again."""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from publication import publish

from ..engine.assembly import AssemblyError, StackTemplate
from .aws_clients import LocalClients

__all__ = ["Provisioner"]

_LOG = logging.getLogger(__name__)


def _physical_name(stack: StackTemplate, logical_id: str, limit: int) -> str:
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    base = f"{stack.stack_name}-{logical_id}"[: limit - len(suffix) - 1]
    return f"{base}-{suffix}"


class Provisioner:
    """Creates tables, queues and secrets through ``clients`` and deletes them on cleanup."""

    def __init__(self, clients: LocalClients) -> None:
        self._clients = clients
        self.region = clients.region
        self.account_id = clients.account_id
        self._created_tables: list[str] = []
        self._created_queues: list[str] = []
        self._created_secrets: list[str] = []

    def cleanup(self) -> None:
        """Delete what this instance created."""
        dynamodb = self._clients.client("dynamodb")
        for table in self._created_tables:
            try:
                dynamodb.delete_table(TableName=table)
            except ClientError as error:
                _LOG.debug("could not delete table %s: %s", table, error)
        sqs = self._clients.client("sqs")
        for url in self._created_queues:
            try:
                sqs.delete_queue(QueueUrl=url)
            except ClientError as error:
                _LOG.debug("could not delete queue %s: %s", url, error)
        manager = self._clients.client("secretsmanager")
        for arn in self._created_secrets:
            try:
                manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
            except ClientError as error:
                _LOG.debug("could not delete secret %s: %s", arn, error)

    # -- moto-specific behaviour --------------------------------------------------------------

    def forget_iterator(self, iterator: str) -> None:
        """Drop a used shard iterator: moto keeps every one forever, so memory would grow."""
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends

            backend = dynamodbstreams_backends[self.account_id][self.region]
            backend.shard_iterators.pop(iterator, None)
        except Exception:  # pragma: no cover - moto internals changed: only memory is at stake
            pass

    def newest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The sequence number of the newest record of a shard, read from moto's memory
        (GetRecords would serialize the whole shard to find it, about 1.6 ms a record).

        Returns:
            ``None`` when the shard is empty or moto's internals are not the expected ones
            (read the stream instead).
        """
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends

            backend = dynamodbstreams_backends[self.account_id][self.region]
            shard: Any = backend._get_table_from_arn(stream_arn).stream_shard
            if shard is None or shard.id != shard_id or not shard.items:
                return None
            return str(shard.items[-1].record["dynamodb"]["SequenceNumber"])
        except Exception:  # moto internals changed: the caller reads the stream
            return None

    def record_changes_only(self, table_name: str) -> bool:
        """Make moto skip the stream record of a write that changes nothing, as DynamoDB does.

        "If you perform a PutItem or UpdateItem operation that does not change any data in an
        item, DynamoDB Streams does not write a stream record for that operation."
        (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). moto
        writes one for every write. This wraps the ``add`` of the table's moto stream shard
        (this one object only) to compare the old and new item first, with moto's own item
        equality (numbers by value, sets unordered). A stream shard moto creates later (a
        stream re-enabled by UpdateTable) is not wrapped.

        Returns:
            ``False`` when moto's internals are not the expected ones (nothing is changed).
        """
        try:
            from moto.dynamodb.models import dynamodb_backends

            table = dynamodb_backends[self.account_id][self.region].get_table(table_name)
            shard: Any = table.stream_shard
            if shard is None:
                return True  # no stream, no records
            record_write = shard.add
        except Exception:  # moto internals changed
            return False

        def add_if_changed(old: Any, new: Any) -> None:
            try:
                unchanged = old is not None and new is not None and bool(old == new)
            except Exception:  # an item moto cannot compare: keep the record
                unchanged = False
            if not unchanged:
                record_write(old, new)

        shard.add = add_if_changed
        return True

    # -- provisioning ----------------------------------------------------------------------

    def create_table(
        self, stack: StackTemplate, logical_id: str, properties: Mapping[str, Any]
    ) -> dict[str, str]:
        """Create an ``AWS::DynamoDB::Table`` or ``::GlobalTable``; return its attributes."""
        name = properties.get("TableName")
        if not isinstance(name, str):
            name = _physical_name(stack, logical_id, 255)
        key_schema = properties.get("KeySchema")
        definitions = properties.get("AttributeDefinitions")
        if not key_schema or not definitions:
            raise AssemblyError(f"table {logical_id} needs KeySchema and AttributeDefinitions")
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": key_schema,
            "AttributeDefinitions": definitions,
            "BillingMode": "PAY_PER_REQUEST",
        }
        indexes = []
        for index in properties.get("GlobalSecondaryIndexes") or []:
            clean = {
                k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")
            }
            indexes.append(clean)
        if indexes:
            request["GlobalSecondaryIndexes"] = indexes
        local_indexes = [
            {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            for index in properties.get("LocalSecondaryIndexes") or []
        ]
        if local_indexes:
            request["LocalSecondaryIndexes"] = local_indexes
        stream = properties.get("StreamSpecification") or {}
        view_type = stream.get("StreamViewType")
        if view_type:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
        client = self._clients.dynamodb()
        client.create_table(**request)
        self._created_tables.append(name)
        description = client.describe_table(TableName=name)["Table"]
        attributes = {"Ref": name, "Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
            if not self.record_changes_only(name):
                _LOG.warning(
                    "table %s: this moto version records writes that change nothing; the "
                    "pipes drop MODIFY records whose old and new images are equal instead",
                    logical_id,
                )
        return attributes

    def create_queue(
        self, stack: StackTemplate, logical_id: str, properties: Mapping[str, Any]
    ) -> dict[str, str]:
        """Create an ``AWS::SQS::Queue``; return its attributes (``Ref`` is the URL)."""
        fifo = bool(properties.get("FifoQueue"))
        name = properties.get("QueueName")
        if not isinstance(name, str):
            name = _physical_name(stack, logical_id, 75 if fifo else 80)
            if fifo:
                name += ".fifo"
        client = self._clients.sqs()
        if fifo:
            url = client.create_queue(
                QueueName=name,
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
            )["QueueUrl"]
        else:
            url = client.create_queue(QueueName=name)["QueueUrl"]
        self._created_queues.append(url)
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}

    def create_secret(self, name: str, value: str) -> str:
        """Create a secret; return its ARN."""
        arn = self._clients.secretsmanager().create_secret(Name=name, SecretString=value)["ARN"]
        self._created_secrets.append(arn)
        return arn


publish()
