#!/usr/bin/env python3
"""Print the CHANGELOG.md section of one version: the notes of its GitHub release.

    python3 scripts/changelog_section.py 0.1.0 [--changelog CHANGELOG.md]

The section is everything under the version's heading (``## [0.1.0] - 2026-11-28``,
``## [0.1.0]`` or ``## 0.1.0``) up to the next ``## `` heading or the link definitions at the
end of the file. Exit status 1, with a message, when the version has no section or it is
empty. Standard library only: the release job runs it with the runner's Python.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s")


class MissingSection(LookupError):
    """The changelog has no section, or an empty one, for the version."""


def _heading_version(line: str) -> str | None:
    match = re.match(r"^##\s+\[?([^\]\s]+)\]?(\s|$)", line)
    return match.group(1) if match else None


def changelog_section(text: str, version: str) -> str:
    """The body of ``version``'s section, without its heading, stripped."""
    body: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            if body is not None:
                break
            if _heading_version(line) == version:
                body = []
            continue
        if body is not None:
            if _LINK_DEFINITION.match(line):
                break
            body.append(line)
    if body is None:
        raise MissingSection(f"the changelog has no section for version {version}")
    section = "\n".join(body).strip()
    if not section:
        raise MissingSection(f"the changelog section of version {version} is empty")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the version, without a leading v (e.g. 0.1.0)")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    arguments = parser.parse_args(argv)
    try:
        print(changelog_section(arguments.changelog.read_text(encoding="utf-8"), arguments.version))
    except MissingSection as error:
        print(f"error: {arguments.changelog}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
