"""``backfill``, ``redrive`` and ``verify`` with ``--parameters``, on a hand-written
TypeScript-style stack whose endpoint and API key are template parameters without a Default;
each command runs in its own process, which must neither import aws-cdk-lib nor start Node.js.

The local runtime plays the deployed stack; it has no CloudFormation stack, so the deployed
parameter values cannot be read (``DescribeStacks`` fails) and only ``--parameters`` gives them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .. import _isolation

STACK = "MomentoEventbridgeStack"
TABLE_ID = "weatherstatsdemotable5A4F8E1B"
DLQ_ID = "momentoeventbridgedlq4E5B9D27"
CACHE = "momento-eventbridge-cache"
PARAMETERS = {
    "MomentoApiKey": "eyJ-the-deployed-key",
    "MomentoApiEndpoint": "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com",
}


@pytest.fixture(scope="module")
def deployed() -> Iterator[Any]:
    from momento_eventbridge_constructs.local import LocalPipeline
    from momento_eventbridge_constructs.local.aws import DEFAULT_ACCOUNT

    lp = LocalPipeline.from_cloud_assembly(
        _isolation.TYPESCRIPT_STACK,
        account_id=DEFAULT_ACCOUNT,
        momento="local",
        parameters=PARAMETERS,
    )
    with lp:
        yield lp


def _environment(lp: Any) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": lp.aws.endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": lp.aws.region,
        "MOMENTO_API_ENDPOINT": lp.momento_endpoint,
        "MOMENTO_API_KEY": lp.momento_server.api_key,
    }


def _resources(lp: Any) -> list[str]:
    names = {pipe.logical_id: pipe.name for pipe in lp.pipes}
    names[TABLE_ID] = lp.table_name(TABLE_ID)
    names[DLQ_ID] = lp.pipes[0].dead_letter_url
    return [f"--resource={logical_id}={name}" for logical_id, name in names.items()]


def _run(lp: Any, tmp_path: Path, command: str, *extra: str) -> Any:
    arguments = [command, str(_isolation.TYPESCRIPT_STACK), "--stack", STACK, *_resources(lp)]
    result, isolation = _isolation.run(
        [*arguments, *extra], tmp_path / f"{command}.json", _environment(lp)
    )
    assert isolation.loaded == [], f"{command} imported aws-cdk-lib"
    assert isolation.spawned == [], f"{command} started a process"
    return result


def _flags() -> list[str]:
    return [f"--parameters={name}={value}" for name, value in PARAMETERS.items()]


@pytest.mark.parametrize("command", ["backfill", "redrive", "verify"])
def test_without_the_parameters_the_error_names_the_flag(
    deployed: Any, tmp_path: Path, command: str
) -> None:
    result = _run(deployed, tmp_path, command)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: parameter MomentoApiEndpoint has no Default: pass its value (--parameters "
        "MomentoApiEndpoint=VALUE on the command line, parameters={'MomentoApiEndpoint': ...} "
        "in Python)\n"
    )


@pytest.mark.slow
def test_backfill_redrive_and_verify_run_with_the_parameters(deployed: Any, tmp_path: Path) -> None:
    table = deployed.table_name(TABLE_ID)
    item = {
        "Location": {"S": "Bergen"},
        "MaxTemp": {"N": "9"},
        "MinTemp": {"N": "4"},
        "ChancesOfPrecipitation": {"N": "95"},
    }
    deployed.dynamodb.put_item(TableName=table, Item=item)
    deployed.drain(timeout=20)
    deployed.momento.delete(CACHE, "Bergen")  # the cache lost it: backfill brings it back

    backfill = _run(deployed, tmp_path, "backfill", *_flags())
    assert backfill.returncode == 0, backfill.stderr
    assert "written: 1" in backfill.stdout
    cached = deployed.momento.get(CACHE, "Bergen")
    assert cached is not None and json.loads(cached)["ChancesOfPrecipitation"] == "95"

    redrive = _run(deployed, tmp_path, "redrive", *_flags())
    assert redrive.returncode == 0, redrive.stderr
    assert "messages: 0" in redrive.stdout

    verify = _run(deployed, tmp_path, "verify", *_flags(), "--timeout", "20")
    assert verify.returncode == 0, verify.stdout + verify.stderr


class _CloudFormation:
    """DescribeStacks of a deployed stack with the two parameters (the only call made)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def describe_stacks(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        deployed = [
            {"ParameterKey": "MomentoApiKey", "ParameterValue": "****"},  # NoEcho
            {"ParameterKey": "MomentoApiEndpoint", "ParameterValue": "https://deployed.example"},
        ]
        return {"Stacks": [{"StackName": STACK, "Parameters": deployed}]}


class _Session:
    region_name = "us-west-2"

    def __init__(self) -> None:
        self.cloudformation = _CloudFormation()

    def client(self, service: str, **options: Any) -> Any:
        assert service == "cloudformation", service
        return self.cloudformation


def test_deployed_parameter_values_are_read_before_the_definitions() -> None:
    from momento_eventbridge_constructs.ops import OpsContext

    session = _Session()
    context = OpsContext.open(_isolation.TYPESCRIPT_STACK, STACK, session=session)
    assert session.cloudformation.calls == [{"StackName": STACK}]
    endpoints = {pipe.endpoint for pipe in context.definitions.pipes}
    assert endpoints == {
        "https://deployed.example/cache/*",
        "https://deployed.example/topics/*/*",
    }


def test_given_parameters_replace_the_deployed_ones_and_need_no_lookup() -> None:
    from momento_eventbridge_constructs.ops import OpsContext

    session = _Session()
    context = OpsContext.open(
        _isolation.TYPESCRIPT_STACK,
        STACK,
        session=session,
        parameters=[f"{name}={value}" for name, value in PARAMETERS.items()],
    )
    assert session.cloudformation.calls == []
    assert context.names.parameters() == PARAMETERS
    endpoint = PARAMETERS["MomentoApiEndpoint"]
    assert {pipe.endpoint for pipe in context.definitions.pipes} == {
        f"{endpoint}/cache/*",
        f"{endpoint}/topics/*/*",
    }
