"""Names taken from EventBridge ARNs of imported resources, literal or token."""

from __future__ import annotations

import re

from aws_cdk import Fn

from ._validation import Checker, is_token

# arn:<partition>:events:<region>:<account>:<kind>/<name>/<id>
_EVENTS_ARN = re.compile(r"^arn:[a-z-]+:events:[a-z0-9-]+:\d{12}:(?P<kind>[a-z-]+)/[^/]+/[^/]+$")


def check_events_arn(check: Checker, prop: str, arn: object, kind: str) -> str:
    """A literal ARN must be an EventBridge ``<kind>/<name>/<id>`` ARN; tokens pass."""
    if not isinstance(arn, str) or not arn:
        check.fail(prop, arn, f"must be the ARN of an EventBridge {kind} (a string)")
    if is_token(arn):
        return arn
    match = _EVENTS_ARN.match(arn)
    if match is None or match.group("kind") != kind:
        check.fail(
            prop,
            arn,
            f"must be an EventBridge {kind} ARN: arn:<partition>:events:<region>:<account>:"
            f"{kind}/<name>/<id>",
        )
    return arn


def name_of(arn: str) -> str:
    """``<name>`` of ``...:<kind>/<name>/<id>``."""
    if is_token(arn):
        return Fn.select(1, Fn.split("/", arn))
    return arn.split("/")[1]


def without_id(arn: str) -> str:
    """``...:<kind>/<name>``: the form IAM statements name an API destination in."""
    if is_token(arn):
        parts = Fn.split("/", arn)
        return Fn.join("/", [Fn.select(0, parts), Fn.select(1, parts)])
    return "/".join(arn.split("/")[:2])
