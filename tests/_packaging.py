"""Building the distributions and installing them into clean virtual environments (uv)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def uv_command() -> list[str]:
    """uv on PATH, else the uv module of this interpreter."""
    uv = shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def project_version() -> str:
    """The version pyproject.toml declares (written there by .projenrc.py)."""
    match = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert match, "pyproject.toml declares no version"
    return match.group(1)


def tracked_files(under: str = "") -> list[str]:
    """The files git tracks, optionally below one directory."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", under or "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in listed.split("\0") if name]


@dataclass(frozen=True)
class Distributions:
    """The sdist and the wheel built from the working tree."""

    directory: Path
    sdist: Path
    wheel: Path


def build_distributions(directory: Path) -> Distributions:
    """``uv build`` of the project into ``directory``."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        [*uv_command(), "build", "-q", "--out-dir", str(directory), str(ROOT)],
        check=True,
        capture_output=True,
        env=env,
        timeout=600,
    )
    (sdist,) = directory.glob("*.tar.gz")
    (wheel,) = directory.glob("*.whl")
    return Distributions(directory, sdist, wheel)


class CleanVenv:
    """A new virtual environment beside the suite's, managed with uv."""

    def __init__(self, path: Path) -> None:
        self.uv = uv_command()
        self.env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        self.env.pop("VIRTUAL_ENV", None)
        self.python = path / "bin" / "python"
        self.bin = path / "bin"
        self.run(*self.uv, "venv", "-q", "--python", sys.executable, str(path), timeout=120)

    def run(self, *command: str, timeout: float = 900, **env: str) -> str:
        return subprocess.run(
            command,
            check=True,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=timeout,
        ).stdout

    def install(self, *requirements: str) -> None:
        self.run(*self.uv, "pip", "install", "-q", "--python", str(self.python), *requirements)

    def installed(self) -> str:
        return self.run(*self.uv, "pip", "list", "--python", str(self.python))
