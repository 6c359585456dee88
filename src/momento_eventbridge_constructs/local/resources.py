"""The resources of a stack as they exist locally, and their attributes (``Ref``, ``Arn``, ...).

Tables and queues are created in moto. Connections, API destinations, state machines, pipes,
roles, log groups and keys are not moto resources: they only get the attributes other
resources reference, ARNs in the formats of the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html:
``list_amazoneventbridge``, ``list_awsstepfunctions``, ``list_amazoneventbridgepipes``,
``list_awsidentityandaccessmanagementiam``, ``list_amazoncloudwatchlogs``,
``list_awskeymanagementservice``, ``list_awssecretsmanager``), with a ``local-`` marker where
AWS puts a generated ID.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from publication import publish

from .._aws_names import TABLE_TYPES
from ..engine.assembly import AssemblyError, Resolver, StackTemplate
from .aws import LocalAws

__all__ = ["StackResources"]


class StackResources:
    """The local attributes of what one stack declares.

    Args:
        stack: the stack template.
        aws: the local AWS the tables and queues are created in.
        parameters: values for template parameters without a usable ``Default``.
    """

    def __init__(self, stack: StackTemplate, aws: LocalAws, parameters: Mapping[str, str]) -> None:
        self.stack = stack
        self.aws = aws
        self._parameters = dict(parameters)
        self.attributes: dict[str, dict[str, str]] = {}

    def resolver(self) -> Resolver:
        """A resolver of intrinsics against the attributes known so far."""
        return Resolver(
            self.stack, self.aws.account_id, self.aws.region, self.attributes, self._parameters
        )

    def add(self, logical_id: str, attributes: Mapping[str, str]) -> None:
        """Record the attributes of a resource created outside this class (secrets)."""
        self.attributes[logical_id] = dict(attributes)

    def create_tables_and_queues(self) -> None:
        """Create every table and queue of the stack in local AWS."""
        for logical_id, resource in self.stack.resources_of_type(*TABLE_TYPES):
            properties = self.resolver().resolve(resource.get("Properties") or {})
            self.attributes[logical_id] = self.aws.create_table(self.stack, logical_id, properties)
        for logical_id, resource in self.stack.resources_of_type("AWS::SQS::Queue"):
            properties = self.resolver().resolve(resource.get("Properties") or {})
            self.attributes[logical_id] = self.aws.create_queue(self.stack, logical_id, properties)

    def register_events_resources(self) -> None:
        """Give connections, API destinations, state machines, pipes, roles, log groups and
        keys their ``Ref`` and ``Arn`` (and the other attributes policies name)."""
        region, account = self.aws.region, self.aws.account_id
        for kind, resource_type in (
            ("connection", "AWS::Events::Connection"),
            ("api-destination", "AWS::Events::ApiDestination"),
        ):
            for logical_id, resource in self.stack.resources_of_type(resource_type):
                name = str((resource.get("Properties") or {}).get("Name") or logical_id)
                events = f"arn:aws:events:{region}:{account}"
                # EventBridge returns <kind>/<name>/<id>; ArnForPolicy is <kind>/<name>.
                self.attributes[logical_id] = {
                    "Ref": name,
                    "Arn": f"{events}:{kind}/{name}/local-{logical_id}",
                    "ArnForPolicy": f"{events}:{kind}/{name}",
                }
                if kind == "connection":
                    # EventBridge's own copy of the key: a secret named events!connection/...
                    self.attributes[logical_id]["SecretArn"] = (
                        f"arn:aws:secretsmanager:{region}:{account}:secret:"
                        f"events!connection/{name}/local-{logical_id}"
                    )
        for logical_id, resource in self.stack.resources_of_type(
            "AWS::StepFunctions::StateMachine"
        ):
            machine_name = (resource.get("Properties") or {}).get("StateMachineName")
            if not isinstance(machine_name, str):
                machine_name = f"{self.stack.stack_name}-{logical_id}"[:80]
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine_name}"
            self.attributes[logical_id] = {"Ref": arn, "Arn": arn, "Name": machine_name}
        for logical_id, resource in self.stack.resources_of_type("AWS::Pipes::Pipe"):
            pipe_name = (resource.get("Properties") or {}).get("Name")
            if not isinstance(pipe_name, str):
                pipe_name = f"{self.stack.stack_name}-{logical_id}"[:64]
            arn = f"arn:aws:pipes:{region}:{account}:pipe/{pipe_name}"
            self.attributes[logical_id] = {"Ref": pipe_name, "Arn": arn}
        self._register_roles_logs_and_keys()

    def _register_roles_logs_and_keys(self) -> None:
        region, account = self.aws.region, self.aws.account_id
        for logical_id, resource in self.stack.resources_of_type("AWS::IAM::Role"):
            default = f"{self.stack.stack_name}-{logical_id}"[:64]
            name = self._physical_name(resource, "RoleName", default)
            arn = f"arn:aws:iam::{account}:role/{name}"
            self.attributes[logical_id] = {"Ref": name, "Arn": arn, "RoleId": f"local-{name}"}
        for logical_id, resource in self.stack.resources_of_type("AWS::Logs::LogGroup"):
            default = f"{self.stack.stack_name}-{logical_id}"
            group = self._physical_name(resource, "LogGroupName", default)
            # A log group's Arn attribute ends with ":*" (it covers its log streams).
            arn = f"arn:aws:logs:{region}:{account}:log-group:{group}:*"
            self.attributes[logical_id] = {"Ref": group, "Arn": arn}
        for logical_id, _ in self.stack.resources_of_type("AWS::KMS::Key"):
            key_id = f"local-{logical_id}"
            arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
            self.attributes[logical_id] = {"Ref": key_id, "Arn": arn, "KeyId": key_id}

    def _physical_name(self, resource: Mapping[str, Any], prop: str, default: str) -> str:
        """The resource's name property, resolved; ``default`` when unset or unresolvable."""
        try:
            name = self.resolver().resolve((resource.get("Properties") or {}).get(prop))
        except AssemblyError:
            return default
        return name if isinstance(name, str) and name else default

    def find(self, attribute: str, value: str, types: Sequence[str]) -> str | None:
        """The logical ID of the resource of one of ``types`` whose ``attribute`` is ``value``."""
        for logical_id, _ in self.stack.resources_of_type(*types):
            if self.attributes.get(logical_id, {}).get(attribute) == value:
                return logical_id
        return None

    def table_name(self, logical_id_or_path: str) -> str:
        """The local name of a table, by logical ID or construct path."""
        logical_id = self.stack.logical_id(logical_id_or_path)
        attributes = self.attributes.get(logical_id)
        if attributes is None or logical_id not in dict(self.stack.resources_of_type(*TABLE_TYPES)):
            raise KeyError(f"{logical_id_or_path} is not a table of stack {self.stack.artifact_id}")
        return attributes["Ref"]


publish()
