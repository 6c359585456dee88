"""Shared naming and app set-up for the benchmark apps (constructs and hand-written).

Both apps build the same shape so their templates can be compared resource for resource:

* ``layout="per-stack"``: N stacks, each one the weather example (table, connection, three API
  destinations, dead-letter queue, three pipes with role, log group and failure alarm, one
  dead-letter-queue alarm, two outputs).
* ``layout="one-stack"``: one stack with one connection and three API destinations shared by N
  tables, each table with its dead-letter queue, three pipes and their alarms.

For N = 1 both layouts are exactly the weather example (``WeatherStack``).
"""

from __future__ import annotations

import os

LAYOUTS = ("per-stack", "one-stack")
REGION = "us-west-2"
STACK_DESCRIPTION = "Weather stats kept in Momento through EventBridge Pipes"
# 805 resources for N=50 in one stack: above CloudFormation's 500, so the stack could not be
# deployed; the benchmark measures synthesis only, so both apps lift CDK's synth-time check.
CONTEXT = {"@aws-cdk/core:stackResourceLimit": 0}


def stack_ids(n: int, layout: str) -> list[str]:
    if layout == "per-stack":
        return ["WeatherStack"] if n == 1 else [f"WeatherStack{i}" for i in range(n)]
    if layout == "one-stack":
        return ["WeatherStack"]
    raise ValueError(f"unknown layout {layout!r}; use one of {LAYOUTS}")


def table_prefixes(n: int, layout: str) -> list[str]:
    """Construct ID prefix of each table's resources within its stack."""
    if layout == "per-stack" or n == 1:
        return [""]
    return [f"T{i}" for i in range(n)]


def account() -> str | None:
    return os.environ.get("CDK_DEFAULT_ACCOUNT")


def pipes_per_app(n: int) -> int:
    return 3 * n
