"""Local AWS changes nothing process-wide: moto's request lines are dropped by its own server,
not by lowering the level of werkzeug's logger for everyone."""

from __future__ import annotations

import logging

import pytest

from momento_eventbridge_constructs.local.aws import LocalAws


def test_moto_requests_are_not_logged_and_werkzeug_keeps_its_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    werkzeug = logging.getLogger("werkzeug")
    caplog.set_level(logging.INFO, logger="werkzeug")
    level = werkzeug.level
    aws = LocalAws().start()
    try:
        assert werkzeug.level == level
        aws.dynamodb().list_tables()
        aws.sqs().list_queues()
    finally:
        aws.stop()
    assert werkzeug.level == level
    assert [r.getMessage() for r in caplog.records if r.name == "werkzeug"] == []


def test_each_instance_has_its_own_clients() -> None:
    first, second = LocalAws().start(), LocalAws().start()
    try:
        assert first.dynamodb() is first.dynamodb()
        assert first.dynamodb() is not second.dynamodb()
        assert first.endpoint != second.endpoint
    finally:
        first.stop()
        second.stop()
