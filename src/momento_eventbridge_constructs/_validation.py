"""Pure-Python checks shared by the constructs.

Nothing here calls into jsii, so every rule can be unit-tested without synthesizing a stack and
costs nothing at synth time. aws-cdk-lib is imported only by :func:`l1_of`, which works on
constructs: the local runtime and the operating commands use the checks of this module (through
:mod:`.payload`) without loading aws-cdk-lib or starting Node.js.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import TYPE_CHECKING, NoReturn, TypeVar

from .errors import MomentoConstructError

if TYPE_CHECKING:
    from constructs import IConstruct

# CDK encodes unresolved string tokens as "${Token[...]}" and lists as "#{Token[...]}".
_TOKEN_MARKERS = ("${Token[", "#{Token[")

# Momento cache and topic names travel as URL path segments: keep them to RFC 3986 unreserved
# characters so they never need escaping.
_URL_SAFE_NAME = re.compile(r"^[A-Za-z0-9._~-]+$")
MAX_NAME_LENGTH = 255

# DynamoDB attribute names as they can appear in a Pipes JSON path in dot notation.
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

# EventBridge resource names (connection, API destination, pipe).
_EVENTBRIDGE_NAME = re.compile(r"^[.\-_A-Za-z0-9]+$")
MAX_EVENTBRIDGE_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 512
# Characters that end a line for the service's "^.*$" pattern (Java regex line terminators).
_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")


def is_token(value: object) -> bool:
    """True when ``value`` is (or contains) an unresolved CDK string token."""
    return isinstance(value, str) and any(marker in value for marker in _TOKEN_MARKERS)


def is_number_token(value: float) -> bool:
    """True when ``value`` is a CDK number token (encoded as a huge negative double)."""
    return not math.isfinite(value) or value < -1e200


E = TypeVar("E", bound=Enum)


def implements(value: object, attribute: str) -> bool:
    """Whether ``value`` has ``attribute``: a class property, or (for the interface proxies
    jsii returns for imported resources, e.g. ``Role.from_role_arn``) an instance one."""
    if value is None:
        return False
    return hasattr(type(value), attribute) or hasattr(value, attribute)


def l1_of(construct: IConstruct) -> IConstruct | None:
    """The CloudFormation resource an L2 wraps (its ``default_child``, or its only L1 child:
    ``events.ApiDestination`` and ``events.Connection`` name theirs after themselves)."""
    from aws_cdk import CfnResource  # only here: see the module docstring

    child = construct.node.default_child
    if child is not None:
        return child
    resources = [c for c in construct.node.children if isinstance(c, CfnResource)]
    return resources[0] if len(resources) == 1 else None


def show(value: object) -> str:
    """A short printable form of a prop value for error messages: a construct (an imported
    resource included) by its construct path, anything else as Python would write it."""
    path = _construct_path(value)
    text = repr(value) if path is None else f"<{_class_label(value)}{path}>"
    return text if len(text) <= 120 else text[:117] + "..."


def _class_label(value: object) -> str:
    """``"Queue "`` for a user-facing class; nothing for jsii's proxies of imported resources."""
    name = type(value).__name__
    return "" if name.startswith("_") or name == "InterfaceDynamicProxy" else f"{name} "


def _construct_path(value: object) -> str | None:
    if isinstance(value, (str, bytes, int, float, bool, list, tuple, dict)) or value is None:
        return None
    try:
        path = value.node.path  # type: ignore[attr-defined]
    except Exception:  # not a construct
        return None
    return path if isinstance(path, str) and path else None


class Checker:
    """Raises :class:`MomentoConstructError` with the construct's name in every message."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, prop: str, value: object, rule: str) -> NoReturn:
        shown = value if isinstance(value, _Shown) else show(value)
        raise MomentoConstructError(prop, str(shown), rule, where=self.where)

    def shown(self, text: str) -> _Shown:
        """Wrap an already formatted value (e.g. ``Duration.hours(25)``) for :meth:`fail`."""
        return _Shown(text)

    def instance(self, prop: str, value: object, kind: type, kind_name: str) -> None:
        if not isinstance(value, kind):
            self.fail(prop, value, f"must be {kind_name}")

    def url_safe_name(self, prop: str, value: object, what: str) -> None:
        """Cache and topic names: non-empty, at most 255 URL-unreserved characters."""
        if not isinstance(value, str):
            self.fail(prop, value, f"must be a string naming the Momento {what}")
        if is_token(value):
            return
        if not value:
            self.fail(prop, value, f"the Momento {what} name must not be empty")
        if len(value) > MAX_NAME_LENGTH:
            self.fail(
                prop, value, f"the Momento {what} name must be at most {MAX_NAME_LENGTH} characters"
            )
        if not _URL_SAFE_NAME.match(value):
            self.fail(
                prop,
                value,
                f"the Momento {what} name is sent as a URL path segment and must use only "
                "letters, digits and '-', '_', '.', '~'",
            )

    def attribute_name(self, prop: str, value: object) -> None:
        if not isinstance(value, str) or not value:
            self.fail(prop, value, "must be a non-empty DynamoDB attribute name")
        if len(value) > MAX_NAME_LENGTH or not _ATTRIBUTE_NAME.match(value):
            self.fail(
                prop,
                value,
                "attribute names are read through Pipes JSON paths and must use only letters, "
                f"digits, '_' and '-' (at most {MAX_NAME_LENGTH} characters)",
            )

    def eventbridge_name(self, prop: str, value: object) -> None:
        """Connection, API destination and pipe names (None means generated)."""
        if value is None or is_token(value):
            return
        if (
            not isinstance(value, str)
            or not value
            or len(value) > MAX_EVENTBRIDGE_NAME_LENGTH
            or not _EVENTBRIDGE_NAME.match(value)
        ):
            self.fail(
                prop,
                value,
                f"must be 1 to {MAX_EVENTBRIDGE_NAME_LENGTH} characters of letters, digits, "
                "'.', '-' and '_'",
            )

    def description(self, prop: str, value: object) -> None:
        if value is None or is_token(value):
            return
        if not isinstance(value, str) or len(value) > MAX_DESCRIPTION_LENGTH:
            self.fail(
                prop, value, f"must be a string of at most {MAX_DESCRIPTION_LENGTH} characters"
            )
        # EventBridge descriptions match "^.*$" (one line): CloudFormation rejects line breaks.
        if any(ch in _LINE_BREAKS for ch in value):
            self.fail(prop, value, "must be a single line (no line breaks)")

    def whole_number(self, prop: str, value: object, low: int, high: int, rule: str = "") -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(prop, value, f"must be a whole number from {low} to {high}{rule}")
        if not low <= value <= high:
            self.fail(prop, value, f"must be from {low} to {high}{rule}")
        return value

    def member(self, prop: str, value: object, kind: type[E]) -> E:
        """An enum member, or the string of one (``"LATEST"`` for ``StartingPosition.LATEST``)."""
        if isinstance(value, kind):
            return value
        for member in kind:
            if isinstance(value, str) and value == member.value:
                return member
        options = ", ".join(f"{kind.__name__}.{m.name}" for m in kind)
        self.fail(prop, value, f"must be one of {options} (or its string)")


class _Shown(str):
    """A value already formatted for an error message."""
