"""boto3 clients bound to a local moto server and to one account of it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from publication import publish

from .secret_redaction import redact_secret_values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_sqs.client import SQSClient

__all__ = ["LocalClients"]


class LocalClients:
    """Cached clients for ``endpoint``; every request carries ``account_id`` for moto."""

    def __init__(self, region: str, account_id: str, endpoint: str) -> None:
        self.region = region
        self.account_id = account_id
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._session: boto3.session.Session | None = None

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` bound to the local server and account (cached)."""
        with self._lock:
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
        if service == "secretsmanager":
            redact_secret_values(client.meta.events)
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


publish()
