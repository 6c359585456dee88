"""Each name AWS defines that the library writes or reads is spelled in one module only."""

from __future__ import annotations

import ast
from pathlib import Path

from ._support import ROOT

PACKAGE = ROOT / "src" / "momento_eventbridge_constructs"
HOME = PACKAGE / "_aws_names.py"
NAMES = (
    "arn:aws:states:::http:invoke",
    "arn:aws:states:::sqs:sendMessage",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "pipes.amazonaws.com",
    "BootstrapVersion",
)


def _constants(path: Path) -> set[str]:
    """The strings a module assigns to its module-level names."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            found |= {
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
    return found


def test_each_aws_name_has_one_definition() -> None:
    assert set(NAMES) <= _constants(HOME)
    elsewhere = {
        str(path.relative_to(PACKAGE)): sorted(set(NAMES) & _constants(path))
        for path in PACKAGE.rglob("*.py")
        if path != HOME
    }
    assert {path: names for path, names in elsewhere.items() if names} == {}
