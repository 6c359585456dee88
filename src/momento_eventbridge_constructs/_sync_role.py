"""What the sync's state machine may do: exactly its connection, Momento calls and queue.

HTTP tasks need ``events:RetrieveConnectionCredentials`` on the connection, read access to the
connection's own secret and ``states:InvokeHTTPEndpoint`` limited by ``states:HTTPEndpoint``
and ``states:HTTPMethod`` (https://docs.aws.amazon.com/step-functions/latest/dg/
call-https-apis.html#connect-http-task-permissions). Logging to CloudWatch Logs needs the log
delivery actions on ``*`` (https://docs.aws.amazon.com/step-functions/latest/dg/
cw-logs.html#cloudwatch-iam-policy): they cannot be scoped to a log group.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ._pipe_role import dead_letter_statements
from ._sync_definition import SyncDefinition

LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]


def state_machine_statements(
    *,
    connection_arn: str,
    connection_secret_arn: str,
    queue_arn: str,
    queue_key: kms.IKey | None,
    logs: bool,
) -> list[iam.PolicyStatement]:
    """The state machine role's statements, except the HTTP call (see invoke_http_statement)."""
    statements = [
        iam.PolicyStatement(
            sid="UseMomentoConnection",
            actions=["events:RetrieveConnectionCredentials"],
            resources=[connection_arn],
        ),
        iam.PolicyStatement(
            sid="ReadConnectionSecret",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[connection_secret_arn],
        ),
        *dead_letter_statements(queue_arn, queue_key),
    ]
    if logs:
        statements.append(
            iam.PolicyStatement(sid="DeliverLogs", actions=LOG_DELIVERY_ACTIONS, resources=["*"])
        )
    return statements


def invoke_http_statement(
    state_machine_arn: str, definition: SyncDefinition
) -> iam.PolicyStatement:
    """Call exactly the Momento URLs and methods of the definition, from this state machine."""
    cache_url = f"{definition.endpoint}/cache/{definition.cache_name}"
    endpoints = [cache_url]
    methods = ["PUT", "DELETE"]
    if definition.topic_name is not None:
        endpoints.append(
            f"{definition.endpoint}/topics/{definition.cache_name}/{definition.topic_name}"
        )
        methods.append("POST")
    return iam.PolicyStatement(
        sid="InvokeMomento",
        actions=["states:InvokeHTTPEndpoint"],
        resources=[state_machine_arn],
        conditions={
            "StringEquals": {"states:HTTPEndpoint": endpoints, "states:HTTPMethod": methods}
        },
    )


def create_state_machine_role(
    scope: Construct, statements: Sequence[iam.PolicyStatement]
) -> iam.Role:
    """A role only Step Functions state machines of this account and region may assume."""
    stack = Stack.of(scope)
    return iam.Role(
        scope,
        "StateMachineRole",
        assumed_by=iam.ServicePrincipal(
            "states.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="states", resource="stateMachine", resource_name="*"
                    )
                },
            },
        ),
        description="Lets the state machine call Momento and park failed changes",
        inline_policies={"ApplyToMomento": iam.PolicyDocument(statements=list(statements))},
    )
