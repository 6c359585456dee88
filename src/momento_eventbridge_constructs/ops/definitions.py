"""What a synthesized stack does to Momento, read from its cloud assembly for the commands.

The model and its reader are :mod:`momento_eventbridge_constructs.engine.stack`; this module gives
them the lenient resolver the commands need, which never fails on a value it does not know.

For every table of the stack: the pipes that set, delete or publish through an API destination
(their input template, HTTP parameters, filters, dead-letter queue and log group) and the syncs
(a pipe starting an EXPRESS state machine, with the machine's definition). Everything is read
from the template; intrinsics resolve against the physical IDs and parameter values given, and
whatever stays unknown becomes a marker string (``unresolved:LogicalId.Attribute``): rendering
never needs those values (connection ARNs, queue URLs inside a definition).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from publication import publish

from ..engine.assembly import Resolver, StackTemplate, load_stack
from ..engine.stack import (
    UNRESOLVED,
    PipePath,
    StackDefinitions,
    SyncPath,
    TableDefinition,
    read_stack,
)

__all__ = [
    "PipePath",
    "StackDefinitions",
    "SyncPath",
    "TableDefinition",
    "lenient_resolver",
    "load_definitions",
    "read_definitions",
]


class _Attributes(Mapping[str, str]):
    """The attributes of one resource: its known ``Ref``, a marker for anything else."""

    def __init__(self, logical_id: str, ref: str | None) -> None:
        self._logical_id = logical_id
        self._ref = ref

    def __getitem__(self, attribute: str) -> str:
        if attribute == "Ref" and self._ref is not None:
            return self._ref
        return f"{UNRESOLVED}{self._logical_id}.{attribute}"

    def __iter__(self) -> Iterator[str]:
        return iter(["Ref"])

    def __len__(self) -> int:
        return 1


class _LenientAttributes(Mapping[str, Mapping[str, str]]):
    """Every resource resolves: physical IDs where known, markers elsewhere."""

    def __init__(self, stack: StackTemplate, refs: Mapping[str, str]) -> None:
        self._stack = stack
        self._refs = refs

    def __getitem__(self, logical_id: str) -> Mapping[str, str]:
        return _Attributes(logical_id, self._refs.get(logical_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._stack.resources)

    def __len__(self) -> int:
        return len(self._stack.resources)


def load_definitions(
    assembly: str | Path,
    stack_name: str | None,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> StackDefinitions:
    """Read one stack of a cloud assembly (see :func:`read_definitions`)."""
    stack = load_stack(assembly, stack_name)
    return read_definitions(stack, refs=refs, parameters=parameters, account=account, region=region)


def read_definitions(
    stack: StackTemplate,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> StackDefinitions:
    """The definitions of ``stack``.

    Args:
        refs: physical IDs by logical ID (``Ref`` values), where known.
        parameters: the deployed values of template parameters (else their defaults).
        account, region: for pseudo parameters (default: the stack's environment).
    """
    resolver = lenient_resolver(
        stack, refs=refs, parameters=parameters, account=account, region=region
    )
    return read_stack(stack, resolver)


def lenient_resolver(
    stack: StackTemplate,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> Resolver:
    """A resolver of the stack's intrinsics that never fails on an unknown attribute: it
    yields ``unresolved:LogicalId.Attribute`` instead (arguments as for
    :func:`read_definitions`)."""
    return Resolver(
        stack,
        account or stack.account or f"{UNRESOLVED}AWS::AccountId",
        region or stack.region or f"{UNRESOLVED}AWS::Region",
        _LenientAttributes(stack, refs or {}),
        parameters,
    )


publish()
