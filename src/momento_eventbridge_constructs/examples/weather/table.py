"""The weather table and the names every weather stack shares."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from publication import publish

__all__ = [
    "CACHE_NAME",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_NAME",
    "KEY_ATTRIBUTE",
    "TOPIC_NAME",
    "weather_table",
]

CACHE_NAME = "momento-eventbridge-cache"
TOPIC_NAME = "momento-eventbridge-topic"
DEFAULT_SECRET_NAME = "momento-eventbridge-api-key"
DEFAULT_REGION = "us-west-2"
KEY_ATTRIBUTE = "Location"


def weather_table(scope: Construct, prefix: str = "") -> dynamodb.Table:
    """Weather readings keyed by ``Location`` (S), with a stream of new and old images."""
    return dynamodb.Table(
        scope,
        f"{prefix}WeatherTable",
        partition_key=dynamodb.Attribute(name=KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


publish()
