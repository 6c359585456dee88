"""Helpers for building and reading synthesized stacks in tests."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
)

ROOT = Path(__file__).resolve().parent.parent
# The public API contract: exactly these names, no more.
PUBLIC_API = frozenset(
    {
        "DynamoToMomentoPipe",
        "DynamoToMomentoSync",
        "MomentoApiDestination",
        "MomentoConnection",
        "MomentoConstructError",
        "MomentoEndpoint",
        "MomentoOperation",
        "MomentoPayload",
        "StartingPosition",
        "LogLevel",
        "StreamEvent",
    }
)
ENV = cdk.Environment(account="123456789012", region="us-west-2")
ENDPOINT = MomentoEndpoint.for_region("us-west-2")

Template = dict[str, Any]


def resources(template: Template, resource_type: str) -> dict[str, Any]:
    """Logical ID -> resource of one type."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only(template: Template, resource_type: str) -> dict[str, Any]:
    """The properties of the single resource of a type."""
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]


def logical_id(template: Template, resource_type: str, path_part: str) -> str:
    """The logical ID of the resource of a type whose construct path contains ``path_part``."""
    matches = [
        lid
        for lid, resource in resources(template, resource_type).items()
        if path_part in resource.get("Metadata", {}).get("aws:cdk:path", "")
    ]
    assert len(matches) == 1, f"{resource_type} under {path_part!r}: {matches}"
    return matches[0]


def warnings(assembly: cdk.cx_api.CloudAssembly, stack_name: str) -> list[tuple[str, str]]:
    """(construct path, text) of every warning annotation of a stack, read from the assembly.

    Read from disk rather than through ``stack.messages``: aws-cdk-lib and
    aws-cdk.cloud-assembly-schema both install ``aws_cdk/cloud_assembly_schema``, and when the
    latter wins, jsii cannot map the message entries back to Python.
    """
    directory = Path(assembly.directory)
    artifact = json.loads((directory / "manifest.json").read_text())["artifacts"][stack_name]
    metadata = dict(artifact.get("metadata", {}))
    if "additionalMetadataFile" in artifact:
        metadata.update(json.loads((directory / artifact["additionalMetadataFile"]).read_text()))
    return [
        (path, str(entry["data"]))
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:warning"
    ]


def weather_table(scope: cdk.Stack, id: str = "Table", **kwargs: Any) -> dynamodb.Table:
    options: dict[str, Any] = {
        "partition_key": dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING),
        "stream": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    }
    options.update(kwargs)
    return dynamodb.Table(scope, id, **options)


def destinations(scope: cdk.Stack) -> dict[MomentoOperation, MomentoApiDestination]:
    secret = secretsmanager.Secret.from_secret_name_v2(scope, "ApiKey", "momento-api-key")
    connection = MomentoConnection(scope, "Connection", api_key_secret=secret)
    return {
        operation: MomentoApiDestination(
            scope,
            operation.name.title().replace("_", ""),
            connection=connection,
            endpoint=ENDPOINT,
            operation=operation,
        )
        for operation in MomentoOperation
    }


def template_of(assembly: cdk.cx_api.CloudAssembly, stack_name: str) -> Template:
    return assembly.get_stack_by_name(stack_name).template  # type: ignore[no-any-return]


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class World:
    """One stack with a weather table, a connection and the three destinations.

    Every prop is validated before a construct creates anything, so the invalid-input tests of a
    module can all build into this one stack, and nothing is synthesized.
    """

    def __init__(self, stack_name: str) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, stack_name, env=ENV)
        self.table = weather_table(self.stack)
        self.destinations = destinations(self.stack)
        self.connection = self.destinations[MomentoOperation.CACHE_SET].connection
        self.ids = (f"C{n}" for n in itertools.count())

    def pipe(
        self, operation: MomentoOperation = MomentoOperation.CACHE_SET, **props: Any
    ) -> DynamoToMomentoPipe:
        options: dict[str, Any] = {
            "table": self.table,
            "destination": self.destinations[operation],
            "cache_name": "cache",
        }
        if operation is MomentoOperation.TOPIC_PUBLISH:
            options["topic_name"] = "topic"
        options.update(props)
        return DynamoToMomentoPipe(self.stack, next(self.ids), **options)

    def destination(self, **props: Any) -> MomentoApiDestination:
        options: dict[str, Any] = {
            "connection": self.connection,
            "endpoint": ENDPOINT,
            "operation": MomentoOperation.CACHE_SET,
        }
        options.update(props)
        return MomentoApiDestination(self.stack, next(self.ids), **options)

    def table_with(self, **props: Any) -> dynamodb.Table:
        return weather_table(self.stack, next(self.ids), **props)


class TextSink:
    """A text stream that keeps what is written (not a terminal): ``.text``."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass
