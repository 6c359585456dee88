"""The stacks of the weather example."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from publication import publish

from ...connection import MomentoConnection
from ...payload import MomentoPayload
from ...sync import DynamoToMomentoSync
from .pipes import WeatherDestinations, add_weather_table
from .table import CACHE_NAME, TOPIC_NAME, weather_table

__all__ = ["WeatherStack", "WeatherSyncStack"]


class WeatherStack(cdk.Stack):
    """Table ``Location`` (S) -> cache put, cache delete and topic publish pipes."""

    DESCRIPTION = "Weather stats kept in Momento through EventBridge Pipes"

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


class WeatherSyncStack(cdk.Stack):
    """The same table and cache through one ordered reader (``DynamoToMomentoSync``)."""

    DESCRIPTION = "Weather stats kept in Momento, in stream order, through one pipe"

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
        secret = secretsmanager.Secret.from_secret_name_v2(
            self, "MomentoApiKey", api_key_secret_name
        )
        connection = MomentoConnection(self, "MomentoConnection", api_key_secret=secret)
        table = weather_table(self)
        sync = DynamoToMomentoSync(
            self,
            "WeatherSync",
            table=table,
            connection=connection,
            endpoint=endpoint,
            cache_name=CACHE_NAME,
            topic_name=TOPIC_NAME,
            # The same body as WeatherStack's put pipe, so readers of the cache see no change.
            value=MomentoPayload.from_attributes(
                {"MaxTemp": "N", "MinTemp": "N", "ChancesOfPrecipitation": "N"}
            ),
            ttl_attribute="TTL",  # relative seconds, as the items carry it
        )
        cdk.CfnOutput(self, "TableName", value=table.table_name)
        cdk.CfnOutput(self, "DeadLetterQueueUrl", value=sync.dead_letter_queue.queue_url)


publish()
