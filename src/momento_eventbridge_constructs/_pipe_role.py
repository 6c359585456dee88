"""The role a pipe assumes: least privilege, trusted only by pipes of this account and region.

The DynamoDB actions are the ones the Pipes page lists for a DynamoDB stream source
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
``dynamodb:ListStreams`` has no resource type in the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html#amazondynamodb-actions-as-permissions),
so only a statement on ``*`` grants it; it lists stream ARNs and labels, never records.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ._aws_names import PIPES_PRINCIPAL


def pipe_statements(
    *,
    stream_arn: str,
    target: iam.PolicyStatement,
    queue_arn: str,
    log_group_arn: str | None,
    table_key: kms.IKey | None,
    queue_key: kms.IKey | None,
) -> list[iam.PolicyStatement]:
    """Exactly what a pipe needs: read the stream, call its target, send dead letters, write
    its logs, and use the customer keys of the table and the queue when they have one."""
    send, *encrypt = dead_letter_statements(queue_arn, queue_key)
    statements = [
        iam.PolicyStatement(
            sid="ReadTableStream",
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
            ],
            resources=[stream_arn],
        ),
        iam.PolicyStatement(
            sid="ListTableStreams", actions=["dynamodb:ListStreams"], resources=["*"]
        ),
        target,
        send,
    ]
    if log_group_arn is not None:
        statements.append(
            iam.PolicyStatement(
                sid="WriteLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group_arn],
            )
        )
    if table_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid="DecryptTableStream", actions=["kms:Decrypt"], resources=[table_key.key_arn]
            )
        )
    statements.extend(encrypt)
    return statements


def dead_letter_statements(queue_arn: str, queue_key: kms.IKey | None) -> list[iam.PolicyStatement]:
    """Send to the dead-letter queue: ``sqs:SendMessage`` only, and its customer key if any."""
    statements = [
        iam.PolicyStatement(
            sid="SendToDeadLetterQueue", actions=["sqs:SendMessage"], resources=[queue_arn]
        )
    ]
    if queue_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid="EncryptDeadLetters",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[queue_key.key_arn],
            )
        )
    return statements


def create_pipe_role(
    scope: Construct, statements: Sequence[iam.PolicyStatement], pipe_name: str | None
) -> iam.Role:
    """A role with the statements inline, assumable only by pipes of this account and region.

    The ``aws:SourceArn`` pattern is built without the pipe's own ARN, which would be a cycle,
    in the reference's pipe ARN format ``arn:${Partition}:pipes:${Region}:${Account}:pipe/${Name}``
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgepipes.html#amazoneventbridgepipes-resources-for-iam-policies).
    """
    stack = Stack.of(scope)
    conditions = {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {
            "aws:SourceArn": stack.format_arn(
                service="pipes", resource="pipe", resource_name=pipe_name or "*"
            )
        },
    }
    return iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal(PIPES_PRINCIPAL, conditions=conditions),
        description="Lets an EventBridge pipe apply DynamoDB stream records to Momento",
        inline_policies={"DynamoToMomento": iam.PolicyDocument(statements=list(statements))},
    )


def attach_to_given_role(
    scope: Construct, role: iam.IRole, statements: Sequence[iam.PolicyStatement]
) -> iam.Policy:
    """A policy the given role attaches, if it accepts policies.

    ``attach_inline_policy`` is a no-op on an immutable role (``mutable=False``,
    ``without_policy_updates()``) and on a role of another account; the policy then renders
    nothing, and the user grants what the pipe needs.
    """
    policy = iam.Policy(scope, "Policy", statements=list(statements))
    role.attach_inline_policy(policy)
    return policy
