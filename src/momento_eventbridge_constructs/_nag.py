"""Acknowledge policy-validation rules (cdk-nag v3) that a resource cannot satisfy by design.

cdk-nag v3 reads acknowledgements from core ``aws_cdk.Validations``, which only exists in
recent aws-cdk-lib releases; the library supports older ones too, where this is a no-op.
Acknowledge only on resources the library creates, one rule at a time, with a real reason.
"""

from __future__ import annotations

import aws_cdk
from constructs import IConstruct

# Rules the library acknowledges on the dead-letter queue it creates for a pipe.
DEAD_LETTER_QUEUE_RULES = {
    "AwsSolutions-SQS3": (
        "This queue is the pipe's dead-letter queue (Pipes DeadLetterConfig); cdk-nag only "
        "recognises dead-letter queues named in an SQS redrive policy or a Lambda DLQ config."
    ),
    "Serverless-SQSRedrivePolicy": (
        "This queue is itself the pipe's dead-letter queue; giving it a redrive policy would "
        "need another dead-letter queue behind it."
    ),
}


def acknowledge(scope: IConstruct, rules: dict[str, str]) -> None:
    """Acknowledge each rule id (bare, e.g. ``AwsSolutions-SQS3``) on ``scope`` and below."""
    validations = getattr(aws_cdk, "Validations", None)
    acknowledgment = getattr(aws_cdk, "Acknowledgment", None)
    if validations is None or acknowledgment is None:  # aws-cdk-lib without core validations
        return
    validations.of(scope).acknowledge(
        *(acknowledgment(id=rule, reason=reason) for rule, reason in rules.items())
    )
