"""Momento access through the stack's own secret, as against AWS without MOMENTO_API_KEY."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PIPES_STACK

pytestmark = pytest.mark.slow


def test_without_momento_api_key_the_key_comes_from_the_stacks_secret(
    deploy: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK)
    monkeypatch.delenv("MOMENTO_API_KEY")
    deployed.lp.dynamodb.put_item(
        TableName=deployed.table("Orders"), Item={"OrderId": {"S": "k"}, "ttl": {"N": "60"}}
    )

    # The connection reads secret "momento-api-key", which the local runtime seeded.
    assert deployed.cli("backfill", "--table-name", deployed.table("Orders")) == 0

    assert deployed.cached("orders", "k") == {"item": {"OrderId": {"S": "k"}, "ttl": {"N": "60"}}}
    output = capsys.readouterr()
    assert deployed.server.api_key not in output.out + output.err
