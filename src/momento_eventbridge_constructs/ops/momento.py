"""Momento access for the operating commands: which endpoint and key, and the HTTP calls.

The endpoint and API key come from ``MOMENTO_API_ENDPOINT`` / ``MOMENTO_API_KEY`` when set,
else from the stack: the endpoint its API destinations or HTTP tasks call, and the key in the
Secrets Manager secret its connection reads. The key is sent in the ``Authorization`` header
(https://docs.momentohq.com/cache/develop/api-reference/http-api) and never printed or logged:
no ``repr``, message or log line of this module contains it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from publication import publish

from ..cli.status import CommandError
from ..engine.assembly import AssemblyError, parse_dynamic_references
from ..engine.momento_client import MomentoError
from .aws import AwsAccess
from .definitions import StackDefinitions, lenient_resolver
from .names import StackNames
from .render import MomentoCall

if TYPE_CHECKING:
    from ..engine.momento_client import Subscription

__all__ = ["Momento", "MomentoCallError", "momento_for_stack"]


class MomentoCallError(MomentoError):
    """A call of the commands to Momento that did not succeed, and what to do about it."""

    @property
    def transient(self) -> bool:
        """Worth retrying: no answer, 429 (a limit was exceeded) or a 5xx."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def fatal(self) -> bool:
        """No other call can succeed either: the key is rejected or the cache is missing."""
        return self.status in (401, 403) or (
            self.status == 404 and "Cache Not Found" in self.message
        )


class Momento:
    """Calls the Momento HTTP API at ``endpoint`` with an API key.

    Args:
        endpoint: the base URL, e.g. ``https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com``.
        api_key: the key (kept private).
        timeout: seconds to wait for an answer.
    """

    def __init__(self, endpoint: str, api_key: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.__api_key = api_key
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Momento({self.endpoint!r})"

    def _call(
        self,
        method: str,
        path: str,
        query: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float | None = None,
    ) -> tuple[int, bytes]:
        url = self.endpoint + path + (f"?{query}" if query else "")
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        request.add_header("Authorization", self.__api_key)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as answer:
                return int(answer.status), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError as error:  # refused, reset, timed out, DNS
            raise MomentoCallError(0, str(error)) from None

    def send(self, call: MomentoCall) -> None:
        """Make a rendered call.

        Raises:
            MomentoCallError: the answer was not 2xx, or none came.
        """
        status, body = self._call(call.method, call.path, call.query, call.body, call.headers)
        if not 200 <= status < 300:
            raise MomentoCallError(status, body.decode("utf-8", errors="replace")[:300])

    def get(self, cache: str, key_query: Mapping[str, str]) -> bytes | None:
        """The value under a key (``{"key": ..}`` or ``{"key_base64": ..}``); ``None`` on a miss."""
        path = "/cache/" + quote(cache, safe="")
        status, body = self._call("GET", path, urlencode(key_query, quote_via=quote), None, {})
        if status == 200:
            return body
        text = body.decode("utf-8", errors="replace")[:300]
        if status == 404 and "Cache Not Found" not in text:
            return None  # "Key Not Found"
        raise MomentoCallError(status, text)

    def delete(self, cache: str, key_query: Mapping[str, str]) -> None:
        """Delete a key (succeeds when it is absent)."""
        path = "/cache/" + quote(cache, safe="")
        status, body = self._call("DELETE", path, urlencode(key_query, quote_via=quote), None, {})
        if not 200 <= status < 300:
            raise MomentoCallError(status, body.decode("utf-8", errors="replace")[:300])

    def subscribe(self, cache: str, topic: str, timeout: float) -> Subscription:
        """Subscribe to a topic now (long polls in a background thread)."""
        from ..engine.momento_client import MomentoHttpClient

        client = MomentoHttpClient(self.endpoint, self.__api_key, timeout=self.timeout)
        return client.subscribe(cache, topic, timeout=timeout, poll_wait=5.0)


def momento_for_stack(
    definitions: StackDefinitions,
    names: StackNames,
    aws: AwsAccess,
    environ: Mapping[str, str] | None = None,
) -> Momento:
    """The Momento the stack calls, with the key from the environment or the stack's secret.

    Raises:
        CommandError: when the endpoint or the key cannot be found.
    """
    environ = os.environ if environ is None else environ
    endpoint = environ.get("MOMENTO_API_ENDPOINT") or definitions.endpoint
    if not endpoint:
        raise CommandError(
            "the stack's Momento endpoint cannot be read from its template: set "
            "MOMENTO_API_ENDPOINT"
        )
    key = environ.get("MOMENTO_API_KEY") or _stack_api_key(definitions, names, aws)
    return Momento(endpoint, key)


def _stack_api_key(definitions: StackDefinitions, names: StackNames, aws: AwsAccess) -> str:
    """The API key in the secret the stack's connection reads."""
    stack = definitions.stack
    problems: list[str] = []
    for connection_id in definitions.connection_ids():
        properties = stack.resources[connection_id].get("Properties") or {}
        auth = (properties.get("AuthParameters") or {}).get("ApiKeyAuthParameters") or {}
        if "ApiKeyValue" not in auth:
            continue
        try:
            return _read_secret(auth["ApiKeyValue"], definitions, names, aws)
        except CommandError as error:
            problems.append(str(error))
    detail = "; ".join(problems) or "the stack has no API-key connection"
    raise CommandError(f"cannot read the Momento API key ({detail}): set MOMENTO_API_KEY")


def _read_secret(
    expression: object, definitions: StackDefinitions, names: StackNames, aws: AwsAccess
) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    account = definitions.stack.account or aws.account_id()
    resolver = lenient_resolver(
        definitions.stack,
        refs=names.refs(),
        parameters=names.parameters(),
        account=account,
        region=aws.region,
    )
    try:
        text = resolver.resolve_string(expression, "ApiKeyValue")
    except AssemblyError as error:
        raise CommandError(str(error)) from error
    references = parse_dynamic_references(text)
    if not references:
        raise CommandError("the connection's API key is not a Secrets Manager reference")
    reference = references[0]
    request = {"SecretId": reference.secret_id}
    if reference.version_stage:
        request["VersionStage"] = reference.version_stage
    if reference.version_id:
        request["VersionId"] = reference.version_id
    try:
        value = str(aws.client("secretsmanager").get_secret_value(**request)["SecretString"])
    except (BotoCoreError, ClientError) as error:
        raise CommandError(f"secret {reference.secret_id}: {error}") from None
    if not reference.json_key:
        return value
    try:
        return str(json.loads(value)[reference.json_key])
    except (ValueError, KeyError, TypeError):
        raise CommandError(
            f"secret {reference.secret_id} has no JSON field {reference.json_key}"
        ) from None


publish()
