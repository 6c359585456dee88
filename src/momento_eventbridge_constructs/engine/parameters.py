"""Template parameter values from the command line, spelled as ``cdk deploy`` spells them.

``--parameters NAME=VALUE`` applies to the stack being run; ``--parameters STACK:NAME=VALUE``
only to the stack named ``STACK`` (and is ignored for any other), as the CDK CLI's
``--parameters`` option reads ``STACK:KEY=VALUE``
(https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html). The value is everything
after the first ``=``, so it may hold ``=`` itself. Every parameter without a ``Default`` needs
a value, as CloudFormation requires to create a stack
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-input-parameters.html);
a value for a parameter the template does not declare is refused (as CloudFormation refuses
it, unverified), so a misspelt name does not go unnoticed.

Only the standard library is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from publication import publish

from .._aws_names import CDK_PARAMETERS
from .assembly import AssemblyError, StackTemplate

__all__ = [
    "FLAG",
    "missing_parameters",
    "parse_parameters",
    "required_parameters",
]

FLAG = "--parameters"


def _declared(stack: StackTemplate) -> Mapping[str, object]:
    parameters = stack.template.get("Parameters") or {}
    return parameters if isinstance(parameters, Mapping) else {}


def _split(entry: str) -> tuple[str | None, str, str]:
    """``[STACK:]NAME=VALUE`` -> (stack or None, name, value)."""
    key, separator, value = entry.partition("=")
    stack, colon, name = key.rpartition(":")
    if not separator or not name:
        raise AssemblyError(f"{FLAG} {entry!r}: expected NAME=VALUE or STACK:NAME=VALUE")
    return (stack if colon else None), name, value


def _names_of(stack: StackTemplate) -> set[str]:
    return {stack.artifact_id, stack.stack_name}


def parse_parameters(entries: Iterable[str], stack: StackTemplate) -> dict[str, str]:
    """The values ``entries`` give the parameters of ``stack``.

    Raises:
        AssemblyError: for an entry that is not ``[STACK:]NAME=VALUE``, or that names a
            parameter ``stack`` does not declare.
    """
    declared = _declared(stack)
    values: dict[str, str] = {}
    for entry in entries:
        stack_name, name, value = _split(entry)
        if stack_name is not None and stack_name not in _names_of(stack):
            continue  # meant for another stack of the app, as with cdk deploy
        if name not in declared:
            listed = ", ".join(sorted(set(declared) - CDK_PARAMETERS)) or "none"
            raise AssemblyError(
                f"{FLAG} {entry!r}: stack {stack.artifact_id} has no parameter {name} "
                f"(its parameters: {listed})"
            )
        values[name] = value
    return values


def required_parameters(stack: StackTemplate) -> list[str]:
    """The parameters of ``stack`` without a ``Default`` (CloudFormation needs their values)."""
    return [
        name
        for name, parameter in _declared(stack).items()
        if isinstance(parameter, Mapping) and "Default" not in parameter
    ]


def missing_parameters(stack: StackTemplate, given: Mapping[str, str]) -> str | None:
    """Why ``stack`` cannot run with ``given`` (a sentence naming the flag), or ``None``."""
    missing = [name for name in required_parameters(stack) if name not in given]
    if not missing:
        return None
    flags = " ".join(f"{FLAG} {name}=VALUE" for name in missing)
    plural = "s" if len(missing) > 1 else ""
    return (
        f"stack {stack.artifact_id} has parameter{plural} without a Default: "
        f"{', '.join(missing)}; pass {flags}"
    )


publish()
