"""Local AWS changes nothing process-wide: moto's request lines are dropped by its own server,
not by lowering the level of werkzeug's logger for everyone."""

from __future__ import annotations

import logging

import pytest

from momento_eventbridge_constructs.local.aws import LocalAws
from momento_eventbridge_constructs.local.secret_redaction import PLACEHOLDER


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


def test_secret_values_stay_out_of_the_sdk_debug_logs_and_no_logger_level_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sdk = [logging.getLogger(name) for name in ("botocore", "boto3", "urllib3")]
    levels = [logger.level for logger in sdk]
    value = "a-secret-value-0123456789"
    aws = LocalAws().start()
    try:
        client = aws.secretsmanager()
        arn = client.create_secret(Name="the-key", SecretString=value)["ARN"]
        assert [logger.level for logger in sdk] == levels
        assert client.get_secret_value(SecretId=arn)["SecretString"] == value
        assert client.get_secret_value(SecretId="the-key")["Name"] == "the-key"
    finally:
        aws.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert any("Making request" in m and PLACEHOLDER in m for m in messages)
    assert any("Response body" in m for m in messages)
    assert [m for m in messages if value in m] == []
    assert [logger.level for logger in sdk] == levels
