"""Local AWS: a moto server on 127.0.0.1 and the resources a stack template declares.

moto keeps its state in process-wide backends, so every :class:`LocalAws` uses its own
account ID (sent as moto's ``x-moto-account-id`` header by every client it makes) and deletes
what it created when it stops. Two runtimes in one process therefore do not see each other's
tables, queues or secrets.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import string
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .assembly import AssemblyError, StackTemplate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_sqs.client import SQSClient

__all__ = ["DEFAULT_ACCOUNT", "LocalAws", "secret_calls"]

DEFAULT_ACCOUNT = "123456789012"
_LOG = logging.getLogger(__name__)
# boto3's debug logs print request and response bodies, secret values included.
_SDK_LOGGERS = tuple(logging.getLogger(name) for name in ("botocore", "boto3", "urllib3"))
_SECRET_CALLS_LOCK = threading.Lock()  # one save-and-restore of the levels at a time


@contextlib.contextmanager
def secret_calls() -> Iterator[None]:
    """Keep SDK debug logging quiet while secret values cross the wire.

    Secrets are created and read when a runtime starts, before its workers run, so raising
    the SDK loggers' level for the duration of those calls hides nothing else.
    """
    with _SECRET_CALLS_LOCK:
        saved = [logger.level for logger in _SDK_LOGGERS]
        for logger in _SDK_LOGGERS:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
        try:
            yield
        finally:
            for logger, level in zip(_SDK_LOGGERS, saved, strict=True):
                logger.setLevel(level)


def random_account_id() -> str:
    """A random 12-digit account ID (never the moto default)."""
    return "4" + "".join(secrets.choice(string.digits) for _ in range(11))


def _physical_name(stack: StackTemplate, logical_id: str, limit: int) -> str:
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    base = f"{stack.stack_name}-{logical_id}"[: limit - len(suffix) - 1]
    return f"{base}-{suffix}"


def _moto_server_class() -> Any:
    """moto's threaded server, polling for shutdown every 50 ms instead of 500 ms.

    Falls back to moto's own class when its internals are not the ones this relies on.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import ThreadedMotoServer

    if not callable(getattr(ThreadedMotoServer, "_server_entry", None)):
        return ThreadedMotoServer

    class QuietRequestHandler(MotoRequestHandler):
        """Logs no line per request (werkzeug's handler logs each one at INFO)."""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    class FastStopMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )
            from werkzeug.serving import make_server

            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=QuietRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=0.05)

    return FastStopMotoServer


class LocalAws:
    """A moto server plus boto3 clients bound to it.

    Args:
        region: the local region.
        account_id: the local account (random when omitted).
    """

    def __init__(self, region: str = "us-east-1", account_id: str | None = None) -> None:
        self.region = region
        self.account_id = account_id or random_account_id()
        self._server: Any = None
        self.endpoint = ""
        self._created_tables: list[str] = []
        self._created_queues: list[str] = []
        self._created_secrets: list[str] = []
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self._session: boto3.session.Session | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalAws:
        """Start moto on a free port of 127.0.0.1."""
        if self._server is not None:
            return self
        try:
            server_class = _moto_server_class()
        except ImportError as error:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the local runtime needs moto: pip install 'momento-eventbridge-constructs[local]'"
            ) from error
        server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Delete what this instance created, then stop moto."""
        if self._server is None:
            return
        try:
            self._cleanup()
        finally:
            server, self._server = self._server, None
            server.stop()
            with self._clients_lock:
                for client in self._clients.values():
                    client.close()
                self._clients.clear()

    def _cleanup(self) -> None:
        dynamodb = self.client("dynamodb")
        for table in self._created_tables:
            try:
                dynamodb.delete_table(TableName=table)
            except ClientError as error:
                _LOG.debug("could not delete table %s: %s", table, error)
        sqs = self.client("sqs")
        for url in self._created_queues:
            try:
                sqs.delete_queue(QueueUrl=url)
            except ClientError as error:
                _LOG.debug("could not delete queue %s: %s", url, error)
        manager = self.client("secretsmanager")
        for arn in self._created_secrets:
            try:
                manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
            except ClientError as error:
                _LOG.debug("could not delete secret %s: %s", arn, error)

    # -- clients ---------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to the local server and account (cached)."""
        if self._server is None:
            raise RuntimeError("local AWS is not running")
        with self._clients_lock:
            cached = self._clients.get(service)
            if cached is None:
                cached = self._clients[service] = self._new_client(service)
            return cached

    def _new_client(self, service: str) -> Any:
        """Called with the clients' lock held."""
        if self._session is None:  # one per instance: its clients share botocore's loader
            self._session = boto3.session.Session(
                aws_access_key_id="local", aws_secret_access_key="local"
            )
        client = self._session.client(  # type: ignore[call-overload]
            service,
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        account = self.account_id

        def add_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-send", add_account)
        return client

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client."""
        client: DynamoDBClient = self.client("dynamodb")
        return client

    def streams(self) -> DynamoDBStreamsClient:
        """A DynamoDB Streams client."""
        client: DynamoDBStreamsClient = self.client("dynamodbstreams")
        return client

    def sqs(self) -> SQSClient:
        """An SQS client."""
        client: SQSClient = self.client("sqs")
        return client

    def secretsmanager(self) -> SecretsManagerClient:
        """A Secrets Manager client."""
        client: SecretsManagerClient = self.client("secretsmanager")
        return client

    # -- moto-specific behaviour --------------------------------------------------------------

    def forget_iterator(self, iterator: str) -> None:
        """Drop a used shard iterator: moto keeps every one forever, so memory would grow."""
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends

            backend = dynamodbstreams_backends[self.account_id][self.region]
            backend.shard_iterators.pop(iterator, None)
        except Exception:  # pragma: no cover - moto internals changed: only memory is at stake
            pass

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
        client = self.dynamodb()
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
        client = self.sqs()
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
        with secret_calls():
            arn = self.secretsmanager().create_secret(Name=name, SecretString=value)["ARN"]
        self._created_secrets.append(arn)
        return arn
