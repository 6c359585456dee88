#!/usr/bin/env python3
"""N weather tables through momento-eventbridge-constructs.

``per-stack`` reuses the example's ``WeatherStack`` unchanged, once per table. ``one-stack``
builds the same constructs for N tables in one stack, sharing the connection and the three API
destinations (for N = 1 it is ``WeatherStack`` itself).

    python benchmarks/constructs_app.py --tables 10 --layout one-stack --outdir /tmp/out
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import aws_cdk as cdk
from constructs import Construct

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import _common as common

from momento_eventbridge_constructs import MomentoEndpoint
from momento_eventbridge_constructs.examples import weather


class ManyTablesStack(cdk.Stack):
    """``WeatherStack`` for N tables: shared connection and destinations, per-table pipes."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        prefixes: list[str],
        api_key_secret_name: str,
        endpoint: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        destinations = weather.WeatherDestinations(
            self, api_key_secret_name=api_key_secret_name, endpoint=endpoint
        )
        for prefix in prefixes:
            weather.add_weather_table(self, destinations, prefix)


def build(app: cdk.App, n: int, layout: str) -> cdk.App:
    env = cdk.Environment(account=common.account(), region=common.REGION)
    endpoint = MomentoEndpoint.from_url(MomentoEndpoint.for_region(common.REGION))
    options: dict[str, Any] = {
        "api_key_secret_name": weather.DEFAULT_SECRET_NAME,
        "endpoint": endpoint,
        "env": env,
        "description": common.STACK_DESCRIPTION,
    }
    stacks = common.stack_ids(n, layout)
    if layout == "per-stack" or n == 1:
        for stack_id in stacks:
            weather.WeatherStack(app, stack_id, **options)
    else:
        ManyTablesStack(app, stacks[0], prefixes=common.table_prefixes(n, layout), **options)
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
