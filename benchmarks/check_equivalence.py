#!/usr/bin/env python3
"""Prove the hand-written baseline emits the same CloudFormation as the constructs.

For each (N, layout) both apps are synthesized in this process; every stack's template is
canonicalized (logical IDs lose their 8-hex-digit hash suffix, everywhere they occur; the
``aws:cdk:path`` metadata is dropped) and the two must then be *equal*: same resource types and
counts, same properties, same references, same outputs. It prints the resource type counts and
exits 1 on any difference, showing the first ones.

    python benchmarks/check_equivalence.py                 # N=1 and N=2, both layouts
    python benchmarks/check_equivalence.py --tables 1 10 50
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common
import constructs_app
import handwritten

_HASH = re.compile(r"^(.+?)([0-9A-F]{8})$")


def _strip(logical_id: str) -> str:
    match = _HASH.match(logical_id)
    return match.group(1) if match else logical_id


def canonical(template: dict[str, Any]) -> dict[str, Any]:
    """The template with hash-free logical IDs and without construct-path metadata."""
    ids = list(template.get("Resources", {})) + list(template.get("Outputs", {}))
    rename = {lid: _strip(lid) for lid in ids}
    clashes = [name for name, count in Counter(rename.values()).items() if count > 1]
    if clashes:
        raise SystemExit(f"logical IDs clash without their hash: {clashes}")

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, inner in value.items():
                if key == "Ref" and isinstance(inner, str):
                    out[key] = rename.get(inner, inner)
                elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                    out[key] = [rename.get(inner[0], inner[0]), *map(walk, inner[1:])]
                elif key == "DependsOn":
                    deps = inner if isinstance(inner, list) else [inner]
                    out[key] = sorted(rename.get(d, d) for d in deps)
                else:
                    out[key] = walk(inner)
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    result = {}
    for section, body in template.items():
        if section in ("Resources", "Outputs"):
            items = {}
            for lid, entry in body.items():
                entry = {k: v for k, v in entry.items() if k != "Metadata"}
                items[rename[lid]] = walk(entry)
            result[section] = items
        else:
            result[section] = walk(body)
    return result


def synth(build: Any, n: int, layout: str) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-eq-") as outdir:
        app = cdk.App(outdir=outdir, context=common.CONTEXT)
        assembly = build(app, n, layout).synth()
        return {stack.stack_name: stack.template for stack in assembly.stacks}


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a:
                out.append(f"{path}/{key}: only in hand-written")
            elif key not in b:
                out.append(f"{path}/{key}: only in constructs")
            else:
                out.extend(diff(a[key], b[key], f"{path}/{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}[{i}]")
        ]
    return (
        []
        if a == b
        else [f"{path}: constructs {json.dumps(a)[:200]} != hand-written {json.dumps(b)[:200]}"]
    )


def check(n: int, layout: str, verbose: bool = True) -> bool:
    ours = synth(constructs_app.build, n, layout)
    theirs = synth(handwritten.build, n, layout)
    problems = []
    if sorted(ours) != sorted(theirs):
        problems.append(f"stacks differ: {sorted(ours)} vs {sorted(theirs)}")
    types: Counter[str] = Counter()
    for name in sorted(set(ours) & set(theirs)):
        a, b = canonical(ours[name]), canonical(theirs[name])
        types.update(r["Type"] for r in ours[name]["Resources"].values())
        problems.extend(f"{name}{d}" for d in diff(a, b))
    status = "EQUAL" if not problems else f"DIFFERENT ({len(problems)} differences)"
    if verbose:
        total = sum(types.values())
        print(f"N={n} {layout}: {len(ours)} stack(s), {total} resources, {status}")
        print("  " + ", ".join(f"{t.split('::', 1)[1]} {c}" for t, c in sorted(types.items())))
        for problem in problems[:20]:
            print("  - " + problem)
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--layout", choices=common.LAYOUTS, nargs="+", default=list(common.LAYOUTS))
    args = parser.parse_args(argv)
    ok = True
    for n in args.tables:
        for layout in args.layout:
            if n == 1 and layout == "one-stack" and "per-stack" in args.layout:
                continue  # identical to per-stack for one table
            ok = check(n, layout) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
