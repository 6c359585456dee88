"""An optional check, by an IAM evaluator the caller brings, of every call made for a role.

On AWS each service evaluates IAM before it acts for a role; the local runtime cannot. Given an
:data:`Authorizer` (a callable deciding one :class:`AccessRequest`, e.g. backed by an IAM
policy evaluator in a test suite), ``LocalPipeline`` asks it before each call it makes on a
role's behalf: the service assuming the role, the pipe's stream reads, target invocation and
dead letters, and the state machine's HTTP calls, connection credentials and SQS sends. A
denial fails that call (see :class:`AccessDenied`). Without an authorizer (the default)
nothing is checked, and nothing here imports an evaluator.

KMS calls (customer keys of the table or the queue) are not checked locally.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from publication import publish

from .roles import RolePolicies

__all__ = ["AccessDenied", "AccessRequest", "Authorizer", "RoleGuard", "both_forms"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")


@dataclass(frozen=True)
class AccessRequest:
    """One request to decide.

    ``principal`` is the service (``pipes.amazonaws.com``) for ``sts:AssumeRole``, whose
    ``role.trust`` is then the policy that decides; for every other action it is the role's
    session, decided by ``role.identity``.
    """

    role: RolePolicies
    principal: str
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


Authorizer = Callable[[AccessRequest], bool]
"""Whether AWS would allow ``request`` (called from worker threads)."""


class AccessDenied(Exception):
    """An authorizer denied a call made for a role."""

    def __init__(self, request: AccessRequest) -> None:
        super().__init__(
            f"AccessDenied: {request.principal} is not authorized to perform "
            f"{request.action} on resource {request.resource}"
        )
        self.request = request


def both_forms(arn: str) -> tuple[str, str]:
    """An EventBridge ``<kind>/<name>/<id>`` ARN and its ``<kind>/<name>`` form.

    Which one EventBridge and Step Functions authorize connections and API destinations with
    is not documented: a call is allowed locally only when both are.
    """
    return "/".join(arn.split("/")[:2]), arn


class RoleGuard:
    """The calls made for one role, each decided by the authorizer before it is made.

    Args:
        authorizer: decides each request; None checks nothing.
        role: the role's documents; None (a role the runtime cannot resolve) or a role the
            stack does not declare (its other policies are unknown) checks nothing either.
        account: the account the role's service acts in (``aws:SourceAccount``).
    """

    def __init__(
        self, authorizer: Authorizer | None, role: RolePolicies | None, account: str
    ) -> None:
        self._authorizer = authorizer
        self._role = role
        self._account = account
        if authorizer is not None and role is not None and not role.declared:
            _LOG.warning(
                "role %s is not declared in the stack: its calls are not checked locally",
                role.arn,
            )

    @property
    def active(self) -> bool:
        """Whether calls are checked."""
        return self._authorizer is not None and self._role is not None and self._role.declared

    def assume(self, service: str, source_arn: str) -> None:
        """``service`` assumes the role for ``source_arn`` (its pipe or state machine)."""
        context = {"aws:SourceAccount": self._account, "aws:SourceArn": source_arn}
        self._decide(service, "sts:AssumeRole", self._arn, context)

    def require(self, action: str, *resources: str, **context: str) -> None:
        """The role may perform ``action`` on every one of ``resources``.

        Raises:
            AccessDenied: the first one it may not.
        """
        for resource in resources:
            self._decide(self._session, action, resource, context)

    @property
    def _arn(self) -> str:
        return self._role.arn if self._role is not None else ""

    @property
    def _session(self) -> str:
        # arn:aws:iam::<account>:role/<name> -> arn:aws:sts::<account>:assumed-role/<name>/local
        prefix, _, name = self._arn.partition(":role/")
        return f"{prefix.replace(':iam:', ':sts:')}:assumed-role/{name.rsplit('/', 1)[-1]}/local"

    def _decide(
        self, principal: str, action: str, resource: str, context: Mapping[str, str]
    ) -> None:
        if not self.active:
            return
        assert self._authorizer is not None and self._role is not None
        request = AccessRequest(self._role, principal, action, resource, dict(context))
        if not self._authorizer(request):
            raise AccessDenied(request)


publish()
