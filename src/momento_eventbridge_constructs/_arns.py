"""Names taken from EventBridge ARNs of imported resources, literal or token, and the forms IAM
statements name them in.

EventBridge returns connection and API destination ARNs with a trailing ID
(``...:connection/<name>/<id>``, ``...:api-destination/<name>/<id>``), while the Service
Authorization Reference writes both resource types without it
(``arn:${Partition}:events:${Region}:${Account}:api-destination/${ApiDestinationName}``,
``...:connection/${ConnectionName}``,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies).
Which form EventBridge and Step Functions authorize a call with is not documented, so grants
name both exact forms (:func:`policy_forms`): the call is allowed either way, and no other
connection or destination is.
"""

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
    """``...:<kind>/<name>``: the form the Service Authorization Reference writes."""
    if is_token(arn):
        parts = Fn.split("/", arn)
        return Fn.join("/", [Fn.select(0, parts), Fn.select(1, parts)])
    return "/".join(arn.split("/")[:2])


def policy_forms(arn: str, arn_for_policy: str) -> list[str]:
    """Both exact forms of one connection or API destination: ``<kind>/<name>`` (the
    reference's, e.g. an API destination's ``ArnForPolicy``) and ``<kind>/<name>/<id>``."""
    return [arn_for_policy, arn]
