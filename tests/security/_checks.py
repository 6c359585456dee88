"""The checks every synthesized template must pass: cdk-nag v3 and cfn-lint.

Both tools are loaded once per test session: cdk-nag packs reset their state on every
``validate_scope`` call, and one cfn-lint ``Runner`` validates any number of templates.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import aws_cdk as cdk
from constructs import IConstruct

from .._support import ENV

# The stacks' region: cfn-lint checks resource types and properties against its spec.
LINT_REGIONS = [ENV.region]


class Violation(NamedTuple):
    rule: str  # e.g. "AwsSolutions-SQS3"
    path: str  # construct path of the violating resource, e.g. "S/Queue/Resource"
    severity: str  # "error" or "warning"


@functools.cache
def _packs() -> tuple[Any, ...]:
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    return (AwsSolutionsChecks(), ServerlessChecks())


def nag(scope: IConstruct) -> list[Violation]:
    """Every unacknowledged AwsSolutions and Serverless finding under ``scope``.

    ``validate_scope`` walks the construct tree (no synth), so one call covers every stack of
    an app; the construct paths say which stack each finding belongs to.
    """
    found = []
    for pack in _packs():
        report = pack.validate_scope(scope)
        for violation in report.violations:
            for resource in violation.violating_resources:
                found.append(
                    Violation(violation.rule_name, resource.construct_path, violation.severity)
                )
    return sorted(found)


def nag_by_stack(app: cdk.App) -> dict[str, list[Violation]]:
    """:func:`nag` over a whole app, grouped by top-level stack id."""
    grouped: dict[str, list[Violation]] = {}
    for violation in nag(app):
        grouped.setdefault(violation.path.split("/", 1)[0], []).append(violation)
    return grouped


@functools.cache
def _runner() -> Any:
    from cfnlint import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=LINT_REGIONS))


def lint(template: dict[str, Any]) -> list[str]:
    """Every cfn-lint match (errors, warnings and anything else) as ``"W1234 message"``."""
    return sorted(
        f"{match.rule.id} {match.message}" for match in _runner().validate_template(template)
    )


def acknowledge(scope: IConstruct, rules: dict[str, str]) -> None:
    """What a user does for a finding their own resource cannot satisfy (bare rule ids)."""
    cdk.Validations.of(scope).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in rules.items())
    )


# A queue the user gives as the pipe's dead-letter queue: the same two rules the library
# acknowledges on the queue it creates (see momento_eventbridge_constructs._nag).
USER_DEAD_LETTER_QUEUE_RULES = {
    "AwsSolutions-SQS3": "Dead-letter queue of an EventBridge pipe, which cdk-nag cannot see.",
    "Serverless-SQSRedrivePolicy": "This queue is itself a dead-letter queue.",
}
