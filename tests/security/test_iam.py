"""IAM, decided by an evaluator this project did not write (@cloud-copilot/iam-simulate), for
every role the constructs create or are given and every call AWS makes with it.

The stacks (the weather example and a matrix: given roles, an imported table, destination and
connection, customer keys on table and queue, one queue shared by several pipes, syncs with and
without a topic, logging off) are synthesized once; every resource gets the ARN it would have
once deployed to account 111122223333 in eu-west-1 (``tests/_iam.py``). For each pipe and each
state machine the cases are read off the template the way the service reads it: the pipe's
Source, Target, dead-letter queue and log group, the state machine's HTTP tasks and SQS task.
Each call is asked with the ARN AWS names and the context keys it sends, and must be allowed;
the same call on a neighbour (another account, region, pipe name, destination, queue, state
machine, host or method) must be denied. All cases go to one Node.js start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
)
from momento_eventbridge_constructs._asl import every_state
from momento_eventbridge_constructs.examples import weather as weather_example
from momento_eventbridge_constructs.local.roles import RolePolicies

from .._iam import (
    ACCOUNT,
    ALLOWED,
    DENIED,
    OTHER_ACCOUNT,
    OTHER_REGION,
    REGION,
    Deployment,
    assume,
    call,
    simulate,
)
from .._support import weather_table

pytestmark = pytest.mark.slow

ENV = cdk.Environment(account=ACCOUNT, region=REGION)
ENDPOINT = MomentoEndpoint.for_region(REGION)
PIPES, STATES = "pipes.amazonaws.com", "states.amazonaws.com"
HTTP_INVOKE, SQS_SEND = "arn:aws:states:::http:invoke", "arn:aws:states:::sqs:sendMessage"
STREAM_READS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")
LOG_WRITES = ("logs:CreateLogStream", "logs:PutLogEvents")
# What Step Functions needs on "*" to deliver logs (cw-logs.html#cloudwatch-iam-policy).
LOG_DELIVERY = ("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:PutResourcePolicy")
IMPORTED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
IMPORTED_STREAM = (
    f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/readings/stream/2025-01-01T00:00:00.000"
)
IMPORTED_DESTINATION = (
    f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/momento-set/"
    "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
)
IMPORTED_CONNECTION = (
    f"arn:aws:events:{REGION}:{ACCOUNT}:connection/momento/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
)
IMPORTED_SECRET = (
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/momento/"
    "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-XyZ123"
)
SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)


# -- the matrix ------------------------------------------------------------------------------


def _connection(stack: cdk.Stack) -> MomentoConnection:
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "ApiKey", "momento-api-key")
    return MomentoConnection(stack, "Connection", api_key_secret=secret)


def _destination(
    stack: cdk.Stack, connection: MomentoConnection, operation: MomentoOperation
) -> MomentoApiDestination:
    return MomentoApiDestination(
        stack, operation.name, connection=connection, endpoint=ENDPOINT, operation=operation
    )


def _pipe(
    stack: cdk.Stack, id: str, table: dynamodb.ITable, call_: MomentoApiDestination, **props: Any
) -> DynamoToMomentoPipe:
    if call_.operation is PUBLISH:
        props.setdefault("topic_name", "changes")
    return DynamoToMomentoPipe(
        stack, id, table=table, destination=call_, cache_name="readings", **props
    )


def _sync(
    stack: cdk.Stack, id: str, table: dynamodb.ITable, connection: MomentoConnection, **props: Any
) -> DynamoToMomentoSync:
    return DynamoToMomentoSync(
        stack, id, table=table, connection=connection, endpoint=ENDPOINT, cache_name="readings",
        **props,
    )  # fmt: skip


def _given_roles(app: cdk.App) -> None:
    """Roles the user gives: created in the stack, and imported by ARN; named pipes."""
    stack = cdk.Stack(app, "GivenRoles", env=ENV)
    connection = _connection(stack)
    table = weather_table(stack)
    pipes_role = iam.Role(stack, "TeamRole", assumed_by=iam.ServicePrincipal(PIPES))
    _pipe(stack, "Set", table, _destination(stack, connection, SET), role=pipes_role,
          pipe_name="team-set")  # fmt: skip
    imported = iam.Role.from_role_arn(stack, "Imported", f"arn:aws:iam::{ACCOUNT}:role/team-pipes")
    _pipe(stack, "Delete", table, _destination(stack, connection, DELETE), role=imported)
    sync_role = iam.Role(stack, "SyncRole", assumed_by=iam.ServicePrincipal(PIPES))
    _sync(stack, "Sync", weather_table(stack, "Other"), connection, role=sync_role)


def _imported(app: cdk.App) -> None:
    """An imported table (stream ARN, customer key), destination and connection."""
    stack = cdk.Stack(app, "Imported", env=ENV)
    table = dynamodb.Table.from_table_attributes(
        stack,
        "Table",
        table_arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/readings",
        table_stream_arn=IMPORTED_STREAM,
        encryption_key=kms.Key.from_key_arn(stack, "TableKey", IMPORTED_KEY),
    )
    destination = MomentoApiDestination.from_api_destination_attributes(
        stack, "Destination", api_destination_arn=IMPORTED_DESTINATION, operation=SET
    )
    key = dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING)
    _pipe(stack, "Set", table, destination, partition_key=key)
    connection = MomentoConnection.from_connection_attributes(
        stack,
        "Connection",
        connection_arn=IMPORTED_CONNECTION,
        connection_secret_arn=IMPORTED_SECRET,
    )
    _sync(stack, "Sync", weather_table(stack, "Own"), connection, topic_name="changes")


def _encrypted(app: cdk.App) -> None:
    """Customer keys on the table and on the queue (given), for pipes and a sync."""
    stack = cdk.Stack(app, "Encrypted", env=ENV)
    connection = _connection(stack)
    table = weather_table(
        stack,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=kms.Key(stack, "TableKey", enable_key_rotation=True),
    )
    queue = sqs.Queue(
        stack,
        "Dlq",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=kms.Key(stack, "QueueKey", enable_key_rotation=True),
    )
    _pipe(stack, "Set", table, _destination(stack, connection, SET), dead_letter_queue=queue)
    _sync(stack, "Sync", table, connection, dead_letter_queue=queue, topic_name="changes")


def _shared_queue(app: cdk.App) -> None:
    """One queue shared by every operation's pipe and a sync."""
    stack = cdk.Stack(app, "SharedQueue", env=ENV)
    connection = _connection(stack)
    queue = sqs.Queue(stack, "Dlq", encryption=sqs.QueueEncryption.SQS_MANAGED)
    table, other = weather_table(stack), weather_table(stack, "Other")
    for operation, source in ((SET, table), (DELETE, table), (PUBLISH, other)):
        call_ = _destination(stack, connection, operation)
        _pipe(stack, f"{operation.name}Pipe", source, call_, dead_letter_queue=queue)
    _sync(stack, "Sync", weather_table(stack, "Third"), connection, dead_letter_queue=queue)


def _syncs(app: cdk.App) -> None:
    """Syncs with and without a topic, a named one, a batched one, and pipe and sync with
    logging off."""
    stack = cdk.Stack(app, "Syncs", env=ENV)
    connection = _connection(stack)
    _sync(stack, "WithTopic", weather_table(stack, "A"), connection, topic_name="changes",
          pipe_name="readings-sync")  # fmt: skip
    _sync(stack, "WithoutTopic", weather_table(stack, "B"), connection)
    _sync(stack, "Quiet", weather_table(stack, "C"), connection, log_level="OFF")
    _sync(stack, "Batched", weather_table(stack, "E"), connection, topic_name="changes",
          batch_size=30, max_concurrency=10)  # fmt: skip
    _pipe(stack, "QuietPipe", weather_table(stack, "D"), _destination(stack, connection, SET),
          log_level="OFF", pipe_name="quiet-set")  # fmt: skip


MATRIX = (_given_roles, _imported, _encrypted, _shared_queue, _syncs)
STACKS = ("WeatherStack", "WeatherSyncStack", "GivenRoles", "Imported", "Encrypted",
          "SharedQueue", "Syncs")  # fmt: skip


# -- the cases, read off the templates --------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request and the decision AWS must reach."""

    what: str
    request: dict[str, Any]
    expected: str


def _neighbour(arn: str, old: str, new: str) -> str:
    assert old in arn, (old, arn)
    return arn.replace(old, new, 1)


def _name_forms(arn: str) -> tuple[str, str]:
    """``<kind>/<name>`` and ``<kind>/<name>/<id>`` of an EventBridge ARN."""
    return "/".join(arn.split("/")[:2]), arn


class Cases:
    """The cases of one stack."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.found: list[Case] = []
        self.roles: set[str] = set()
        self.queues = [a["Arn"] for a in self._attributes("AWS::SQS::Queue")]
        self.destinations = [a["Arn"] for a in self._attributes("AWS::Events::ApiDestination")]
        self.machines = [a["Arn"] for a in self._attributes("AWS::StepFunctions::StateMachine")]

    def _attributes(self, resource_type: str) -> list[dict[str, str]]:
        return [self.d.attributes[i] for i, _ in self.d.stack.resources_of_type(resource_type)]

    def expect(self, what: str, request: dict[str, Any], expected: str) -> None:
        self.found.append(Case(what, request, expected))

    def all(self) -> list[Case]:
        for logical_id, pipe in self.d.of_type("AWS::Pipes::Pipe").items():
            self._pipe(logical_id, pipe)
        for logical_id, machine in self.d.of_type("AWS::StepFunctions::StateMachine").items():
            self._state_machine(logical_id, machine)
        return self.found

    # -- trust ------------------------------------------------------------------------------

    def _trust(self, role: RolePolicies, service: str, source: str, named: bool) -> None:
        if not role.declared:
            return  # imported by ARN: its trust policy is the user's, outside the stack
        self.expect(f"{service} assumes {role.name} for {source}",
                    assume(role, service, source), ALLOWED)  # fmt: skip
        if not _library_role(role):
            return  # a role the user made: its trust is theirs (here, without conditions)
        other_account = source.replace(f":{ACCOUNT}:", f":{OTHER_ACCOUNT}:")
        other_region = source.replace(f":{REGION}:", f":{OTHER_REGION}:")
        for what, arn in (("another account", other_account), ("another region", other_region)):
            self.expect(f"{service} assumes {role.name} for {what}",
                        assume(role, service, arn), DENIED)  # fmt: skip
        if named:
            other_name = source + "-other"
            self.expect(f"{service} assumes {role.name} for another pipe",
                        assume(role, service, other_name), DENIED)  # fmt: skip

    # -- a pipe -----------------------------------------------------------------------------

    def _pipe(self, logical_id: str, pipe: Mapping[str, Any]) -> None:
        role = self.d.role(pipe["RoleArn"])
        self.roles.add(role.arn)
        arn = self.d.attributes[logical_id]["Arn"]
        self._trust(role, PIPES, arn, named="Name" in pipe)
        self._stream(role, pipe["Source"])
        target = pipe["Target"]
        if ":api-destination/" in target:
            self._api_destination(role, target)
        else:
            self._start(role, target)
        stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
        self._queue(role, stream["DeadLetterConfig"]["Arn"])
        logs = pipe.get("LogConfiguration", {}).get("CloudwatchLogsLogDestination")
        self._log_writes(role, logs["LogGroupArn"] if logs else None)

    def _stream(self, role: RolePolicies, stream: str) -> None:
        other = _neighbour(stream, "table/", "table/other-")
        for action in STREAM_READS:
            self.expect(f"{action} on the stream", call(role, action, stream), ALLOWED)
            self.expect(f"{action} on another stream", call(role, action, other), DENIED)
        # No resource type: the request names "*" (list_amazondynamodb.html).
        self.expect("dynamodb:ListStreams", call(role, "dynamodb:ListStreams", "*"), ALLOWED)
        key = self._table_key(stream)
        if key:
            self._key(role, key, ("kms:Decrypt",), "dynamodb")

    def _table_key(self, stream: str) -> str | None:
        if stream == IMPORTED_STREAM:
            return IMPORTED_KEY
        for logical_id, table in self.d.of_type("AWS::DynamoDB::Table").items():
            if self.d.attributes[logical_id]["StreamArn"] == stream:
                return (table.get("SSESpecification") or {}).get("KMSMasterKeyId")
        raise AssertionError(f"no table has the stream {stream}")

    def _api_destination(self, role: RolePolicies, target: str) -> None:
        action = "events:InvokeApiDestination"
        for form in _name_forms(target):
            self.expect(f"{action} on {form}", call(role, action, form), ALLOWED)
        name = target.split("/")[1]
        for form in _name_forms(_neighbour(target, f"/{name}/", f"/{name}-other/")):
            self.expect(f"{action} on {form}", call(role, action, form), DENIED)
        for other in self.destinations:
            if other != target:
                for form in _name_forms(other):
                    self.expect(f"{action} on {form}", call(role, action, form), DENIED)

    def _start(self, role: RolePolicies, machine: str) -> None:
        action = "states:StartSyncExecution"
        self.expect(f"{action} on the state machine", call(role, action, machine), ALLOWED)
        for other in [machine + "-other", *(m for m in self.machines if m != machine)]:
            self.expect(f"{action} on {other}", call(role, action, other), DENIED)

    def _queue(self, role: RolePolicies, queue: str) -> None:
        action = "sqs:SendMessage"
        self.expect(f"{action} on the dead-letter queue", call(role, action, queue), ALLOWED)
        for other in [queue + "-other", *(q for q in self.queues if q != queue)]:
            self.expect(f"{action} on {other}", call(role, action, other), DENIED)
        key = self._queue_key(queue)
        if key:
            self._key(role, key, ("kms:GenerateDataKey", "kms:Decrypt"), "sqs")

    def _queue_key(self, queue: str) -> str | None:
        for logical_id, properties in self.d.of_type("AWS::SQS::Queue").items():
            if self.d.attributes[logical_id]["Arn"] == queue:
                return properties.get("KmsMasterKeyId")
        raise AssertionError(f"no queue has the ARN {queue}")

    def _key(self, role: RolePolicies, key: str, actions: tuple[str, ...], via: str) -> None:
        context = {"kms:ViaService": f"{via}.{REGION}.amazonaws.com"}
        policy = self.d.key_policy(key)
        other = _neighbour(key, "key/", "key/0000")
        for action in actions:
            self.expect(f"{action} on {key}", call(role, action, key, context, policy), ALLOWED)
            request = call(role, action, other, context, self.d.key_policy(other))
            self.expect(f"{action} on {other}", request, DENIED)

    def _log_writes(self, role: RolePolicies, group: str | None) -> None:
        # Log streams are named inside the group; the group's Arn attribute ends with ":*".
        anywhere = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/other/group:log-stream:s"
        for action in LOG_WRITES:
            if group is not None:
                stream = group.removesuffix(":*") + ":log-stream:pipe-execution"
                self.expect(f"{action} on {stream}", call(role, action, stream), ALLOWED)
            self.expect(f"{action} on {anywhere}", call(role, action, anywhere), DENIED)

    # -- a state machine --------------------------------------------------------------------

    def _state_machine(self, logical_id: str, machine: Mapping[str, Any]) -> None:
        role = self.d.role(machine["RoleArn"])
        self.roles.add(role.arn)
        arn = self.d.attributes[logical_id]["Arn"]
        self._trust(role, STATES, arn, named=False)
        definition = json.loads(machine["DefinitionString"])
        # Every task, those inside the Map iterations of a batched definition included.
        tasks = [s for _, s in every_state(definition) if s.get("Type") == "Task"]
        calls = [t["Arguments"] for t in tasks if t["Resource"] == HTTP_INVOKE]
        assert calls, "a sync's state machine calls Momento"
        for arguments in calls:
            self._http_call(role, arn, arguments)
        self._http_neighbours(role, arn, [(a["Method"], a["ApiEndpoint"]) for a in calls])
        for arguments in [t["Arguments"] for t in tasks if t["Resource"] == SQS_SEND]:
            queue = self._queue_arn(arguments["QueueUrl"])
            self._queue(role, queue)
        logging = bool(machine.get("LoggingConfiguration"))
        for action in LOG_DELIVERY:
            self.expect(f"{action} (logging {'on' if logging else 'off'})",
                        call(role, action, "*"), ALLOWED if logging else DENIED)  # fmt: skip

    def _http_call(self, role: RolePolicies, machine: str, arguments: Mapping[str, Any]) -> None:
        method, endpoint = arguments["Method"], arguments["ApiEndpoint"]
        context = {"states:HTTPEndpoint": endpoint, "states:HTTPMethod": method}
        self.expect(f"{method} {endpoint}",
                    call(role, "states:InvokeHTTPEndpoint", machine, context), ALLOWED)  # fmt: skip
        connection = arguments["Authentication"]["ConnectionArn"]
        action = "events:RetrieveConnectionCredentials"
        for form in _name_forms(connection):
            self.expect(f"{action} on {form}", call(role, action, form), ALLOWED)
        name = connection.split("/")[1]
        for form in _name_forms(_neighbour(connection, f"/{name}/", f"/{name}-other/")):
            self.expect(f"{action} on {form}", call(role, action, form), DENIED)
        secret = self._secret_of(connection)
        for action in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"):
            self.expect(f"{action} on {secret}", call(role, action, secret), ALLOWED)
            other = _neighbour(secret, "events!connection/", "events!connection/other-")
            self.expect(f"{action} on {other}", call(role, action, other), DENIED)

    def _http_neighbours(
        self, role: RolePolicies, machine: str, made: list[tuple[str, str]]
    ) -> None:
        """Every pairing of a method and a URL the machine does not make, another host, and
        its own calls from another state machine: denied."""
        endpoints = {endpoint for _, endpoint in made}
        host = ENDPOINT.split("//", 1)[1]
        asked = [
            (method, endpoint, machine)
            for endpoint in endpoints
            for method in ("GET", "PUT", "POST", "DELETE", "PATCH")
            if (method, endpoint) not in made
        ]
        asked += [(m, e.replace(host, "api.cache.other.example.com"), machine) for m, e in made]
        asked += [(m, e, machine + "-other") for m, e in made]
        for method, endpoint, resource in asked:
            context = {"states:HTTPEndpoint": endpoint, "states:HTTPMethod": method}
            request = call(role, "states:InvokeHTTPEndpoint", resource, context)
            self.expect(f"{method} {endpoint} from {resource}", request, DENIED)

    def _secret_of(self, connection: str) -> str:
        if connection == IMPORTED_CONNECTION:
            return IMPORTED_SECRET
        for logical_id, _ in self.d.stack.resources_of_type("AWS::Events::Connection"):
            if self.d.attributes[logical_id]["Arn"] == connection:
                return self.d.attributes[logical_id]["SecretArn"]
        raise AssertionError(f"no connection has the ARN {connection}")

    def _queue_arn(self, url: str) -> str:
        for attributes in self._attributes("AWS::SQS::Queue"):
            if attributes["Ref"] == url:
                return attributes["Arn"]
        raise AssertionError(f"no queue has the URL {url}")


def _library_role(role: RolePolicies) -> bool:
    """A role the constructs created: its trust has the confused-deputy conditions."""
    statements = (role.trust or {}).get("Statement", [])
    return any("Condition" in statement for statement in statements)


# -- the run ----------------------------------------------------------------------------------


class Matrix:
    def __init__(self, outdir: Path) -> None:
        app = cdk.App(outdir=str(outdir), context={"region": REGION})
        weather_example.build_app(app)
        for scenario in MATRIX:
            scenario(app)
        app.synth()
        self.deployments = {name: Deployment.of(outdir, name) for name in STACKS}
        self.cases: dict[str, list[Case]] = {}
        self.roles: dict[str, set[str]] = {}
        for name, deployment in self.deployments.items():
            cases = Cases(deployment)
            self.cases[name] = cases.all()
            self.roles[name] = cases.roles
        every = [case for cases in self.cases.values() for case in cases]
        decisions = iter(simulate([case.request for case in every]))
        self.decisions = {
            name: [next(decisions) for _ in cases] for name, cases in self.cases.items()
        }


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    yield Matrix(tmp_path_factory.mktemp("iam") / "cdk.out")


@pytest.mark.parametrize("stack", STACKS)
def test_every_call_is_decided_as_aws_must(matrix: Matrix, stack: str) -> None:
    cases, decisions = matrix.cases[stack], matrix.decisions[stack]
    wrong = [
        f"{case.expected} expected, {got}: {case.what}"
        for case, got in zip(cases, decisions, strict=True)
        if got != case.expected
    ]
    assert wrong == [], "\n".join(wrong)
    assert {case.expected for case in cases} == {ALLOWED, DENIED}


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_of_the_stack_is_simulated(matrix: Matrix, stack: str) -> None:
    deployment = matrix.deployments[stack]
    declared = {
        deployment.attributes[logical_id]["Arn"]
        for logical_id, _ in deployment.stack.resources_of_type("AWS::IAM::Role")
    }
    assert declared <= matrix.roles[stack]
    assert matrix.roles[stack]


def test_the_matrix_covers_what_it_claims(matrix: Matrix) -> None:
    every = [case for cases in matrix.cases.values() for case in cases]
    whats = "\n".join(case.what for case in every)
    for part in (
        "states.amazonaws.com assumes",  # state machine roles
        "for another pipe",  # a named pipe narrows the trust
        "kms:Decrypt on arn:aws:kms",  # table and queue keys
        "kms:GenerateDataKey",
        "api-destination/momento-set/0a1b",  # an imported destination, both forms
        "connection/momento/1a2b",  # an imported connection
        "-other/",  # neighbour destinations and connections
        "logs:CreateLogDelivery (logging off)",
        "POST " + ENDPOINT,  # a topic
    ):
        assert part in whats, part
    imported = matrix.deployments["GivenRoles"].role(f"arn:aws:iam::{ACCOUNT}:role/team-pipes")
    assert not imported.declared and imported.identity  # the policy attached to an import


def test_the_evaluator_denies_what_the_old_grants_allowed_nothing_for() -> None:
    """The evaluator is not lenient: the trust pattern, the ListStreams grant and the
    ArnForPolicy-only grant of earlier releases are decided as AWS documents them."""
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Sync-1A2B3C"
    destination = f"{IMPORTED_DESTINATION.rsplit('/', 1)[0]}"
    old = RolePolicies(
        arn=f"arn:aws:iam::{ACCOUNT}:role/old",
        name="old",
        trust=_policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": STATES},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine/*"
                    },
                },
            }
        ),
        identity=(
            _policy(
                {"Effect": "Allow", "Action": "dynamodb:ListStreams", "Resource": IMPORTED_STREAM},
                {
                    "Effect": "Allow",
                    "Action": "events:InvokeApiDestination",
                    "Resource": destination,
                },
            ),
        ),
        declared=True,
    )
    assert simulate(
        [
            assume(old, STATES, machine),
            call(old, "dynamodb:ListStreams", "*"),
            call(old, "events:InvokeApiDestination", destination),
            call(old, "events:InvokeApiDestination", IMPORTED_DESTINATION),
        ]
    ) == [DENIED, DENIED, ALLOWED, DENIED]


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}
