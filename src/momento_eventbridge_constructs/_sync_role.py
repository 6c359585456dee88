"""What the sync's state machine may do: exactly its connection, Momento calls and queue.

HTTP tasks need ``events:RetrieveConnectionCredentials`` on the connection (granted in both
forms, see ``_arns``: the Step Functions page's example names the full ARN, the reference
the name only), read access to the connection's own secret and ``states:InvokeHTTPEndpoint``
limited by ``states:HTTPEndpoint`` and ``states:HTTPMethod``, see
https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html#connect-http-task-permissions.
Logging to CloudWatch Logs needs the log delivery actions on ``*`` (https://docs.aws.amazon.com/step-functions/latest/dg/
cw-logs.html#cloudwatch-iam-policy): they cannot be scoped to a log group.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ._arns import policy_forms, without_id
from ._pipe_role import dead_letter_statements
from ._sync_definition import SyncDefinition

LOG_DELIVERY_ACTIONS: Sequence[str] = [
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
            resources=policy_forms(connection_arn, without_id(connection_arn)),
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


def invoke_http_statements(
    state_machine_arn: str, definition: SyncDefinition
) -> list[iam.PolicyStatement]:
    """Call exactly the Momento URLs of the definition, each with its own methods only (one
    statement per URL: a single one would also allow every other pairing, e.g. a POST to the
    cache URL), from this state machine.

    The resource is the state machine, as on the Step Functions page above; the Service
    Authorization Reference lists ``states:InvokeHTTPEndpoint`` with no resource type and no
    condition key, while that page documents both keys and the resource.
    """
    calls = [("InvokeMomentoCache", f"/cache/{definition.cache_name}", ["PUT", "DELETE"])]
    if definition.topic_name is not None:
        path = f"/topics/{definition.cache_name}/{definition.topic_name}"
        calls.append(("InvokeMomentoTopic", path, ["POST"]))
    return [
        iam.PolicyStatement(
            sid=sid,
            actions=["states:InvokeHTTPEndpoint"],
            resources=[state_machine_arn],
            conditions={
                "StringEquals": {
                    "states:HTTPEndpoint": definition.endpoint + path,
                    "states:HTTPMethod": methods,
                }
            },
        )
        for sid, path, methods in calls
    ]


def create_state_machine_role(
    scope: Construct, statements: Sequence[iam.PolicyStatement]
) -> iam.Role:
    """A role only Step Functions state machines of this account and region may assume.

    A state machine's ARN is ``arn:${Partition}:states:${Region}:${Account}:stateMachine:
    ${StateMachineName}``, a colon before the name
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html#awsstepfunctions-resources-for-iam-policies;
    the trust policy of https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html
    matches ``stateMachine:*``). The name is generated and the machine's own ARN would be a
    cycle, so any state machine of this account and region matches.
    """
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
                        service="states",
                        resource="stateMachine",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                },
            },
        ),
        description="Lets the state machine call Momento and park failed changes",
        inline_policies={"ApplyToMomento": iam.PolicyDocument(statements=list(statements))},
    )
