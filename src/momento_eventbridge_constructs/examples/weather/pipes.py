"""The weather table's three pipes: cache put, cache delete and topic publish."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from publication import publish

from ...api_destination import MomentoApiDestination
from ...connection import MomentoConnection
from ...operation import MomentoOperation
from ...payload import MomentoPayload
from ...pipe import DynamoToMomentoPipe
from .table import CACHE_NAME, TOPIC_NAME, weather_table

__all__ = ["WeatherDestinations", "add_weather_table"]


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
    """The table and its three pipes; ``prefix`` names a second table in the same scope."""
    table = weather_table(scope, prefix)
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


publish()
