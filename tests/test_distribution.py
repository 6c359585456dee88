"""The sdist and the wheel: exactly the files a user needs, and the metadata PyPI shows.

Built once per session (``distributions`` fixture) from the working tree with ``uv build``.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from trove_classifiers import classifiers as known_classifiers

from ._packaging import ROOT, CleanVenv, Distributions, project_version, tracked_files
from ._support import PUBLIC_API as CONTRACT

pytestmark = pytest.mark.slow  # building takes a while

MODULE = "momento_eventbridge_constructs"
NAME = "momento-eventbridge-constructs"
PUBLIC_API = sorted(CONTRACT)
REPOSITORY = "https://github.com/momento-eventbridge-constructs/momento-eventbridge-constructs"


def package_sources() -> set[str]:
    """Every tracked file of the package, relative to ``src/``."""
    return {name.removeprefix("src/") for name in tracked_files(f"src/{MODULE}")}


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{MODULE}-{project_version()}.dist-info/METADATA").decode()
    return Parser().parsestr(text)


def test_wheel_holds_the_package_and_its_metadata_only(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheel) as archive:
        names = set(archive.namelist())
    info = f"{MODULE}-{project_version()}.dist-info"
    metadata = {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"}
    assert names == package_sources() | {f"{info}/{name}" for name in metadata}
    for needed in ("py.typed", "examples/weather/__main__.py", "local/cli.py"):
        assert f"{MODULE}/{needed}" in names


def test_sdist_holds_the_sources_readme_changelog_and_license(
    distributions: Distributions,
) -> None:
    with tarfile.open(distributions.sdist) as archive:
        names = {member.name for member in archive.getmembers() if member.isfile()}
    top = f"{MODULE}-{project_version()}"
    expected = {f"src/{name}" for name in package_sources()} | {
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "pyproject.toml",
        "PKG-INFO",
        ".gitignore",  # hatchling always adds it, so a wheel built from the sdist matches
    }
    assert names == {f"{top}/{name}" for name in expected}


def test_metadata_says_what_pypi_shows(distributions: Distributions) -> None:
    meta = wheel_metadata(distributions.wheel)
    assert meta["Metadata-Version"] == "2.4"  # what twine before 7.0 and its users accept
    assert (meta["Name"], meta["Version"]) == (NAME, project_version())
    assert meta["Summary"].startswith("AWS CDK constructs that keep a Momento cache")
    assert meta["Requires-Python"] == ">=3.10"
    assert (meta["License-Expression"], meta.get_all("License-File")) == ("Apache-2.0", ["LICENSE"])
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload() == (ROOT / "README.md").read_text()
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL"))
    assert urls == {
        "Homepage": REPOSITORY,
        "Repository": REPOSITORY,
        "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
        "Issues": f"{REPOSITORY}/issues",
    }
    assert meta.get_all("Provides-Extra") == ["local"]
    requires = meta.get_all("Requires-Dist")
    assert "aws-cdk-lib<3,>=2.205.0" in requires
    assert "publication>=0.0.3" in requires  # every public module ends with publish()
    assert "moto[server]>=5.2.5; extra == 'local'" in requires


def test_classifiers_are_known_to_pypi_and_match_the_supported_pythons(
    distributions: Distributions,
) -> None:
    classifiers = wheel_metadata(distributions.wheel).get_all("Classifier")
    assert set(classifiers) <= known_classifiers, set(classifiers) - known_classifiers
    assert {"Typing :: Typed", "Framework :: AWS CDK :: 2"} <= set(classifiers)
    prefix = "Programming Language :: Python :: 3."
    pythons = sorted((c.removeprefix(prefix) for c in classifiers if c.startswith(prefix)), key=int)
    assert pythons == ["10", "11", "12", "13"]
    # PEP 639: the license is the License-Expression; no deprecated license classifier beside it.
    assert not [c for c in classifiers if c.startswith("License ::")]


def test_sdist_and_wheel_carry_the_same_metadata(distributions: Distributions) -> None:
    with tarfile.open(distributions.sdist) as archive:
        member = archive.extractfile(f"{MODULE}-{project_version()}/PKG-INFO")
        assert member is not None
        sdist = Parser().parsestr(member.read().decode())
    wheel = wheel_metadata(distributions.wheel)
    for field in ("Name", "Version", "Requires-Python", "License-Expression", "Summary"):
        assert sdist[field] == wheel[field], field
    for field in ("Classifier", "Requires-Dist", "Project-URL", "Provides-Extra"):
        assert sdist.get_all(field) == wheel.get_all(field), field


def test_wheel_installs_into_a_clean_venv_with_py_typed(
    distributions: Distributions, tmp_path: Path
) -> None:
    venv = CleanVenv(tmp_path / "venv")
    venv.install(str(distributions.wheel))
    probe = (
        "import importlib.resources as r, json, momento_eventbridge_constructs as m; "
        "print(json.dumps({'typed': r.files(m).joinpath('py.typed').is_file(), "
        "'api': sorted(m.__all__), 'version': m.__version__}))"
    )
    result = json.loads(venv.run(str(venv.python), "-c", probe).strip().splitlines()[-1])
    assert result == {"typed": True, "api": PUBLIC_API, "version": project_version()}
    installed = venv.installed()
    assert "moto" not in installed and "boto3" not in installed  # the local extra stays out
    # Without the extra, the command line says what to install instead of a traceback.
    command = subprocess.run(
        [str(venv.bin / NAME), "local"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert command.returncode == 2
    assert "pip install 'momento-eventbridge-constructs[local]'" in command.stderr
