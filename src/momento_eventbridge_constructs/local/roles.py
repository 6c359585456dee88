"""The IAM roles of a stack as policy documents with concrete ARNs, for an IAM evaluator.

The local runtime does not evaluate IAM itself. It only gathers, for a role ARN, the role's
trust policy and every identity policy the stack attaches to it (inline ``Policies`` and
``AWS::IAM::Policy`` resources naming the role), with their intrinsics resolved against the
local attributes, and hands them to an :mod:`.authorizer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publication import publish

from ..engine.assembly import AssemblyError, Resolver, StackTemplate

__all__ = ["RolePolicies", "role_policies"]


@dataclass(frozen=True)
class RolePolicies:
    """One role: its ARN and name, its trust policy and its identity policies.

    ``declared`` is False for a role the stack only references (imported by ARN): its trust
    policy and any policy attached outside the stack are unknown (``trust`` is None).
    """

    arn: str
    name: str
    trust: Mapping[str, Any] | None
    identity: tuple[Mapping[str, Any], ...]
    declared: bool


def role_policies(stack: StackTemplate, resolver: Resolver, role_arn: str) -> RolePolicies:
    """The documents of the role ``role_arn`` (``arn:<partition>:iam::<account>:role/<name>``).

    Raises:
        AssemblyError: when a policy names a resource the resolver cannot resolve.
    """
    declared = _declared_role(stack, resolver, role_arn)
    name = role_arn.rsplit("/", 1)[-1]
    trust: Mapping[str, Any] | None = None
    identity: list[Mapping[str, Any]] = []
    if declared is not None:
        logical_id, properties = declared
        name = str(resolver.resolve({"Ref": logical_id}))
        trust = _document(resolver, properties.get("AssumeRolePolicyDocument"), logical_id)
        for policy in properties.get("Policies") or []:
            identity.append(_document(resolver, policy.get("PolicyDocument"), logical_id))
    for logical_id, resource in stack.resources_of_type("AWS::IAM::Policy"):
        properties = resource.get("Properties") or {}
        if name in (resolver.resolve(properties.get("Roles")) or []):
            identity.append(_document(resolver, properties.get("PolicyDocument"), logical_id))
    return RolePolicies(role_arn, name, trust, tuple(identity), declared is not None)


def _declared_role(
    stack: StackTemplate, resolver: Resolver, role_arn: str
) -> tuple[str, Mapping[str, Any]] | None:
    for logical_id, resource in stack.resources_of_type("AWS::IAM::Role"):
        if resolver.resolve({"Fn::GetAtt": [logical_id, "Arn"]}) == role_arn:
            return logical_id, resource.get("Properties") or {}
    return None


def _document(resolver: Resolver, document: Any, where: str) -> Mapping[str, Any]:
    try:
        resolved = resolver.resolve(document)
    except AssemblyError as error:
        raise AssemblyError(f"the policy of {where} cannot be resolved locally: {error}") from error
    if not isinstance(resolved, Mapping):
        raise AssemblyError(f"the policy of {where} is not a document: {resolved!r}")
    return resolved


publish()
