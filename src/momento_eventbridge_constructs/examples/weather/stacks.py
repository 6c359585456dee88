"""The stacks of the weather example."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from .pipes import WeatherDestinations, add_weather_table

__all__ = ["WeatherStack"]


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
