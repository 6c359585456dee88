"""Reading a CDK cloud assembly and resolving CloudFormation intrinsics locally.

Only the standard library is used. :func:`load_stack` finds one stack of a ``cdk.out``
directory (nested stage assemblies included); :class:`Resolver` evaluates ``Ref``,
``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` (with
``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or`` conditions) and the pseudo parameters against
the attributes of the resources the local runtime created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publication import publish

from .._exit_status import CommandError

__all__ = [
    "AssemblyError",
    "DynamicReference",
    "Resolver",
    "StackTemplate",
    "list_stacks",
    "load_stack",
    "parse_dynamic_references",
    "synthesize",
]

_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:(.*?)\}\}")


class AssemblyError(CommandError, ValueError):
    """A cloud assembly or template the local runtime cannot use."""


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack."""

    artifact_id: str
    stack_name: str
    template: Mapping[str, Any]
    region: str | None
    account: str | None
    construct_paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The ``Resources`` section."""
        resources = self.template.get("Resources", {})
        return resources if isinstance(resources, Mapping) else {}

    def resources_of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """``(logical id, resource)`` for every resource of one of ``types``."""
        for logical_id, resource in self.resources.items():
            if isinstance(resource, Mapping) and resource.get("Type") in types:
                yield logical_id, resource

    def logical_id(self, logical_id_or_path: str) -> str:
        """Map a logical ID or a construct path (with or without ``/Resource``) to a logical ID."""
        if logical_id_or_path in self.resources:
            return logical_id_or_path
        wanted = logical_id_or_path.strip("/")
        for candidate in (
            wanted,
            f"{wanted}/Resource",
            f"{self.artifact_id}/{wanted}",
            f"{self.artifact_id}/{wanted}/Resource",
        ):
            found = self.construct_paths.get(candidate)
            if found is not None:
                return found
        raise KeyError(
            f"no resource with logical ID or construct path {logical_id_or_path!r} in stack "
            f"{self.artifact_id}"
        )


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        raise AssemblyError(f"cannot read {path}: {error}") from error


def _environment(artifact: Mapping[str, Any]) -> tuple[str | None, str | None]:
    env = str(artifact.get("environment", ""))
    match = re.fullmatch(r"aws://([^/]*)/([^/]*)", env)
    if match is None:
        return None, None
    account, region = match.groups()
    return (
        None if account.startswith("unknown") or "${" in account else account,
        None if region.startswith("unknown") or "${" in region else region,
    )


def _stack_artifacts(directory: Path) -> Iterator[tuple[Path, str, Mapping[str, Any]]]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{directory} is not a cloud assembly (no manifest.json)")
    manifest = _read_json(manifest_path)
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        if kind == "aws:cloudformation:stack":
            yield directory, artifact_id, artifact
        elif kind == "cdk:cloud-assembly":
            nested = (artifact.get("properties") or {}).get("directoryName")
            if nested:
                yield from _stack_artifacts(directory / nested)


def list_stacks(directory: str | Path) -> list[str]:
    """The artifact IDs of every stack in the assembly."""
    return [artifact_id for _, artifact_id, _ in _stack_artifacts(Path(directory))]


def _construct_paths(
    directory: Path, artifact: Mapping[str, Any], template: Mapping[str, Any]
) -> dict[str, str]:
    """Construct path (no leading slash) -> logical ID, from every place CDK records it."""
    paths: dict[str, str] = {}
    metadata: dict[str, Any] = dict(artifact.get("metadata") or {})
    extra = artifact.get("additionalMetadataFile")
    if extra and (directory / extra).is_file():
        metadata.update(_read_json(directory / extra))
    for path, entries in metadata.items():
        for entry in entries or []:
            if isinstance(entry, Mapping) and entry.get("type") == "aws:cdk:logicalId":
                paths[path.strip("/")] = str(entry.get("data"))
    for logical_id, resource in (template.get("Resources") or {}).items():
        cdk_path = ((resource or {}).get("Metadata") or {}).get("aws:cdk:path")
        if isinstance(cdk_path, str):
            paths[cdk_path.strip("/")] = logical_id
    return paths


def load_stack(directory: str | Path, stack_name: str | None = None) -> StackTemplate:
    """Load one stack of a cloud assembly.

    Without ``stack_name`` the assembly must hold exactly one stack, or exactly one stack
    with an ``AWS::Pipes::Pipe``. A name matches the artifact ID, the display name or the
    CloudFormation stack name.
    """
    root = Path(directory)
    candidates: list[StackTemplate] = []
    for folder, artifact_id, artifact in _stack_artifacts(root):
        properties = artifact.get("properties") or {}
        names = {
            artifact_id,
            str(artifact.get("displayName", "")),
            str(properties.get("stackName", "")),
        }
        if stack_name is not None and stack_name not in names:
            continue
        template_file = properties.get("templateFile")
        if not template_file:
            raise AssemblyError(f"stack {artifact_id} has no templateFile")
        template = _read_json(folder / template_file)
        account, region = _environment(artifact)
        candidates.append(
            StackTemplate(
                artifact_id=artifact_id,
                stack_name=str(properties.get("stackName") or artifact_id),
                template=template,
                region=region,
                account=account,
                construct_paths=_construct_paths(folder, artifact, template),
            )
        )
    if not candidates:
        available = ", ".join(list_stacks(root)) or "none"
        wanted = f"named {stack_name!r} " if stack_name else ""
        raise AssemblyError(f"no stack {wanted}in {root} (stacks: {available})")
    if len(candidates) > 1:
        with_pipes = [
            stack for stack in candidates if any(stack.resources_of_type("AWS::Pipes::Pipe"))
        ]
        if len(with_pipes) != 1:
            listed = ", ".join(stack.artifact_id for stack in candidates)
            raise AssemblyError(f"several stacks in {root} ({listed}): pass stack_name")
        return with_pipes[0]
    return candidates[0]


def synthesize(stack: Any) -> StackTemplate:
    """Synthesize the app of a CDK ``Stack`` object in-process and load the stack from it.

    The only function of this module that touches aws-cdk-lib, through the objects it is
    given (``stack.node.root`` is the app; ``synth()`` writes its cloud assembly).

    Raises:
        TypeError: when ``stack`` is not a stack of a CDK app.
    """
    node = getattr(stack, "node", None)
    app: Any = getattr(node, "root", None)
    if not hasattr(stack, "artifact_id") or not callable(getattr(app, "synth", None)):
        raise TypeError(f"from_stack needs an aws_cdk.Stack inside an aws_cdk.App, got {stack!r}")
    assembly = app.synth()
    return load_stack(assembly.directory, str(stack.artifact_id))


@dataclass(frozen=True)
class DynamicReference:
    """A ``{{resolve:secretsmanager:...}}`` reference."""

    text: str
    secret_id: str
    json_key: str | None
    version_stage: str | None
    version_id: str | None


def parse_dynamic_references(value: str) -> list[DynamicReference]:
    """Every Secrets Manager dynamic reference inside ``value``."""
    found: list[DynamicReference] = []
    for match in _DYNAMIC_REFERENCE.finditer(value):
        body = match.group(1)
        marker = body.rfind(":SecretString")
        rest: list[str]
        if marker < 0:
            secret_id, rest = body, []
        else:
            secret_id = body[:marker]
            rest = body[marker + len(":SecretString") :].split(":")[1:]
        rest += [""] * (3 - len(rest))
        found.append(
            DynamicReference(
                text=match.group(0),
                secret_id=secret_id,
                json_key=rest[0] or None,
                version_stage=rest[1] or None,
                version_id=rest[2] or None,
            )
        )
    return found


class Resolver:
    """Evaluates intrinsic functions against local resource attributes.

    Args:
        stack: the stack whose template the expressions come from.
        account: the local account ID; region: the local region.
        attributes: logical ID -> attribute name -> value; ``"Ref"`` is the ``Ref`` value.
        parameters: overrides for template parameters (else their ``Default``).
    """

    def __init__(
        self,
        stack: StackTemplate,
        account: str,
        region: str,
        attributes: Mapping[str, Mapping[str, str]],
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self._stack = stack
        self._attributes = attributes
        self._parameters = dict(parameters or {})
        self._pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{region}:{account}:stack/{stack.stack_name}/local"
            ),
            "AWS::NotificationARNs": "",
        }

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside ``value`` (dicts and lists are walked)."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def resolve_string(self, value: Any, where: str) -> str:
        """Resolve ``value`` and require a string."""
        resolved = self.resolve(value)
        if not isinstance(resolved, str):
            raise AssemblyError(f"{where} resolves to {resolved!r}, not a string")
        return resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(str(argument))
            if name == "Condition":
                return self._condition(str(argument))
            if name.startswith("Fn::"):
                return self._function(name, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        parameters = self._stack.template.get("Parameters") or {}
        if name in parameters:
            parameter = parameters[name]
            if "Default" not in parameter:
                raise AssemblyError(
                    f"parameter {name} has no Default: pass its value (--parameters "
                    f"{name}=VALUE on the command line, parameters={{{name!r}: ...}} in Python)"
                )
            if str(parameter.get("Type", "")).startswith("AWS::SSM::"):
                raise AssemblyError(f"parameter {name} is read from SSM, which is not local")
            default = parameter["Default"]
            return default if isinstance(default, str) else json.dumps(default)
        return self._attribute(name, "Ref")

    def _attribute(self, logical_id: str, attribute: str) -> str:
        known = self._attributes.get(logical_id)
        if known is None:
            kind = (self._stack.resources.get(logical_id) or {}).get("Type", "unknown")
            raise AssemblyError(
                f"{logical_id} ({kind}) is not created by the local runtime, so "
                f"{'Ref' if attribute == 'Ref' else 'Fn::GetAtt ' + attribute} cannot resolve"
            )
        if attribute not in known:
            raise AssemblyError(f"{logical_id} has no attribute {attribute} locally")
        return known[attribute]

    def _condition(self, name: str) -> bool:
        conditions = self._stack.template.get("Conditions") or {}
        if name not in conditions:
            raise AssemblyError(f"unknown condition {name}")
        return bool(self._resolve(conditions[name]))

    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::GetAtt":
            if isinstance(argument, str):
                logical_id, _, attribute = argument.partition(".")
            else:
                logical_id, attribute = argument[0], self._resolve(argument[1])
            return self._attribute(str(logical_id), str(attribute))
        if name == "Fn::Join":
            delimiter, items = argument
            parts = self._resolve(items)
            if not isinstance(parts, list):
                raise AssemblyError(f"Fn::Join needs a list, got {parts!r}")
            return str(delimiter).join(str(part) for part in parts)
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::Select":
            index, items = argument
            resolved = self._resolve(items)
            return resolved[int(self._resolve(index))]
        if name == "Fn::Split":
            delimiter, text = argument
            return str(self._resolve(text)).split(str(delimiter))
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self._resolve(when_true if self._condition(condition) else when_false)
        if name == "Fn::Equals":
            left, right = (self._resolve(item) for item in argument)
            return left == right
        if name == "Fn::Not":
            return not self._resolve(argument[0])
        if name == "Fn::And":
            return all(self._resolve(item) for item in argument)
        if name == "Fn::Or":
            return any(self._resolve(item) for item in argument)
        if name == "Fn::Base64":
            import base64

            return base64.b64encode(str(self._resolve(argument)).encode()).decode()
        raise AssemblyError(f"{name} is not supported by the local runtime")

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], argument[1]
            values = {key: self._resolve(item) for key, item in variables.items()}
        else:
            text, values = argument, {}

        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                return self._attribute(logical_id, attribute)
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, str(text))


publish()
