"""The example's CDK app: every weather stack, configured from the CDK context."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

import aws_cdk as cdk
from constructs import Construct
from publication import publish

from ...endpoint import MomentoEndpoint
from .stacks import WeatherStack, WeatherSyncStack
from .table import DEFAULT_REGION, DEFAULT_SECRET_NAME

__all__ = ["STACKS", "WeatherStackClass", "build_app"]


class WeatherStackClass(Protocol):
    """What :func:`build_app` needs of a stack class: a description and these arguments."""

    DESCRIPTION: str

    def __call__(
        self,
        scope: Construct,
        id: str,
        *,
        api_key_secret_name: str,
        endpoint: str,
        env: cdk.Environment,
        description: str,
    ) -> cdk.Stack: ...


#: The app's stacks by construct ID; a new weather stack is one more entry.
STACKS: Mapping[str, WeatherStackClass] = MappingProxyType(
    {"WeatherStack": WeatherStack, "WeatherSyncStack": WeatherSyncStack}
)


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Add every stack of :data:`STACKS` to ``app`` (a new ``App`` when ``None``).

    Context (``-c name=value``): ``api_key_secret_name`` (the Secrets Manager secret holding
    the Momento API key), ``momento_endpoint`` (default: Momento's cell for ``region``),
    ``region`` (default: ``CDK_DEFAULT_REGION``, else us-west-2).
    """
    app = app or cdk.App()
    region = app.node.try_get_context("region") or os.environ.get(
        "CDK_DEFAULT_REGION", DEFAULT_REGION
    )
    endpoint = app.node.try_get_context("momento_endpoint") or MomentoEndpoint.for_region(region)
    secret_name = app.node.try_get_context("api_key_secret_name") or DEFAULT_SECRET_NAME
    for stack_id, stack_class in STACKS.items():
        stack_class(
            app,
            stack_id,
            api_key_secret_name=secret_name,
            endpoint=MomentoEndpoint.from_url(endpoint),
            env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region),
            description=stack_class.DESCRIPTION,
        )
    return app


publish()
