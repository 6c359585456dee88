"""Names AWS defines that the constructs write and the local runtime and commands read.

One definition each, shared by the constructs, ``local`` and ``ops``; pure Python, so reading
them never loads aws-cdk-lib.
"""

from __future__ import annotations

__all__ = [
    "CDK_PARAMETERS",
    "DEFAULT_CONTENT_TYPE",
    "HTTP_INVOKE",
    "PIPES_PRINCIPAL",
    "SQS_SEND_MESSAGE",
    "TABLE_TYPES",
]

# CloudFormation resource types of a DynamoDB table
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html,
# .../aws-resource-dynamodb-globaltable.html).
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

# Step Functions task resources: the HTTP task
# (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html) and SQS
# SendMessage, request-response (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html).
HTTP_INVOKE = "arn:aws:states:::http:invoke"
SQS_SEND_MESSAGE = "arn:aws:states:::sqs:sendMessage"

# The service principal a pipe's role trusts
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
PIPES_PRINCIPAL = "pipes.amazonaws.com"

# The Content-Type an API destination sends a body with unless the pipe sets one
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).
DEFAULT_CONTENT_TYPE = "application/json; charset=utf-8"

# Parameters CDK adds to every template it synthesizes (the bootstrap version check); their
# value comes from SSM once deployed, so neither the local runtime nor the commands need one.
CDK_PARAMETERS = frozenset({"BootstrapVersion"})
