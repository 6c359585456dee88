"""The API key the connections read from Secrets Manager, locally.

Secrets the stack declares are created in moto (a generated value becomes the Momento API key
the local runtime uses); secrets the connections only reference through
``{{resolve:secretsmanager:...}}`` (imported ones) are created and seeded with that key too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from publication import publish

from ..engine.assembly import AssemblyError, DynamicReference, parse_dynamic_references
from .resources import StackResources

__all__ = ["LocalSecrets"]


def _api_key_expression(connection: Mapping[str, Any]) -> Any:
    properties = connection.get("Properties") or {}
    auth = (properties.get("AuthParameters") or {}).get("ApiKeyAuthParameters")
    return None if not auth else auth.get("ApiKeyValue")


class LocalSecrets:
    """Creates the stack's secrets in local AWS and resolves dynamic references to them.

    Args:
        resources: the stack's local resources (declared secrets are added to them).
        api_key: the value generated secrets and seeded references get.
    """

    def __init__(self, resources: StackResources, api_key: str) -> None:
        self._resources = resources
        self._api_key = api_key
        self._ids: dict[str, str] = {}  # name, ARN or reference -> local ARN

    def create(self) -> None:
        """Create the declared secrets, then the referenced ones that do not exist."""
        self._create_declared()
        for secret_id, fields in self._referenced().items():
            self._seed(secret_id, fields)

    def _create_declared(self) -> None:
        stack = self._resources.stack
        resolver = self._resources.resolver()
        for logical_id, resource in stack.resources_of_type("AWS::SecretsManager::Secret"):
            properties = resolver.resolve(resource.get("Properties") or {})
            name = str(properties.get("Name") or f"{stack.stack_name}-{logical_id}")
            value = properties.get("SecretString")
            if not isinstance(value, str):
                value = self._generated(properties.get("GenerateSecretString") or {})
            arn = self._resources.aws.create_secret(name, value)
            self._resources.add(logical_id, {"Ref": arn, "Id": arn})
            self._ids[arn] = arn
            self._ids[name] = arn

    def _generated(self, generate: Mapping[str, Any]) -> str:
        template = generate.get("SecretStringTemplate")
        key = generate.get("GenerateStringKey")
        if not (template and key):
            return self._api_key
        document = json.loads(template)
        document[key] = self._api_key
        return json.dumps(document)

    def _referenced(self) -> dict[str, set[str]]:
        """Secrets the connections reference but the stack does not declare, with JSON keys."""
        wanted: dict[str, set[str]] = {}
        resolver = self._resources.resolver()
        for _, connection in self._resources.stack.resources_of_type("AWS::Events::Connection"):
            value = _api_key_expression(connection)
            text = None if value is None else resolver.resolve(value)
            if not isinstance(text, str):
                continue
            for reference in parse_dynamic_references(text):
                if reference.secret_id in self._ids:
                    continue
                fields = wanted.setdefault(reference.secret_id, set())
                if reference.json_key:
                    fields.add(reference.json_key)
        return wanted

    def _seed(self, secret_id: str, fields: set[str]) -> None:
        name = secret_id.split(":secret:", 1)[1] if ":secret:" in secret_id else secret_id
        if name in self._ids:
            self._ids[secret_id] = self._ids[name]
            return
        value = (
            json.dumps({field: self._api_key for field in sorted(fields)})
            if fields
            else self._api_key
        )
        arn = self._resources.aws.create_secret(name, value)
        self._ids[secret_id] = arn
        self._ids[name] = arn

    def resolve(self, text: str) -> str:
        """``text`` with every ``{{resolve:secretsmanager:...}}`` replaced by its local value.

        Raises:
            AssemblyError: when a secret or its JSON key does not exist locally.
        """
        for reference in parse_dynamic_references(text):
            text = text.replace(reference.text, self._value(reference))
        return text

    def _value(self, reference: DynamicReference) -> str:
        request: dict[str, str] = {
            "SecretId": self._ids.get(reference.secret_id, reference.secret_id)
        }
        if reference.version_stage:
            request["VersionStage"] = reference.version_stage
        if reference.version_id:
            request["VersionId"] = reference.version_id
        try:
            secret = self._resources.aws.secretsmanager().get_secret_value(**request)
        except ClientError as error:
            raise AssemblyError(
                f"secret {reference.secret_id} is not in local Secrets Manager: {error}"
            ) from error
        value = str(secret["SecretString"])
        if not reference.json_key:
            return value
        try:
            return str(json.loads(value)[reference.json_key])
        except (ValueError, KeyError, TypeError) as error:
            raise AssemblyError(
                f"secret {reference.secret_id} has no JSON field {reference.json_key}"
            ) from error


publish()
