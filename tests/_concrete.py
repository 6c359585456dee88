"""A synthesized template's intrinsics resolved to values of the shape AWS gives them.

The outside checkers read documents, not CloudFormation: a state machine's ``DefinitionString``
is an ``Fn::Join`` of text and ``Ref``/``Fn::GetAtt``. :func:`definitions` resolves each with the
local runtime's :class:`~momento_eventbridge_constructs.engine.assembly.Resolver`, fed with
deployed-looking values for the resource types a definition names. Any other ``Ref`` or
attribute fails loudly, so a new reference in a definition cannot slip through unresolved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk

from momento_eventbridge_constructs.engine.assembly import Resolver, StackTemplate

# The stacks' environment (tests/_support.py ENV).
ACCOUNT = "123456789012"
REGION = "us-west-2"


def _physical_name(stack: str, logical_id: str) -> str:
    """CloudFormation's generated names look like ``<stack>-<logical id>-<suffix>``."""
    return f"{stack}-{logical_id}-1A2B3C4D5E6F"[:80]


def _attributes(stack: str, logical_id: str, resource_type: str) -> dict[str, str]:
    name = _physical_name(stack, logical_id)
    if resource_type == "AWS::Events::Connection":
        # arn:aws:events:<region>:<account>:connection/<name>/<unique id>, the format the
        # MediaConvert API states for an EventBridge connection (https://docs.aws.amazon.com/
        # sdk-for-kotlin/api/latest/mediaconvert/aws.sdk.kotlin.services.mediaconvert.model/
        # -input-tams-settings/auth-connection-arn.html). No checker reads it.
        unique_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        arn = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/{name}/{unique_id}"
        return {"Ref": name, "Arn": arn, "Name": name}
    if resource_type == "AWS::SQS::Queue":
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
        return {
            "Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
            "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "QueueName": name,
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
        }
    if resource_type == "AWS::DynamoDB::Table":
        return {"Ref": name, "Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"}
    return {}


class _Deployed(Mapping[str, Mapping[str, str]]):
    """Logical ID -> attributes, for the resource types above (nothing for the others)."""

    def __init__(self, stack: StackTemplate) -> None:
        self._stack = stack

    def __getitem__(self, logical_id: str) -> Mapping[str, str]:
        resource = self._stack.resources.get(logical_id)
        if resource is None:
            raise KeyError(logical_id)
        return _attributes(self._stack.stack_name, logical_id, str(resource.get("Type")))

    def __iter__(self) -> Iterator[str]:
        return iter(self._stack.resources)

    def __len__(self) -> int:
        return len(self._stack.resources)


def resolver(stack_name: str, template: Mapping[str, Any]) -> Resolver:
    """A resolver of ``template``'s intrinsics to deployed-looking values."""
    stack = StackTemplate(stack_name, stack_name, template, REGION, ACCOUNT)
    return Resolver(stack, ACCOUNT, REGION, _Deployed(stack))


def definitions(assembly: cdk.cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """``"<stack>/<logical id>"`` -> the parsed definition of every state machine."""
    found: dict[str, dict[str, Any]] = {}
    for artifact in assembly.stacks:
        template = artifact.template
        resolve = resolver(artifact.stack_name, template)
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") != "AWS::StepFunctions::StateMachine":
                continue
            properties = resource["Properties"]
            text = resolve.resolve_string(properties["DefinitionString"], logical_id)
            found[f"{artifact.stack_name}/{logical_id}"] = json.loads(text)
    return found
