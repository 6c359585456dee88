"""AWS access for the operating commands, through boto3's standard configuration.

boto3 is imported on first use, so ``--help`` works without it. Credentials, region and
endpoint come from the usual places (``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``,
config files, instance roles):
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/configuration.html.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from publication import publish

from ..cli.status import INSTALL_HINT, CommandError

__all__ = ["AwsAccess", "aws_error_code"]


def aws_error_code(error: BaseException) -> str:
    """The service error code of a botocore ``ClientError`` (empty for anything else)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code", ""))
    return ""


class AwsAccess:
    """One boto3 session and a cache of its clients (clients are thread-safe, sessions not).

    Args:
        session: a ``boto3.session.Session``; default: a new one from the standard
            configuration.
    """

    def __init__(self, session: Any = None) -> None:
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _boto3_session(self) -> Any:
        if self._session is None:
            try:
                import boto3
            except ImportError as error:
                raise CommandError(f"this command needs boto3: {INSTALL_HINT}") from error
            self._session = boto3.session.Session()
        return self._session

    def client(self, service: str) -> Any:
        """A client for ``service`` (cached), retrying throttles in boto3's standard mode."""
        with self._lock:
            cached = self._clients.get(service)
            if cached is not None:
                return cached
            from botocore.config import Config

            config = Config(retries={"max_attempts": 5, "mode": "standard"})
            cached = self._boto3_session().client(service, region_name=self.region, config=config)
            self._clients[service] = cached
            return cached

    @property
    def region(self) -> str:
        """The configured region: boto3's (``AWS_DEFAULT_REGION``, the profile), else
        ``AWS_REGION``, the SDKs' standard variable
        (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html), which the
        botocore this was written against does not read for the region."""
        region = self._boto3_session().region_name or os.environ.get("AWS_REGION")
        if not region:
            raise CommandError(
                "no AWS region is configured: set AWS_REGION (or AWS_DEFAULT_REGION) or a "
                "region in the AWS_PROFILE"
            )
        return str(region)

    def account_id(self) -> str:
        """The account of the credentials (STS GetCallerIdentity)."""
        return str(self.client("sts").get_caller_identity()["Account"])


publish()
