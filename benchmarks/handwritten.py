#!/usr/bin/env python3
"""The baseline: the weather example's resources written by hand with aws-cdk-lib L1/L2 classes.

No momento_eventbridge_constructs import; every property is spelled out as a CDK user would
write it without the library. ``check_equivalence.py`` proves the templates equal the
constructs' (same resources, same properties; logical IDs differ only in their hash suffix,
because these constructs sit flat in the stack instead of under an L3 construct).

    python benchmarks/handwritten.py --tables 10 --layout one-stack --outdir /tmp/out
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

CACHE_NAME = "momento-eventbridge-cache"
TOPIC_NAME = "momento-eventbridge-topic"
SECRET_NAME = "momento-eventbridge-api-key"
ENDPOINT = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"

PUT_TEMPLATE = (
    '{"Location": <$.dynamodb.Keys.Location.S>, "MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>, '
    '"MinTemp": <$.dynamodb.NewImage.MinTemp.N>, '
    '"ChancesOfPrecipitation": <$.dynamodb.NewImage.ChancesOfPrecipitation.N>}'
)
NOTICE_TEMPLATE = (
    '{"eventName": <$.eventName>, "keys": <$.dynamodb.Keys>, '
    '"sequenceNumber": <$.dynamodb.SequenceNumber>}'
)


class HandWrittenStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, prefixes: list[str], **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)

        secret = secretsmanager.Secret.from_secret_name_v2(self, "MomentoApiKey", SECRET_NAME)
        connection = events.Connection(
            self,
            "MomentoConnection",
            authorization=events.Authorization.api_key("Authorization", secret.secret_value),
            description=(
                "Momento API key, sent as the Authorization header to the Momento HTTP API"
            ),
        )
        destinations = {}
        for name, method, path in (
            ("CacheSet", events.HttpMethod.PUT, "/cache/*"),
            ("CacheDelete", events.HttpMethod.DELETE, "/cache/*"),
            ("TopicPublish", events.HttpMethod.POST, "/topics/*/*"),
        ):
            destinations[name] = events.ApiDestination(
                self,
                f"{name}DestinationApiDestination",
                connection=connection,
                endpoint=ENDPOINT + path,
                http_method=method,
                description=f"Momento HTTP API: {method.name} {path}",
            )

        pipe_source_arn = self.format_arn(service="pipes", resource="pipe", resource_name="*")
        trust = {
            "StringEquals": {"aws:SourceAccount": self.account},
            "ArnLike": {"aws:SourceArn": pipe_source_arn},
        }
        for p in prefixes:
            self._table(p, destinations, trust)

    def _table(
        self, p: str, destinations: dict[str, events.ApiDestination], trust: dict[str, Any]
    ) -> None:
        table = dynamodb.Table(
            self,
            f"{p}WeatherTable",
            partition_key=dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        stream_arn = table.table_stream_arn
        assert stream_arn is not None
        dlq = sqs.Queue(
            self,
            f"{p}CacheSetPipeDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        dlq_arn = dlq.queue_arn

        key_query = {"key": "$.dynamodb.Keys.Location.S"}
        specs = (
            # name, event names, input template, query, headers, path parameters
            (
                "CacheSet",
                ["INSERT", "MODIFY"],
                PUT_TEMPLATE,
                {**key_query, "ttl_seconds": "$.dynamodb.NewImage.TTL.N"},
                None,
                [CACHE_NAME],
            ),
            ("CacheDelete", ["REMOVE"], None, key_query, None, [CACHE_NAME]),
            (
                "TopicPublish",
                ["INSERT", "MODIFY", "REMOVE"],
                NOTICE_TEMPLATE,
                None,
                {"Content-Type": "text/plain"},
                [CACHE_NAME, TOPIC_NAME],
            ),
        )
        operations = {"CacheSet": "CACHE_SET", "CacheDelete": "CACHE_DELETE"}
        for name, event_names, template, query, headers, path_values in specs:
            destination = destinations[name]
            log_group = logs.LogGroup(
                self, f"{p}{name}PipeLogGroup", retention=logs.RetentionDays.ONE_MONTH
            )
            log_group_arn = log_group.log_group_arn
            statements = [
                iam.PolicyStatement(
                    sid="ReadTableStream",
                    actions=[
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                        "dynamodb:ListStreams",
                    ],
                    resources=[stream_arn],
                ),
                iam.PolicyStatement(
                    sid="InvokeMomento",
                    actions=["events:InvokeApiDestination"],
                    resources=[destination.api_destination_arn_for_policy],  # type: ignore[list-item]
                ),
                iam.PolicyStatement(
                    sid="SendToDeadLetterQueue", actions=["sqs:SendMessage"], resources=[dlq_arn]
                ),
                iam.PolicyStatement(
                    sid="WriteLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group_arn],
                ),
            ]
            role = iam.Role(
                self,
                f"{p}{name}PipeRole",
                assumed_by=iam.ServicePrincipal("pipes.amazonaws.com", conditions=trust),
                description="Lets an EventBridge pipe apply DynamoDB stream records to Momento",
                inline_policies={"DynamoToMomento": iam.PolicyDocument(statements=statements)},
            )
            pipe = pipes.CfnPipe(
                self,
                f"{p}{name}Pipe",
                role_arn=role.role_arn,
                source=stream_arn,
                source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                    dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                        starting_position="LATEST",
                        batch_size=1,
                        maximum_retry_attempts=5,
                        maximum_record_age_in_seconds=3600,
                        dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=dlq_arn),
                    ),
                    filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                        filters=[
                            pipes.CfnPipe.FilterProperty(
                                pattern=json.dumps(
                                    {"eventName": event_names}, separators=(",", ":")
                                )
                            )
                        ]
                    ),
                ),
                target=destination.api_destination_arn,
                target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                    input_template=template,
                    http_parameters=pipes.CfnPipe.PipeTargetHttpParametersProperty(
                        path_parameter_values=path_values,
                        query_string_parameters=query,
                        header_parameters=headers,
                    ),
                ),
                log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                    level="ERROR",
                    cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                        log_group_arn=log_group_arn
                    ),
                ),
                description=(
                    "DynamoDB stream to Momento: "
                    f"{operations.get(name, 'TOPIC_PUBLISH')} on cache {CACHE_NAME}"
                ),
            )
            if name == "CacheSet":
                cloudwatch.Alarm(
                    self,
                    f"{p}CacheSetPipeDeadLetterQueueAlarm",
                    alarm_description=(
                        "Momento updates failed after every retry and are in the dead-letter "
                        "queue. Each message names a stream shard and sequence range; the records "
                        "stay in the stream for 24 hours."
                    ),
                    metric=dlq.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1), statistic="Maximum"
                    ),
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            cloudwatch.Alarm(
                self,
                f"{p}{name}PipeFailureAlarm",
                alarm_description="The pipe failed to apply DynamoDB changes to Momento.",
                metric=cloudwatch.Metric(
                    namespace="AWS/EventBridge/Pipes",
                    metric_name="ExecutionFailed",
                    dimensions_map={"PipeName": pipe.ref},
                    statistic="Sum",
                    period=Duration.minutes(5),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )

        cdk.CfnOutput(self, f"{p}TableName", value=table.table_name)
        cdk.CfnOutput(self, f"{p}DeadLetterQueueUrl", value=dlq.queue_url)


def build(app: cdk.App, n: int, layout: str) -> cdk.App:
    env = cdk.Environment(account=common.account(), region=common.REGION)
    stacks = common.stack_ids(n, layout)
    prefixes = common.table_prefixes(n, layout)
    for stack_id in stacks:
        HandWrittenStack(
            app, stack_id, prefixes=prefixes, env=env, description=common.STACK_DESCRIPTION
        )
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1)
    parser.add_argument("--layout", choices=common.LAYOUTS, default="per-stack")
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args(argv)
    build(cdk.App(outdir=args.outdir, context=common.CONTEXT), args.tables, args.layout).synth()


if __name__ == "__main__":
    main()
