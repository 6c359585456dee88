"""The resources of a stack as they exist locally, and their attributes (``Ref``, ``Arn``, ...).

Tables and queues are created in moto. Connections, API destinations and pipes are not moto
resources: they only get the attributes other resources reference (ARNs built the way AWS
builds them, with a ``local-`` marker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .assembly import Resolver, StackTemplate
from .aws import LocalAws

__all__ = ["TABLE_TYPES", "StackResources"]

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


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
        """Give connections, API destinations and pipes their ``Ref`` and ``Arn``."""
        region, account = self.aws.region, self.aws.account_id
        for kind, resource_type in (
            ("connection", "AWS::Events::Connection"),
            ("api-destination", "AWS::Events::ApiDestination"),
        ):
            for logical_id, resource in self.stack.resources_of_type(resource_type):
                name = str((resource.get("Properties") or {}).get("Name") or logical_id)
                arn = f"arn:aws:events:{region}:{account}:{kind}/{name}/local-{logical_id}"
                extra = "SecretArn" if kind == "connection" else "ArnForPolicy"
                self.attributes[logical_id] = {"Ref": name, "Arn": arn, extra: arn}
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
