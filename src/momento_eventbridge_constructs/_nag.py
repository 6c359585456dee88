"""Acknowledge policy-validation rules (cdk-nag v3) that a resource cannot satisfy by design.

cdk-nag v3 reads acknowledgements from core ``aws_cdk.Validations``, which only exists in
recent aws-cdk-lib releases; the library supports older ones too, where this is a no-op.
Acknowledge only on resources the library creates, one rule at a time, with a real reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk
from constructs import IConstruct

# Rules the library acknowledges on the dead-letter queue it creates for a pipe.
DEAD_LETTER_QUEUE_RULES: Mapping[str, str] = {
    "AwsSolutions-SQS3": (
        "This queue is the pipe's dead-letter queue (Pipes DeadLetterConfig); cdk-nag only "
        "recognises dead-letter queues named in an SQS redrive policy or a Lambda DLQ config."
    ),
    "Serverless-SQSRedrivePolicy": (
        "This queue is itself the pipe's dead-letter queue; giving it a redrive policy would "
        "need another dead-letter queue behind it."
    ),
}


# The rule the library acknowledges on the pipe role it creates, and on the policy it attaches
# to a given role: the one statement on "*" is dynamodb:ListStreams.
PIPE_ROLE_RULES: Mapping[str, str] = {
    "AwsSolutions-IAM5[Resource::*]": (
        "dynamodb:ListStreams, which the Pipes page lists for DynamoDB stream sources "
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html), "
        "has no resource type in the Service Authorization Reference, so only '*' grants it; "
        "it lists stream ARNs, never records. Every other statement names exact resources."
    ),
}


# Rules the library acknowledges on the sync's state machine and its role.
STATE_MACHINE_RULES: Mapping[str, str] = {
    "AwsSolutions-SF1": (
        "Logs at the level the user chose (ERROR by default): logging ALL events with their "
        "data would write every cached item to CloudWatch Logs."
    ),
    "AwsSolutions-SF2": (
        "One short EXPRESS execution per stream record; X-Ray tracing of each is left to the "
        "user, who can enable it on the L1 (state_machine.tracing_configuration)."
    ),
    "Serverless-StepFunctionStateMachineXray": (
        "One short EXPRESS execution per stream record; X-Ray tracing is left to the user."
    ),
    "Serverless-StepFunctionStateMachineAllLogging": (
        "Logs at the level the user chose: ALL with execution data would log every item."
    ),
    "AwsSolutions-IAM5[Resource::*]": (
        "Step Functions log delivery needs logs:*LogDelivery and resource-policy actions on "
        "'*' (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html); every "
        "other statement names exact resources."
    ),
}


def acknowledge(scope: IConstruct, rules: Mapping[str, str]) -> None:
    """Acknowledge each rule id (bare, e.g. ``AwsSolutions-SQS3``) on ``scope`` and below."""
    validations = getattr(aws_cdk, "Validations", None)
    acknowledgment = getattr(aws_cdk, "Acknowledgment", None)
    if validations is None or acknowledgment is None:  # aws-cdk-lib without core validations
        return
    validations.of(scope).acknowledge(
        *(acknowledgment(id=rule, reason=reason) for rule, reason in rules.items())
    )
