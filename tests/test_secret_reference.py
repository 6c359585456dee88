"""How the connection references the API key's secret, for every way of importing it.

Secrets Manager reads a partial ARN's final hyphen and six characters as the random suffix
of a full ARN, so ``...:secret:prod-secret`` does not resolve ("partial ARN",
https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html); a dynamic
reference by name or by full ARN always does.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager

from momento_eventbridge_constructs import MomentoConnection, MomentoConstructError

from ._support import ENV

FULL_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:prod-secret-AbCdEf"


def api_key_value(make_secret: Any, field: str | None = None) -> Any:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    connection = MomentoConnection(
        stack, "M", api_key_secret=make_secret(stack), api_key_secret_field=field
    )
    resource = connection.node.default_child
    assert isinstance(resource, cdk.CfnResource)
    properties = stack.resolve(resource._cfn_properties)  # type: ignore[attr-defined]
    return properties["authParameters"]["apiKeyAuthParameters"]["apiKeyValue"]


@pytest.mark.parametrize("name", ["prod-secret", "momento-api-key", "momento/api-key", "key"])
def test_a_secret_imported_by_name_is_referenced_by_name(name: str) -> None:
    value = api_key_value(lambda s: secretsmanager.Secret.from_secret_name_v2(s, "K", name))
    assert value == f"{{{{resolve:secretsmanager:{name}:SecretString:::}}}}"


def test_a_json_field_is_kept() -> None:
    value = api_key_value(
        lambda s: secretsmanager.Secret.from_secret_name_v2(s, "K", "prod-secret"), "apiKey"
    )
    assert value == "{{resolve:secretsmanager:prod-secret:SecretString:apiKey::}}"


def test_a_complete_arn_is_used_as_it_is() -> None:
    value = api_key_value(
        lambda s: secretsmanager.Secret.from_secret_complete_arn(s, "K", FULL_ARN)
    )
    assert value == f"{{{{resolve:secretsmanager:{FULL_ARN}:SecretString:::}}}}"


def test_a_secret_of_the_stack_is_referenced_by_its_full_arn() -> None:
    value = api_key_value(lambda s: secretsmanager.Secret(s, "K"))
    assert value == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "K485CC42E"}, ":SecretString:::}}"]]
    }


def test_a_partial_arn_of_another_account_is_refused() -> None:
    other = "arn:aws:secretsmanager:us-west-2:999999999999:secret:shared"
    with pytest.raises(MomentoConstructError) as raised:
        api_key_value(lambda s: secretsmanager.Secret.from_secret_partial_arn(s, "K", other))
    assert raised.value.prop == "api_key_secret"
    assert "from_secret_complete_arn" in raised.value.rule
    assert "999999999999" in raised.value.rule
