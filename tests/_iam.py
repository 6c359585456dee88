"""IAM decisions by an outside evaluator (``tests/checkers/iam.mjs``, @cloud-copilot/iam-simulate)
on the roles a synthesized stack declares, with the ARNs a deployment would have.

:func:`deployed_attributes` gives every resource the attributes CloudFormation would return
(``Ref``, ``Arn``, ``StreamArn``, ``ArnForPolicy``, ...) in the formats of the Service
Authorization Reference and the resources' CloudFormation return values; the local runtime's
:class:`~momento_eventbridge_constructs.engine.assembly.Resolver` then turns every policy into
concrete ARNs, and :func:`~momento_eventbridge_constructs.local.roles.role_policies` gathers a
role's trust and identity policies. :func:`simulate` decides a batch in one Node.js start;
:class:`IamSimulateAuthorizer` keeps one Node.js process for the local runtime's hook.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from momento_eventbridge_constructs.engine.assembly import (
    AssemblyError,
    Resolver,
    StackTemplate,
    load_stack,
)
from momento_eventbridge_constructs.local.authorizer import AccessRequest
from momento_eventbridge_constructs.local.roles import RolePolicies, role_policies

from ._checkers import CHECKERS, node, node_modules, run_checker

ACCOUNT = "111122223333"
REGION = "eu-west-1"
OTHER_ACCOUNT = "444455556666"
OTHER_REGION = "us-east-2"
ALLOWED, DENIED = "Allowed", "Denied"

# Actions whose evaluator data (generated from the Service Authorization Reference) and service
# page disagree, so the request is decided without validating it against that data. The
# reference lists states:InvokeHTTPEndpoint with no resource type and no condition key; the
# Step Functions page grants it on the state machine with states:HTTPEndpoint and
# states:HTTPMethod conditions (call-https-apis.html#connect-http-task-permissions).
UNVALIDATED_ACTIONS = frozenset({"states:InvokeHTTPEndpoint"})


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _suffix(stack: str, logical_id: str) -> str:
    """A suffix like the one CloudFormation puts on the names it generates (deterministic)."""
    return _digest(stack, logical_id)[:12].upper()


def _uuid(stack: str, logical_id: str) -> str:
    return str(uuid.UUID(_digest(stack, logical_id)[:32]))


def deployed_attributes(
    stack: StackTemplate, account: str = ACCOUNT, region: str = REGION
) -> dict[str, dict[str, str]]:
    """Logical ID -> attribute -> value, as CloudFormation would return them once deployed."""
    names = Resolver(stack, account, region, {})  # names may use pseudo parameters only
    attributes: dict[str, dict[str, str]] = {}
    for logical_id, resource in stack.resources.items():
        kind = str(resource.get("Type"))
        properties = resource.get("Properties") or {}

        def name(prop: str, limit: int, lid: str = logical_id, props: Any = properties) -> str:
            try:
                given = names.resolve(props.get(prop))
            except AssemblyError:
                given = None
            generated = f"{stack.stack_name}-{lid}-{_suffix(stack.stack_name, lid)}"
            return given if isinstance(given, str) else generated[:limit]

        attributes[logical_id] = _attributes(
            kind, name, account, region, _uuid(stack.stack_name, logical_id)
        )
    return attributes


def _attributes(kind: str, name: Any, account: str, region: str, id_: str) -> dict[str, str]:
    base = f"{region}:{account}"
    if kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
        table = name("TableName", 255)
        arn = f"arn:aws:dynamodb:{base}:table/{table}"
        return {"Ref": table, "Arn": arn, "StreamArn": f"{arn}/stream/2025-01-01T00:00:00.000"}
    if kind == "AWS::SQS::Queue":
        queue = name("QueueName", 80)
        url = f"https://sqs.{region}.amazonaws.com/{account}/{queue}"
        arn = f"arn:aws:sqs:{base}:{queue}"
        return {"Ref": url, "QueueUrl": url, "Arn": arn, "QueueName": queue}
    if kind == "AWS::KMS::Key":
        return {"Ref": id_, "KeyId": id_, "Arn": f"arn:aws:kms:{base}:key/{id_}"}
    if kind == "AWS::Logs::LogGroup":
        group = name("LogGroupName", 512)
        # The Arn attribute of a log group ends with ":*" (AWS::Logs::LogGroup return values).
        return {"Ref": group, "Arn": f"arn:aws:logs:{base}:log-group:{group}:*"}
    if kind == "AWS::IAM::Role":
        role = name("RoleName", 64)
        return {"Ref": role, "Arn": f"arn:aws:iam::{account}:role/{role}", "RoleId": id_}
    if kind in ("AWS::Events::Connection", "AWS::Events::ApiDestination"):
        resource = "connection" if kind == "AWS::Events::Connection" else "api-destination"
        named = name("Name", 64)
        found = {
            "Ref": named,
            "Arn": f"arn:aws:events:{base}:{resource}/{named}/{id_}",
            "ArnForPolicy": f"arn:aws:events:{base}:{resource}/{named}",
        }
        if resource == "connection":
            found["SecretArn"] = (
                f"arn:aws:secretsmanager:{base}:secret:events!connection/{named}/{id_}-AbCdEf"
            )
        return found
    if kind == "AWS::StepFunctions::StateMachine":
        machine = name("StateMachineName", 80)
        arn = f"arn:aws:states:{base}:stateMachine:{machine}"
        return {"Ref": arn, "Arn": arn, "Name": machine}
    if kind == "AWS::Pipes::Pipe":
        pipe = name("Name", 64)
        return {"Ref": pipe, "Arn": f"arn:aws:pipes:{base}:pipe/{pipe}"}
    if kind == "AWS::SecretsManager::Secret":
        return {"Ref": f"arn:aws:secretsmanager:{base}:secret:{name('Name', 512)}-AbCdEf"}
    if kind == "AWS::SNS::Topic":
        topic = name("TopicName", 256)
        arn = f"arn:aws:sns:{base}:{topic}"
        return {"Ref": arn, "TopicArn": arn, "TopicName": topic}
    return {"Ref": name("Name", 255), "Arn": f"arn:aws:unknown:{base}:{id_}"}


@dataclass
class Deployment:
    """One synthesized stack as deployed to ``account`` and ``region``."""

    stack: StackTemplate
    account: str = ACCOUNT
    region: str = REGION
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, assembly_dir: str | Path, stack_name: str) -> Deployment:
        stack = load_stack(assembly_dir, stack_name)
        return cls(stack, attributes=deployed_attributes(stack))

    @property
    def resolver(self) -> Resolver:
        return Resolver(self.stack, self.account, self.region, self.attributes)

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        """Logical ID -> resolved properties of every resource of one type."""
        return {
            logical_id: self.resolve(resource.get("Properties") or {})
            for logical_id, resource in self.stack.resources_of_type(resource_type)
        }

    def role(self, role_arn: str) -> RolePolicies:
        return role_policies(self.stack, self.resolver, role_arn)

    def key_policy(self, key_arn: str) -> Mapping[str, Any]:
        """The key policy of a key of the stack; an imported key is assumed to keep the
        default key policy, which lets IAM policies of the account grant its use."""
        for logical_id, properties in self.of_type("AWS::KMS::Key").items():
            if self.attributes[logical_id]["Arn"] == key_arn:
                return properties["KeyPolicy"]  # type: ignore[no-any-return]
        account = key_arn.split(":")[4]
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }


def session_of(role_arn: str) -> str:
    """The principal a service acts as after assuming ``role_arn``."""
    account = role_arn.split(":")[4]
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/session"


def account_of(resource: str, default: str) -> str:
    parts = resource.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else default


def assume(role: RolePolicies, service: str, source_arn: str) -> dict[str, Any]:
    """``service`` assumes ``role`` for the resource ``source_arn`` (the confused-deputy
    context keys every service principal sends, see IAM's aws:SourceArn/SourceAccount)."""
    return {
        "principal": service,
        "action": "sts:AssumeRole",
        "resource": role.arn,
        "resourceAccount": account_of(role.arn, ACCOUNT),
        "context": {
            "aws:SourceAccount": account_of(source_arn, ACCOUNT),
            "aws:SourceArn": source_arn,
        },
        "identityPolicies": [],
        "resourcePolicy": role.trust,
    }


def call(
    role: RolePolicies,
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The role's session makes ``action`` on ``resource``."""
    account = account_of(role.arn, ACCOUNT)
    return {
        "principal": session_of(role.arn),
        "action": action,
        "resource": resource,
        "resourceAccount": account_of(resource, account),
        "context": {"aws:PrincipalAccount": account, **(context or {})},
        "identityPolicies": list(role.identity),
        "resourcePolicy": resource_policy,
        "strict": action not in UNVALIDATED_ACTIONS,
    }


def decision(answer: Mapping[str, Any], request: Mapping[str, Any]) -> str:
    """``Allowed`` or ``Denied``; a validation error or an ignored context key fails the test
    (a request the evaluator did not fully understand decides nothing)."""
    assert answer["decision"] != "Error", f"{request['action']}: {answer['errors']}"
    assert not answer["ignoredContextKeys"], (request["action"], answer["ignoredContextKeys"])
    return ALLOWED if answer["decision"] == "Allowed" else DENIED


def simulate(requests: Sequence[Mapping[str, Any]]) -> list[str]:
    """Decide every request in one Node.js start."""
    answers = run_checker("iam.mjs", list(requests))
    return [decision(answer, request) for answer, request in zip(answers, requests, strict=True)]


class IamSimulateAuthorizer:
    """The local runtime's authorizer hook, backed by one long-lived ``iam.mjs --lines``.

    Decisions are cached (the runtime asks the same question for every record) and shared by
    every :meth:`view`; each view keeps the requests it was asked in ``asked``, its denials in
    ``denials`` and every validation problem in ``errors`` (decided as a denial, so the run
    fails visibly). Call :meth:`close` on the first one when done.
    """

    def __init__(self, shared: _Evaluator | None = None) -> None:
        self._evaluator = shared or _Evaluator()
        self.asked: list[AccessRequest] = []
        self.denials: list[AccessRequest] = []
        self.errors: list[str] = []

    def view(self) -> IamSimulateAuthorizer:
        """An authorizer with the same process and cache and its own records."""
        return IamSimulateAuthorizer(self._evaluator)

    def __call__(self, request: AccessRequest) -> bool:
        allowed, error = self._evaluator.decide(request)
        self.asked.append(request)
        if error:
            self.errors.append(error)
        if not allowed:
            self.denials.append(request)
        return allowed

    def close(self) -> None:
        self._evaluator.close()


class _Evaluator:
    """One ``iam.mjs --lines`` process and its cache, safe to use from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._cache: dict[tuple[Any, ...], tuple[bool, str]] = {}
        # id(role) -> (role, digest of its documents); the role is kept so its id stays its own.
        self._roles: dict[int, tuple[RolePolicies, str]] = {}

    def decide(self, request: AccessRequest) -> tuple[bool, str]:
        """Whether ``request`` is allowed, and the validation problem if any."""
        with self._lock:
            key = (
                self._digest(request.role),
                request.principal,
                request.action,
                request.resource,
                tuple(sorted(request.context.items())),
            )
            if key not in self._cache:
                payload = _payload(request)
                try:
                    self._cache[key] = (decision(self._ask(payload), payload) == ALLOWED, "")
                except AssertionError as error:
                    self._cache[key] = (False, str(error))
            return self._cache[key]

    def _digest(self, role: RolePolicies) -> str:
        if id(role) not in self._roles:
            documents = json.dumps([role.arn, role.trust, role.identity], sort_keys=True)
            self._roles[id(role)] = (role, _digest(documents))
        return self._roles[id(role)][1]

    def _ask(self, payload: Mapping[str, Any]) -> Any:
        if self._process is None:
            node_modules()
            self._process = subprocess.Popen(
                [node(), str(CHECKERS / "iam.mjs"), "--lines"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=CHECKERS,
            )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(payload) + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                assert self._process.stdin is not None
                self._process.stdin.close()
                self._process.wait(timeout=30)
                self._process = None


def _payload(request: AccessRequest) -> dict[str, Any]:
    if request.action == "sts:AssumeRole":
        return assume(request.role, request.principal, request.context["aws:SourceArn"])
    return call(request.role, request.action, request.resource, request.context)
