#!/usr/bin/env python3
"""Check the built sdist and wheel before they are published.

    python scripts/release_check.py DIST [--tag v0.1.0]

1. DIST holds one sdist and one wheel of the package, of one version;
2. with ``--tag``, the tag is ``v`` + that version (which .projenrc.py's VERSION sets);
3. CHANGELOG.md has a section for that version (the release notes);
4. ``twine check --strict`` passes on both files;
5. in a new virtual environment, outside the source tree, the wheel installs with the
   ``local`` extra; ``momento-eventbridge-constructs --version`` prints the version, the
   public API imports from the installed files, and ``momento-eventbridge-constructs demo``
   synthesizes the bundled example and meets every expectation (aws-cdk-lib runs on Node.js:
   ``node`` on PATH, or JSII_NODE).

``make release-check [TAG=v0.1.0]`` builds DIST and runs this; the release workflow does the
same. The first failing step stops the check with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

from changelog_section import MissingSection, changelog_section

ROOT = Path(__file__).resolve().parent.parent
NAME = "momento-eventbridge-constructs"
MODULE = "momento_eventbridge_constructs"
DEMO_DONE = "Demo finished: every expectation met."
SMOKE_TEST = f"""
import importlib.resources, json
import {MODULE} as package
from {MODULE}.examples.weather import WeatherStack
from {MODULE}.local import LocalPipeline
print(json.dumps({{
    "version": package.__version__,
    "api": {{name: getattr(package, name).__module__ for name in package.__all__}},
    "typed": importlib.resources.files(package).joinpath("py.typed").is_file(),
    "file": package.__file__,
    "example": WeatherStack.__module__,
}}))
"""


class CheckFailed(Exception):
    """A release check that did not hold."""


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-30:]
        raise CheckFailed(f"{' '.join(command)} exited {result.returncode}:\n" + "\n".join(output))
    return result.stdout


def distributions(directory: Path) -> tuple[Path, Path, str]:
    """The sdist, the wheel and their version."""
    sdists, wheels = sorted(directory.glob("*.tar.gz")), sorted(directory.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        found = ", ".join(path.name for path in sorted(directory.iterdir())) or "nothing"
        raise CheckFailed(f"{directory} must hold one sdist and one wheel; found {found}")
    sdist, wheel = sdists[0], wheels[0]
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
    version = metadata["Version"]
    if metadata["Name"] != NAME or sdist.name != f"{MODULE}-{version}.tar.gz":
        raise CheckFailed(f"{wheel.name} ({metadata['Name']} {version}) and {sdist.name} differ")
    return sdist, wheel, version


def check_tag(tag: str | None, version: str) -> str:
    if tag is None:
        return "no tag given: not compared"
    if tag != f"v{version}":
        raise CheckFailed(
            f"tag {tag} does not match the version of the built files, {version} (set it in "
            ".projenrc.py, run 'make projen', commit, and tag that commit v<version>)"
        )
    return f"tag {tag} matches the version"


def check_changelog(version: str) -> str:
    try:
        changelog_section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), version)
    except MissingSection as error:
        raise CheckFailed(f"CHANGELOG.md: {error}") from error
    return f"CHANGELOG.md has a section for {version}"


def check_twine(files: list[Path]) -> str:
    _run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], ROOT, {**os.environ}
    )
    return "twine check --strict passes"


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    return env


def install(wheel: Path, venv: Path, env: dict[str, str]) -> Path:
    """A new virtual environment with the wheel and its ``local`` extra; its bin directory."""
    uv = [shutil.which("uv") or sys.executable, *([] if shutil.which("uv") else ["-m", "uv"])]
    _run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], venv.parent, env)
    requirement = f"{NAME}[local] @ {wheel.resolve().as_uri()}"
    _run(
        [*uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), requirement],
        venv.parent,
        env,
    )
    return venv / "bin"


def check_installed(bin_dir: Path, version: str, work: Path, env: dict[str, str]) -> Iterator[str]:
    printed = _run([str(bin_dir / NAME), "--version"], work, env).strip()
    if printed != f"{NAME} {version}":
        raise CheckFailed(f"--version printed {printed!r}")
    yield f"--version prints {printed}"
    smoke = json.loads(_run([str(bin_dir / "python"), "-c", SMOKE_TEST], work, env))
    inside = Path(smoke["file"]).resolve().is_relative_to(bin_dir.parent.resolve())
    if smoke["version"] != version or not smoke["typed"] or not smoke["api"] or not inside:
        raise CheckFailed(f"the installed package is not the one built: {smoke}")
    yield f"imports from the wheel: {', '.join(sorted(smoke['api']))}, py.typed, the example"
    demo = _run([str(bin_dir / NAME), "demo"], work, env)
    if DEMO_DONE not in demo:
        raise CheckFailed("the demo did not finish:\n" + demo[-3000:])
    yield f"{NAME} demo: every expectation met"


def check(dist: Path, tag: str | None) -> Iterator[str]:
    """Every check in order, each reported by a line once it held."""
    sdist, wheel, version = distributions(dist)
    yield f"built {sdist.name} and {wheel.name}"
    yield check_tag(tag, version)
    yield check_changelog(version)
    yield check_twine([sdist, wheel])
    env = _clean_env()
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        work = Path(scratch) / "work"
        work.mkdir()
        bin_dir = install(wheel, Path(scratch) / "venv", env)
        yield f"{wheel.name}[local] installs into a new virtual environment"
        yield from check_installed(bin_dir, version, work, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="directory holding the sdist and the wheel")
    parser.add_argument("--tag", help="the release tag (v<version>), e.g. $GITHUB_REF_NAME")
    arguments = parser.parse_args(argv)
    try:
        for line in check(arguments.dist, arguments.tag):
            print(f"ok   {line}", flush=True)
    except CheckFailed as error:
        print(f"FAIL {error}", file=sys.stderr)
        return 1
    print("Release check passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
