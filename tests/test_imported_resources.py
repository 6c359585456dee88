"""Connections and API destinations defined elsewhere: the import factories return their own
objects behind the interfaces the constructs take, and the constructs take any object that
implements them (an imported one, or a team's own wrapper), never a bare ``aws_events`` one."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoApiDestination,
    MomentoConnection,
    MomentoConstructError,
    MomentoOperation,
)

from ._support import ENDPOINT, ENV, template_of, weather_table

CONNECTION_ARN = "arn:aws:events:us-west-2:123456789012:connection/team-momento/0a1b2c3d-aaaa"
SECRET_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:events!connection/team-x"
DESTINATION_ARN = "arn:aws:events:us-west-2:123456789012:api-destination/team-set/1111-2222"


class TeamConnection(Construct):
    """A team's own wrapper around a connection it shares: not a MomentoConnection."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.connection = events.Connection.from_connection_attributes(
            self,
            "Shared",
            connection_arn=CONNECTION_ARN,
            connection_name="team-momento",
            connection_secret_arn=SECRET_ARN,
        )

    @property
    def connection_arn(self) -> str:
        return self.connection.connection_arn

    @property
    def connection_secret_arn(self) -> str:
        return self.connection.connection_secret_arn


class TeamDestination(Construct):
    """A team's own record of a shared destination: not a MomentoApiDestination."""

    operation = MomentoOperation.CACHE_SET
    api_destination_arn = DESTINATION_ARN
    api_destination_arn_for_policy = DESTINATION_ARN.rsplit("/", 1)[0]

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        raise AssertionError("the pipe grants through its own role statement")


class Built:
    """One stack with a team connection and destination, and the imports, synthesized once."""

    def __init__(self) -> None:
        app = cdk.App()
        stack = cdk.Stack(app, "Imports", env=ENV)
        self.secret = secretsmanager.Secret(stack, "Key")
        self.own = MomentoConnection(stack, "Own", api_key_secret=self.secret)
        self.imported = MomentoConnection.from_connection_attributes(
            stack, "Imported", connection_arn=CONNECTION_ARN, connection_secret_arn=SECRET_ARN
        )
        team = TeamConnection(stack, "Team")
        self.destination = MomentoApiDestination(
            stack,
            "Delete",
            connection=team,
            endpoint=ENDPOINT,
            operation=MomentoOperation.CACHE_DELETE,
        )
        self.imported_destination = MomentoApiDestination.from_api_destination_attributes(
            stack, "Put", api_destination_arn=DESTINATION_ARN, operation=MomentoOperation.CACHE_SET
        )
        DynamoToMomentoPipe(
            stack,
            "ToTeam",
            table=weather_table(stack),
            destination=TeamDestination(stack, "TeamPut"),
            cache_name="cache",
        )
        DynamoToMomentoSync(
            stack,
            "Sync",
            table=weather_table(stack, "SyncTable"),
            connection=team,
            endpoint=ENDPOINT,
            cache_name="cache",
        )
        self.template = template_of(app.synth(), "Imports")


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _resources(built: Built, kind: str) -> list[dict[str, Any]]:
    return [r for r in built.template["Resources"].values() if r["Type"] == kind]


def test_an_imported_connection_holds_no_secret_of_this_app(built: Built) -> None:
    assert built.own.api_key_secret is built.secret
    assert not hasattr(built.imported, "api_key_secret")
    assert not isinstance(built.imported, MomentoConnection)
    assert built.imported.connection_arn == CONNECTION_ARN
    assert built.imported.connection_secret_arn == SECRET_ARN


def test_a_constructed_destination_always_has_its_connection_endpoint_and_l2(
    built: Built,
) -> None:
    assert isinstance(built.destination.api_destination, events.ApiDestination)
    assert built.destination.endpoint == ENDPOINT
    assert isinstance(built.destination.connection, TeamConnection)
    imported = built.imported_destination
    assert not isinstance(imported, MomentoApiDestination)
    assert imported.api_destination_arn == DESTINATION_ARN
    assert imported.operation is MomentoOperation.CACHE_SET


def test_a_team_connection_and_destination_are_used_as_given(built: Built) -> None:
    (destination,) = _resources(built, "AWS::Events::ApiDestination")
    assert destination["Properties"]["ConnectionArn"] == CONNECTION_ARN
    targets = [p["Properties"]["Target"] for p in _resources(built, "AWS::Pipes::Pipe")]
    assert DESTINATION_ARN in targets
    (machine,) = _resources(built, "AWS::StepFunctions::StateMachine")
    assert CONNECTION_ARN in str(machine["Properties"])


def test_a_bare_events_connection_or_a_connection_as_destination_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Refused", env=ENV)
    team = TeamConnection(stack, "Team")
    with pytest.raises(MomentoConstructError, match="must be a MomentoConnection") as raised:
        MomentoApiDestination(
            stack,
            "D",
            connection=team.connection,
            endpoint=ENDPOINT,
            operation=MomentoOperation.CACHE_SET,
        )
    assert raised.value.prop == "connection"
    with pytest.raises(MomentoConstructError, match="must be a MomentoApiDestination") as raised:
        DynamoToMomentoPipe(
            stack, "P", table=weather_table(stack), destination=team, cache_name="cache"
        )
    assert raised.value.prop == "destination"
