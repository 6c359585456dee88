"""What the constructs require of the connection, API destination and endpoint they are given,
and the IAM statement that lets a role call a destination.

Checked by members, not classes, so an imported connection or destination passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam

from ._arns import policy_forms
from ._validation import Checker, implements
from .endpoint import MomentoEndpoint
from .errors import MomentoConstructError
from .operation import MomentoOperation

if TYPE_CHECKING:
    from .api_destination import IMomentoApiDestination


def check_connection(check: Checker, connection: object) -> None:
    """``connection`` is an :class:`IMomentoConnection`: it carries an EventBridge connection.

    Checked by its members, not its class, so an imported connection passes; a bare
    ``aws_events.Connection`` (no ``connection`` member) does not."""
    inner = getattr(connection, "connection", None)
    if not (
        implements(inner, "connection_arn")
        and implements(connection, "connection_arn")
        and implements(connection, "connection_secret_arn")
    ):
        check.fail(
            "connection",
            connection,
            "must be a MomentoConnection "
            "(or one from MomentoConnection.from_connection_attributes)",
        )


def grant_invoke(destination: IMomentoApiDestination, grantee: iam.IGrantable) -> iam.Grant:
    """``events:InvokeApiDestination`` for ``grantee`` on ``destination`` in both exact forms."""
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["events:InvokeApiDestination"],
        resource_arns=policy_forms(
            destination.api_destination_arn, destination.api_destination_arn_for_policy
        ),
    )


def check_destination(check: Checker, destination: object) -> None:
    """``destination`` is an :class:`IMomentoApiDestination`: checked by its members, so an
    imported destination passes."""
    if not all(
        implements(destination, member)
        for member in ("operation", "api_destination_arn", "api_destination_arn_for_policy")
    ) or not isinstance(getattr(destination, "operation", None), MomentoOperation):
        check.fail(
            "destination",
            destination,
            "must be a MomentoApiDestination "
            "(or one from MomentoApiDestination.from_api_destination_attributes)",
        )


def invoke_statement(destination: IMomentoApiDestination, sid: str) -> iam.PolicyStatement:
    """``events:InvokeApiDestination`` on ``destination`` in both exact forms: ``ArnForPolicy``
    (the Service Authorization Reference's ``api-destination/<name>``) and the full ARN with its
    ID (how a pipe names its target). Which one EventBridge authorizes the call with is not
    documented: granting both allows it either way, and no other destination."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["events:InvokeApiDestination"],
        resources=policy_forms(
            destination.api_destination_arn, destination.api_destination_arn_for_policy
        ),
    )


def check_endpoint(check: Checker, endpoint: object) -> None:
    """A Momento base URL, or a token."""
    if not isinstance(endpoint, str):
        check.fail(
            "endpoint",
            endpoint,
            "must be a string URL such as MomentoEndpoint.for_region('us-west-2')",
        )
    try:
        MomentoEndpoint.from_url(endpoint)
    except MomentoConstructError as error:
        check.fail("endpoint", endpoint, error.rule)
