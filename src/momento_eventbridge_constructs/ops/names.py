"""Physical names of a deployed stack's resources: given on the command line, else read from
CloudFormation (``ListStackResources``, which pages through stacks of any size, unlike
``DescribeStackResources``, limited to 100 resources:
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from publication import publish

from .._aws_names import CDK_PARAMETERS
from ..cli.status import CommandError
from ..engine.assembly import StackTemplate
from .aws import AwsAccess
from .definitions import StackDefinitions

__all__ = ["StackNames", "given_names", "template_parameters"]

_LOG = logging.getLogger("momento_eventbridge_constructs.ops")


def _logical_id(stack: StackTemplate, id_or_path: str, flag: str) -> str:
    try:
        return stack.logical_id(id_or_path)
    except KeyError as error:
        raise CommandError(f"{flag} {id_or_path}=...: {error.args[0]}") from error


def given_names(
    definitions: StackDefinitions,
    *,
    table_names: Iterable[str] = (),
    resources: Iterable[str] = (),
) -> dict[str, str]:
    """Physical names from ``--table-name [ID=]NAME`` and ``--resource ID=NAME``, by logical ID.

    A bare table name belongs to the stack's only table that writes to a cache.
    """
    stack = definitions.stack
    names: dict[str, str] = {}
    for entry in resources:
        key, separator, value = entry.partition("=")
        if not separator or not key or not value:
            raise CommandError(f"--resource {entry!r}: expected LOGICAL_ID_OR_PATH=PHYSICAL_NAME")
        names[_logical_id(stack, key, "--resource")] = value
    for entry in table_names:
        key, separator, value = entry.partition("=")
        if separator:  # table names cannot hold "=": this is ID=NAME
            if not key or not value:
                raise CommandError(f"--table-name {entry!r}: expected NAME or ID_OR_PATH=NAME")
            names[_logical_id(stack, key, "--table-name")] = value
            continue
        tables = definitions.cache_tables() or list(definitions.tables)
        if len(tables) != 1:
            listed = ", ".join(definitions.tables[t].path for t in tables) or "none"
            raise CommandError(
                f"--table-name {entry}: the stack has {len(tables)} tables that write to a "
                f"cache ({listed}); name one as --table-name PATH=NAME"
            )
        names[tables[0]] = entry
    return names


def template_parameters(
    aws: AwsAccess, stack: StackTemplate, given: Mapping[str, str]
) -> dict[str, str]:
    """The values of the template's parameters: ``given`` (``--parameters``), then the
    deployed ones (``DescribeStacks``, asked only for parameters not given; none when the
    stack cannot be read: their defaults apply then)."""
    declared = set(stack.template.get("Parameters") or {}) - CDK_PARAMETERS
    wanted = declared - set(given)
    deployed = _deployed_parameters(aws, stack.stack_name, wanted) if wanted else {}
    return {**deployed, **given}


def _deployed_parameters(aws: AwsAccess, stack_name: str, wanted: set[str]) -> dict[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=stack_name)
    except (BotoCoreError, ClientError) as error:
        _LOG.debug("parameter values of %s unknown, defaults apply: %s", stack_name, error)
        return {}
    values: dict[str, str] = {}
    for stack in stacks.get("Stacks", [])[:1]:
        for parameter in stack.get("Parameters", []):
            key = parameter.get("ParameterKey")
            if key in wanted:
                value: Any = parameter.get("ResolvedValue", parameter.get("ParameterValue"))
                values[str(key)] = str(value)
    return values


class StackNames:
    """Physical names by logical ID: the given ones first, then CloudFormation's (read once,
    on first need; when it cannot be read, the names stay unknown and the reason is kept).

    Args:
        definitions: the stack.
        aws: AWS access.
        given: physical names by logical ID that need no lookup.
        parameters: the values of the template's parameters (:func:`template_parameters`).
    """

    def __init__(
        self,
        definitions: StackDefinitions,
        aws: AwsAccess,
        given: Mapping[str, str] | None = None,
        *,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self._definitions = definitions
        self._stack = definitions.stack
        self._aws = aws
        self._given = dict(given or {})
        self._looked_up: dict[str, str] | None = None
        self._parameters = dict(parameters or {})
        self._lock = threading.Lock()
        self.problem: str | None = None
        """Why CloudFormation could not be read (``None``: it could, or was not needed)."""

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack name."""
        return self._stack.stack_name

    def _lookup(self) -> dict[str, str]:
        with self._lock:
            if self._looked_up is None:
                self._looked_up = self._from_cloudformation()
            return self._looked_up

    def _from_cloudformation(self) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, str] = {}
        try:
            paginator = self._aws.client("cloudformation").get_paginator("list_stack_resources")
            for page in paginator.paginate(StackName=self.stack_name):
                for summary in page.get("StackResourceSummaries", []):
                    if summary.get("PhysicalResourceId"):
                        found[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
        except (BotoCoreError, ClientError) as error:
            self.problem = f"cannot list the resources of stack {self.stack_name}: {error}"
            _LOG.debug(self.problem)
        return found

    def physical(self, logical_id: str) -> str | None:
        """The physical name (``Ref`` value) of a resource, or ``None`` when unknown."""
        if logical_id in self._given:
            return self._given[logical_id]
        return self._lookup().get(logical_id) or self._declared_name(logical_id)

    def _declared_name(self, logical_id: str) -> str | None:
        for path in self._definitions.pipes:
            if path.logical_id == logical_id:
                return path.name
        for sync in self._definitions.syncs:
            if sync.pipe_id == logical_id:
                return sync.name
        return None

    def require(self, logical_id: str, what: str, flag: str) -> str:
        """The physical name, or a :class:`CommandError` telling which flag gives it."""
        found = self.physical(logical_id)
        if found is None:
            reason = f" ({self.problem})" if self.problem else ""
            raise CommandError(
                f"the physical name of {what} is unknown{reason}: pass {flag} or make stack "
                f"{self.stack_name} readable through CloudFormation"
            )
        return found

    def refs(self) -> Mapping[str, str]:
        """The physical names as a mapping whose lookups go through :meth:`physical` (so
        CloudFormation is read only if a name that was not given is needed)."""
        return _PhysicalRefs(self, tuple(self._stack.resources))

    def parameters(self) -> dict[str, str]:
        """The values of the template's parameters (see :func:`template_parameters`)."""
        return dict(self._parameters)

    def table_id_of(self, physical_name: str) -> str | None:
        """The logical ID of the table with this physical name.

        Without a known mapping: the stack's only table, or the one table whose logical ID
        appears in the name (CloudFormation names tables ``stack-LogicalId-SUFFIX``).
        """
        tables = list(self._definitions.tables)
        for table_id in tables:
            if self.physical(table_id) == physical_name:
                return table_id
        if len(tables) == 1:
            return tables[0]
        guesses = [t for t in tables if f"-{t}-" in physical_name or physical_name.endswith(t)]
        return guesses[0] if len(guesses) == 1 else None


class _PhysicalRefs(Mapping[str, str]):
    def __init__(self, names: StackNames, logical_ids: tuple[str, ...]) -> None:
        self._names = names
        self._logical_ids = logical_ids

    def __getitem__(self, logical_id: str) -> str:
        found = self._names.physical(logical_id)
        if found is None:
            raise KeyError(logical_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._logical_ids)

    def __len__(self) -> int:
        return len(self._logical_ids)


publish()
