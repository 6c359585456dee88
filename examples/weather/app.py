#!/usr/bin/env python3
"""The weather-stats example as a CDK app of your own: copy this file and adapt it.

The stack itself ships with the package (``momento_eventbridge_constructs.examples.weather``);
this app only configures it. Synthesizes without an AWS account:

    cdk synth                      # or: python app.py  (writes ./cdk.out)

Context (``-c key=value``):
    api_key_secret_name  Secrets Manager secret holding the Momento API key
                         (default: momento-eventbridge-api-key)
    momento_endpoint     Momento HTTP API base URL (default: the cell for ``region``)
    region               AWS region of the stack (default: CDK_DEFAULT_REGION, else us-west-2)
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from momento_eventbridge_constructs import MomentoEndpoint
from momento_eventbridge_constructs.examples.weather import WeatherStack

# Under the CDK CLI, CDK_OUTDIR is set; run directly, write ./cdk.out.
app = cdk.App(outdir=os.environ.get("CDK_OUTDIR") or "cdk.out")
region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION", "us-west-2")
endpoint = app.node.try_get_context("momento_endpoint") or MomentoEndpoint.for_region(region)
WeatherStack(
    app,
    "WeatherStack",
    api_key_secret_name=app.node.try_get_context("api_key_secret_name")
    or "momento-eventbridge-api-key",
    endpoint=MomentoEndpoint.from_url(endpoint),
    env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region),
    description="Weather stats kept in Momento through EventBridge Pipes",
)
app.synth()
