#!/usr/bin/env python3
"""The weather-stats demo, rebuilt from momento-eventbridge-constructs.

A DynamoDB table of weather readings per location, kept in a Momento cache (put on INSERT and
MODIFY, evict on REMOVE) and announced on a Momento topic. Synthesizes without an AWS account:

    cdk synth                      # or: python app.py

Context (``-c key=value``):
    api_key_secret_name  Secrets Manager secret holding the Momento API key
                         (default: momento-eventbridge-api-key)
    momento_endpoint     Momento HTTP API base URL (default: the cell for ``region``)
    region               AWS region of the stack (default: CDK_DEFAULT_REGION, else us-west-2)
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
    MomentoPayload,
)

CACHE_NAME = "momento-eventbridge-cache"
TOPIC_NAME = "momento-eventbridge-topic"
DEFAULT_SECRET_NAME = "momento-eventbridge-api-key"
DEFAULT_REGION = "us-west-2"


class WeatherDestinations:
    """One connection and the three API destinations the weather pipes call."""

    def __init__(self, scope: Construct, *, api_key_secret_name: str, endpoint: str) -> None:
        secret = secretsmanager.Secret.from_secret_name_v2(
            scope, "MomentoApiKey", api_key_secret_name
        )
        connection = MomentoConnection(scope, "MomentoConnection", api_key_secret=secret)

        def destination(name: str, operation: MomentoOperation) -> MomentoApiDestination:
            return MomentoApiDestination(
                scope, name, connection=connection, endpoint=endpoint, operation=operation
            )

        self.cache_set = destination("CacheSetDestination", MomentoOperation.CACHE_SET)
        self.cache_delete = destination("CacheDeleteDestination", MomentoOperation.CACHE_DELETE)
        self.topic_publish = destination("TopicPublishDestination", MomentoOperation.TOPIC_PUBLISH)


def add_weather_table(
    scope: Construct, destinations: WeatherDestinations, prefix: str = ""
) -> dynamodb.Table:
    """The table ``Location`` (S) and its three pipes; ``prefix`` names a second table."""
    table = dynamodb.Table(
        scope,
        f"{prefix}WeatherTable",
        partition_key=dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    # The put pipe creates the dead-letter queue; the other two share it.
    put = DynamoToMomentoPipe(
        scope,
        f"{prefix}CacheSetPipe",
        table=table,
        destination=destinations.cache_set,
        cache_name=CACHE_NAME,
        value=MomentoPayload.from_attributes(
            {"MaxTemp": "N", "MinTemp": "N", "ChancesOfPrecipitation": "N"}
        ),
        ttl_attribute="TTL",  # relative seconds, as the items carry it
    )
    DynamoToMomentoPipe(
        scope,
        f"{prefix}CacheDeletePipe",
        table=table,
        destination=destinations.cache_delete,
        cache_name=CACHE_NAME,
        dead_letter_queue=put.dead_letter_queue,
    )
    DynamoToMomentoPipe(
        scope,
        f"{prefix}TopicPublishPipe",
        table=table,
        destination=destinations.topic_publish,
        cache_name=CACHE_NAME,
        topic_name=TOPIC_NAME,
        dead_letter_queue=put.dead_letter_queue,
    )
    cdk.CfnOutput(scope, f"{prefix}TableName", value=table.table_name)
    cdk.CfnOutput(scope, f"{prefix}DeadLetterQueueUrl", value=put.dead_letter_queue.queue_url)
    return table


class WeatherStack(cdk.Stack):
    """Table ``Location`` (S) -> cache put, cache delete and topic publish pipes."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api_key_secret_name: str,
        endpoint: str,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        destinations = WeatherDestinations(
            self, api_key_secret_name=api_key_secret_name, endpoint=endpoint
        )
        add_weather_table(self, destinations)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """The example app; tests call this with their own ``App``."""
    app = app or cdk.App()
    region = app.node.try_get_context("region") or os.environ.get(
        "CDK_DEFAULT_REGION", DEFAULT_REGION
    )
    endpoint = app.node.try_get_context("momento_endpoint") or MomentoEndpoint.for_region(region)
    WeatherStack(
        app,
        "WeatherStack",
        api_key_secret_name=app.node.try_get_context("api_key_secret_name") or DEFAULT_SECRET_NAME,
        endpoint=MomentoEndpoint.from_url(endpoint),
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region),
        description="Weather stats kept in Momento through EventBridge Pipes",
    )
    return app


if __name__ == "__main__":
    # Under the CDK CLI, CDK_OUTDIR is set; run directly, write next to this file.
    outdir = os.environ.get("CDK_OUTDIR") or os.path.join(os.path.dirname(__file__), "cdk.out")
    build_app(cdk.App(outdir=outdir)).synth()
