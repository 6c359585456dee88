"""Run the command line in a subprocess that records what it loads and what it starts.

The child adds an audit hook (https://docs.python.org/3/library/audit_events.html) before the
package is imported: every process it starts (``subprocess.Popen``, ``os.posix_spawn``,
``os.exec``, ``os.fork``, ...) is recorded, and at exit it writes which of aws-cdk-lib's
top-level packages (``aws_cdk``, ``jsii``, ``constructs``) are in ``sys.modules``. jsii starts
Node.js through ``subprocess.Popen`` when aws-cdk-lib is imported, so a command that loads
aws-cdk-lib shows both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TYPESCRIPT_STACK = ROOT / "tests" / "data" / "typescript_stack"

_CHILD = r"""
import importlib, json, os, sys

PROCESS_EVENTS = {
    "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
    "os.fork", "os.forkpty", "pty.spawn",
}
spawned = []

def audit(event, args):
    if event in PROCESS_EVENTS:
        spawned.append(f"{event} {args!r}"[:400])

sys.addaudithook(audit)
for name in filter(None, os.environ.get("ISOLATION_IMPORT", "").split(",")):
    importlib.import_module(name)

def report():
    loaded = sorted({m.partition(".")[0] for m in sys.modules} & {"aws_cdk", "jsii", "constructs"})
    with open(os.environ["ISOLATION_REPORT"], "w") as handle:
        json.dump({"spawned": spawned, "loaded": loaded}, handle)

from momento_eventbridge_constructs.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exited:  # --help
    report()
    raise
report()
sys.exit(status)
"""


@dataclass(frozen=True)
class Isolation:
    """What the child loaded and started."""

    spawned: list[str]
    loaded: list[str]

    @classmethod
    def read(cls, path: Path) -> Isolation:
        data: dict[str, Any] = json.loads(path.read_text())
        return cls(spawned=list(data["spawned"]), loaded=list(data["loaded"]))


def command(arguments: Sequence[str]) -> list[str]:
    """The argv that runs the command line with the recording hook."""
    return [sys.executable, "-c", _CHILD, *arguments]


def environment(report: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: this one, the report file and ``extra``."""
    return {**os.environ, "ISOLATION_REPORT": str(report), **(extra or {})}


def run(
    arguments: Sequence[str],
    report: Path,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 180,
    cwd: Path | None = None,
) -> tuple[subprocess.CompletedProcess[str], Isolation]:
    """Run the command line to its end; its result and what it loaded and started."""
    result = subprocess.run(
        command(arguments),
        env=environment(report, extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    return result, Isolation.read(report)
