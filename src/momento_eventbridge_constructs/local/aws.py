"""Local AWS: a moto server on 127.0.0.1 and the resources a stack template declares.

moto keeps its state in process-wide backends, so every :class:`LocalAws` uses its own
account ID (sent as moto's ``x-moto-account-id`` header by every client it makes) and deletes
what it created when it stops. Two runtimes in one process therefore do not see each other's
tables, queues or secrets.

The three concerns live in their own modules: :mod:`.moto_server` (the server's lifecycle),
:mod:`.aws_clients` (clients bound to it and to the account) and :mod:`.provisioning` (the
template's resources); :class:`LocalAws` puts them together.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from publication import publish

from .aws_clients import LocalClients
from .moto_server import DEFAULT_ACCOUNT, MotoServer
from .provisioning import Provisioner

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_sqs.client import SQSClient

    from ..engine.assembly import StackTemplate

__all__ = ["DEFAULT_ACCOUNT", "LocalAws"]


def random_account_id() -> str:
    """A random 12-digit account ID (never the moto default)."""
    return "4" + "".join(secrets.choice(string.digits) for _ in range(11))


class LocalAws:
    """A moto server plus boto3 clients bound to it, and the resources created in it.

    Args:
        region: the local region.
        account_id: the local account (random when omitted).
    """

    def __init__(self, region: str = "us-east-1", account_id: str | None = None) -> None:
        self.region = region
        self.account_id = account_id or random_account_id()
        self._server = MotoServer()
        self._clients: LocalClients | None = None
        self._provisioner: Provisioner | None = None

    @property
    def endpoint(self) -> str:
        """The server's URL while it runs, else ``""``."""
        return self._server.endpoint

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalAws:
        """Start moto on a free port of 127.0.0.1."""
        if self._server.running:
            return self
        self._server.start()
        self._clients = LocalClients(self.region, self.account_id, self._server.endpoint)
        self._provisioner = Provisioner(self._clients)
        return self

    def stop(self) -> None:
        """Delete what this instance created, then stop moto."""
        clients, provisioner = self._clients, self._provisioner
        if clients is None or provisioner is None:
            return
        try:
            provisioner.cleanup()
        finally:
            self._clients = self._provisioner = None
            self._server.stop()
            clients.close()

    def _running(self) -> tuple[LocalClients, Provisioner]:
        if self._clients is None or self._provisioner is None:
            raise RuntimeError("local AWS is not running")
        return self._clients, self._provisioner

    # -- clients ---------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to the local server and account (cached)."""
        return self._running()[0].client(service)

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client."""
        return self._running()[0].dynamodb()

    def streams(self) -> DynamoDBStreamsClient:
        """A DynamoDB Streams client."""
        return self._running()[0].streams()

    def sqs(self) -> SQSClient:
        """An SQS client."""
        return self._running()[0].sqs()

    def secretsmanager(self) -> SecretsManagerClient:
        """A Secrets Manager client."""
        return self._running()[0].secretsmanager()

    # -- moto-specific behaviour and provisioning ---------------------------------------------

    def forget_iterator(self, iterator: str) -> None:
        """Drop a used shard iterator (see :meth:`.Provisioner.forget_iterator`)."""
        self._running()[1].forget_iterator(iterator)

    def newest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """See :meth:`.Provisioner.newest_sequence`."""
        return self._running()[1].newest_sequence(stream_arn, shard_id)

    def record_changes_only(self, table_name: str) -> bool:
        """See :meth:`.Provisioner.record_changes_only`."""
        return self._running()[1].record_changes_only(table_name)

    def create_table(
        self, stack: StackTemplate, logical_id: str, properties: Mapping[str, Any]
    ) -> dict[str, str]:
        """Create an ``AWS::DynamoDB::Table`` or ``::GlobalTable``; return its attributes."""
        return self._running()[1].create_table(stack, logical_id, properties)

    def create_queue(
        self, stack: StackTemplate, logical_id: str, properties: Mapping[str, Any]
    ) -> dict[str, str]:
        """Create an ``AWS::SQS::Queue``; return its attributes (``Ref`` is the URL)."""
        return self._running()[1].create_queue(stack, logical_id, properties)

    def create_secret(self, name: str, value: str) -> str:
        """Create a secret; return its ARN."""
        return self._running()[1].create_secret(name, value)


publish()
