"""``mask_template`` and the syrupy extension: what changes with the CDK version is masked,
everything that deploys stays; checked on hand-written templates and on a real synthesis
with assets and aws-cdk-lib's own handler functions."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from syrupy.extensions.json import JSONSnapshotExtension

from momento_eventbridge_constructs.testing import CloudFormationSnapshotExtension, mask_template
from momento_eventbridge_constructs.testing.templates import ASSET_HASH, CDK_HANDLER_RUNTIME

HASH = "0123456789abcdef" * 4  # 64 hexadecimal digits, as CDK names assets
OTHER_HASH = "fedcba9876543210" * 4
SIXTY_FOUR_HEX = re.compile(r"[0-9a-f]{64}")


def _function(path: str, runtime: str, key: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Runtime": runtime, "Code": {"S3Key": key}},
        "Metadata": {"aws:cdk:path": path, "aws:asset:path": f"asset.{key[:64]}"},
    }


TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
        }
    },
    "Rules": {"CheckBootstrapVersion": {"Assertions": []}},
    "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": ["a", "a"]}},
    "Resources": {
        "CDKMetadata": {
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:x"},
        },
        "Mine": _function("S/Mine/Resource", "python3.12", f"{HASH}.zip"),
        "Provider": _function(
            "S/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
            "nodejs20.x",
            f"{OTHER_HASH}.zip",
        ),
        "AwsApi": _function("S/AWS679f53fac002430cb0da5b7982bd2287/Resource", "nodejs22.x", "k"),
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "not-a-hash-0123"}},
    },
}


def test_the_cdk_bookkeeping_is_removed_and_what_deploys_is_kept() -> None:
    masked = mask_template(TEMPLATE)
    assert "Parameters" not in masked and "Rules" not in masked and "Conditions" not in masked
    assert "CDKMetadata" not in masked["Resources"]
    assert masked["Resources"]["Queue"] == TEMPLATE["Resources"]["Queue"]
    assert list(masked["Resources"]) == ["Mine", "Provider", "AwsApi", "Queue"]


def test_other_parameters_rules_and_conditions_stay() -> None:
    template = copy.deepcopy(TEMPLATE)
    template["Parameters"]["Stage"] = {"Type": "String"}
    template["Conditions"]["IsProd"] = {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    masked = mask_template(template)
    assert masked["Parameters"] == {"Stage": {"Type": "String"}}
    assert masked["Conditions"] == {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}


def test_asset_hashes_are_masked_wherever_they_appear_in_a_string() -> None:
    mine = mask_template(TEMPLATE)["Resources"]["Mine"]
    assert mine["Properties"]["Code"] == {"S3Key": f"{ASSET_HASH}.zip"}
    assert mine["Metadata"]["aws:asset:path"] == f"asset.{ASSET_HASH}"
    assert not SIXTY_FOUR_HEX.search(json.dumps(mask_template(TEMPLATE)))
    # A longer run of hexadecimal digits is not an asset hash.
    longer = {"Resources": {"R": {"Type": "T", "Properties": {"V": HASH + "0"}}}}
    assert mask_template(longer) == longer


def test_only_the_runtime_of_cdk_s_own_handlers_is_masked() -> None:
    resources = mask_template(TEMPLATE)["Resources"]
    assert resources["Mine"]["Properties"]["Runtime"] == "python3.12"
    assert resources["Provider"]["Properties"]["Runtime"] == CDK_HANDLER_RUNTIME
    assert resources["AwsApi"]["Properties"]["Runtime"] == CDK_HANDLER_RUNTIME


def test_the_argument_is_not_changed() -> None:
    before = copy.deepcopy(TEMPLATE)
    mask_template(TEMPLATE)
    assert before == TEMPLATE


def test_the_extension_writes_the_masked_template_as_the_json_extension_would() -> None:
    extension = CloudFormationSnapshotExtension()
    plain = JSONSnapshotExtension()
    assert extension.serialize(TEMPLATE) == plain.serialize(mask_template(TEMPLATE))
    assert extension.serialize({"not": "a template"}) == plain.serialize({"not": "a template"})


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A stack with a user function from an asset, log retention and an auto-deleting bucket:
    assets and aws-cdk-lib's own handler functions, as aws-cdk-lib synthesizes them."""
    code = tmp_path_factory.mktemp("code")
    (code / "index.py").write_text("def handler(event, context):\n    return event\n")
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk")))
    stack = cdk.Stack(app, "Assets")
    lambda_.Function(
        stack,
        "Mine",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(code)),
        log_retention=logs.RetentionDays.ONE_WEEK,
    )
    s3.Bucket(stack, "Bucket", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    template: dict[str, Any] = app.synth().get_stack_by_name("Assets").template
    return template


def test_a_real_synthesis_keeps_no_hash_nor_cdk_handler_runtime(
    synthesized: dict[str, Any],
) -> None:
    assert SIXTY_FOUR_HEX.search(json.dumps(synthesized))  # there are hashes to mask
    masked = mask_template(synthesized)
    assert not SIXTY_FOUR_HEX.search(json.dumps(masked))
    runtimes = {
        logical_id: resource["Properties"]["Runtime"]
        for logical_id, resource in masked["Resources"].items()
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::CloudFormation::CustomResource")
        or "Runtime" in (resource.get("Properties") or {})
    }
    mine = [runtime for lid, runtime in runtimes.items() if lid.startswith("Mine")]
    assert mine == ["python3.12"]  # the user's function keeps its runtime
    handlers = {runtime for lid, runtime in runtimes.items() if not lid.startswith("Mine")}
    assert handlers == {CDK_HANDLER_RUNTIME}, runtimes  # log retention, auto delete
    assert "BootstrapVersion" not in json.dumps(masked)
