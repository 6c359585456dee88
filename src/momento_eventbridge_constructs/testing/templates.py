"""CloudFormation templates without what changes when nothing that deploys changed.

:func:`mask_template` removes or replaces, in a copy:

* the ``BootstrapVersion`` parameter and the ``CheckBootstrapVersion`` rule the default
  synthesizer adds (their text follows the bootstrap version the CDK release expects);
* the ``AWS::CDK::Metadata`` resource and its ``CDKMetadataAvailable`` condition (the analytics
  string encodes the CDK version and the constructs used);
* asset hashes: every run of 64 hexadecimal digits (a SHA-256, as CDK names assets) inside a
  string becomes ``[ASSET-HASH]``, e.g. in an ``S3Key`` or in ``aws:asset:path`` metadata;
* the ``Runtime`` of the Lambda functions aws-cdk-lib brings for its own custom resources
  (``Custom::...CustomResourceProvider`` singletons, and those of ``AwsCustomResource``,
  ``LogRetention`` and bucket notifications, found by construct path or logical ID), which
  aws-cdk-lib moves to newer runtimes between releases: ``[CDK-HANDLER-RUNTIME]``.

Everything else stays: a change to it is a change of what deploys. The functions you write
keep their runtime; their code hash is masked like any asset hash, so pin their behaviour
with tests, not snapshots. Only the standard library is used.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from publication import publish

__all__ = ["ASSET_HASH", "CDK_HANDLER_RUNTIME", "is_template", "mask_template"]

ASSET_HASH = "[ASSET-HASH]"
CDK_HANDLER_RUNTIME = "[CDK-HANDLER-RUNTIME]"
_HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# A CustomResourceProvider singleton ("Custom::XCustomResourceProvider") without path metadata.
_PROVIDER_ID = re.compile(r"^Custom[A-Za-z0-9]*CustomResourceProvider")
# The construct IDs aws-cdk-lib gives the singleton handler functions it adds to a stack.
_CDK_HANDLER_IDS = (
    "AWS679f53fac002430cb0da5b7982bd2287",  # custom_resources.AwsCustomResource
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a",  # aws_logs.LogRetention
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db834",  # aws_s3 notifications
)


def is_template(value: object) -> bool:
    """Whether ``value`` looks like a CloudFormation template (a mapping with Resources)."""
    return isinstance(value, Mapping) and isinstance(value.get("Resources"), Mapping)


def _drop(section: dict[str, Any], parent: dict[str, Any], name: str, key: str) -> None:
    section.pop(key, None)
    if not section:
        parent.pop(name, None)


def _is_cdk_handler(logical_id: str, resource: Mapping[str, Any]) -> bool:
    """One of aws-cdk-lib's own handler functions, by construct path when the template has
    path metadata, else by logical ID (the construct IDs without their ``::``)."""
    if resource.get("Type") != "AWS::Lambda::Function":
        return False
    path = str((resource.get("Metadata") or {}).get("aws:cdk:path", ""))
    segments = path.split("/")
    if any(s.startswith("Custom::") or s in _CDK_HANDLER_IDS for s in segments):
        return True
    return logical_id.startswith(_CDK_HANDLER_IDS) or bool(_PROVIDER_ID.match(logical_id))


def _hashes_masked(value: Any) -> Any:
    if isinstance(value, str):
        return _HASH.sub(ASSET_HASH, value)
    if isinstance(value, list):
        return [_hashes_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _hashes_masked(item) for key, item in value.items()}
    return value


def mask_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` without what changes with the CDK version (see the module)."""
    masked: dict[str, Any] = copy.deepcopy(dict(template))
    for name, key in (
        ("Parameters", "BootstrapVersion"),
        ("Rules", "CheckBootstrapVersion"),
        ("Conditions", "CDKMetadataAvailable"),
    ):
        section = masked.get(name)
        if isinstance(section, dict):
            _drop(section, masked, name, key)
    resources: dict[str, Any] = {}
    for logical_id, resource in (masked.get("Resources") or {}).items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::CDK::Metadata":
            continue
        if isinstance(resource, dict) and _is_cdk_handler(logical_id, resource):
            properties = resource.get("Properties")
            if isinstance(properties, dict) and "Runtime" in properties:
                properties["Runtime"] = CDK_HANDLER_RUNTIME
        resources[logical_id] = resource
    masked["Resources"] = resources
    return dict(_hashes_masked(masked))


publish()
