"""The console entry point: ``local`` and ``demo``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local.cli import main


@pytest.fixture(scope="module")
def demo_assembly(
    tmp_path_factory: pytest.TempPathFactory, weather_app_builder: Any
) -> Iterator[Path]:
    options = weather_app_builder.Options(poison_pipe=False)
    yield weather_app_builder(tmp_path_factory.mktemp("demo") / "cdk.out", options)


def test_demo_runs_the_weather_story(
    demo_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(demo_assembly)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    for expected in (
        "==> inserting New York, San Francisco, Rio de Janeiro",
        "==> updating New York",
        "==> deleting San Francisco",
        "ok   San Francisco evicted",
        "ok   New York updated in the cache",
        "San Francisco    (not in cache)",
        '"eventName": "REMOVE"',
        "Demo finished: every expectation met.",
    ):
        assert expected in out, expected


def test_demo_fails_when_an_expectation_is_not_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The cache-put pipe reads an attribute the demo items do not have: every put fails.
    template = {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "Location", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "Location", "AttributeType": "S"}],
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                },
            },
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Connection": {
                "Type": "AWS::Events::Connection",
                "Properties": {
                    "AuthorizationType": "API_KEY",
                    "AuthParameters": {
                        "ApiKeyAuthParameters": {
                            "ApiKeyName": "Authorization",
                            "ApiKeyValue": "{{resolve:secretsmanager:k:SecretString:apiKey::}}",
                        }
                    },
                },
            },
            "Put": {
                "Type": "AWS::Events::ApiDestination",
                "Properties": {
                    "ConnectionArn": {"Fn::GetAtt": ["Connection", "Arn"]},
                    "HttpMethod": "PUT",
                    "InvocationEndpoint": "https://api.cache.example.test/cache/*",
                },
            },
            "PutPipe": {
                "Type": "AWS::Pipes::Pipe",
                "Properties": {
                    "RoleArn": "arn:aws:iam::1:role/r",
                    "Source": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "Target": {"Fn::GetAtt": ["Put", "Arn"]},
                    "SourceParameters": {
                        "DynamoDBStreamParameters": {
                            "StartingPosition": "LATEST",
                            "BatchSize": 1,
                            "MaximumRetryAttempts": 0,
                            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
                        }
                    },
                    "TargetParameters": {
                        "InputTemplate": '{"Humidity": <$.dynamodb.NewImage.Humidity.N>}',
                        "HttpParameters": {
                            "PathParameterValues": ["c"],
                            "QueryStringParameters": {
                                "key": "$.dynamodb.Keys.Location.S",
                                "ttl_seconds": "60",
                            },
                        },
                    },
                },
            },
        }
    }
    (tmp_path / "Broken.template.json").write_text(json.dumps(template))
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "version": "1",
                "artifacts": {
                    "Broken": {
                        "type": "aws:cloudformation:stack",
                        "properties": {"templateFile": "Broken.template.json"},
                    }
                },
            }
        )
    )
    assert main(["demo", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL New York cached with MaxTemp 80" in out
    assert "FAIL no dead letters (5 found)" in out
    assert "Demo FAILED" in out


def test_demo_reports_a_missing_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(tmp_path / "nowhere")]) == 2
    assert "not a cloud assembly" in capsys.readouterr().err


def test_local_prints_endpoints_and_deliveries(
    demo_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", str(demo_assembly), "--exit-after", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "Local AWS (moto):   http://127.0.0.1:" in out
    assert "Momento (local Momento): http://127.0.0.1:" in out
    assert "Pipe WeatherStack-CachePutPipe: PUT" in out
    assert "Running; press Ctrl-C to stop." in out
    assert out.rstrip().endswith("Stopping.")
