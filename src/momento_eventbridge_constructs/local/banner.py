"""The start banner: where each pipe's calls go here, and where they go once deployed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from publication import publish

if TYPE_CHECKING:
    from .runtime import LocalPipeline

__all__ = ["print_banner"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _momento_lines(lp: LocalPipeline, why: str) -> list[str]:
    deployed = sorted({_origin(url) for spec in lp.pipes for _, url in spec.calls()})
    beside = f"  (deployed: {', '.join(deployed)})" if deployed else ""
    if lp.momento_server is None:
        return [
            f"Momento calls go to real Momento: {lp.momento_endpoint}{beside}",
            f"  why: {why}",
        ]
    return [
        f"Momento calls go to the local Momento server: {lp.momento_endpoint}{beside}",
        f"  why: {why}",
        f"  caches: {', '.join(lp.momento_server.caches) or 'none'}",
        f"  local API key: {lp.momento_server.api_key}",
    ]


def _pipe_lines(lp: LocalPipeline) -> list[str]:
    lines: list[str] = []
    for spec in lp.pipes:
        filters = ", ".join(json.dumps(f.source) for f in spec.filters) or "none"
        if spec.state_machine is not None:
            lines.append(f"Pipe {spec.name}: starts state machine {spec.state_machine.arn}")
        lead = "  " if spec.state_machine is not None else f"Pipe {spec.name}: "
        for method, url in spec.calls():
            lines += [
                f"{lead}{method} {lp.momento_endpoint}{urlsplit(url).path}",
                f"  deployed: {method} {url}",
            ]
        lines.append(f"  filters: {filters}")
    lines += [f"Pipe {logical_id} not run: {why}" for logical_id, why in lp.skipped_pipes.items()]
    return lines


def print_banner(lp: LocalPipeline, out: TextIO, momento_why: str | None = None) -> None:
    """Local AWS, Momento (which, and ``momento_why`` or else the runtime's reason), the
    tables and every pipe's call, local and deployed."""
    meta = lp.dynamodb.meta
    lines = [f"Local AWS (moto): {meta.endpoint_url}  region {meta.region_name}"]
    lines += _momento_lines(lp, momento_why or lp.momento_reason)
    tables = sorted({spec.table_logical_id for spec in lp.pipes})
    lines += [f"Table {logical_id}: {lp.table_name(logical_id)}" for logical_id in tables]
    lines += _pipe_lines(lp)
    out.write("".join(line + "\n" for line in lines))
    out.flush()


publish()
