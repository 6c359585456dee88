"""Synthesize the weather example into ``$CDK_OUTDIR``, else ``./cdk.out``.

python -m momento_eventbridge_constructs.examples.weather
cdk --app "python -m momento_eventbridge_constructs.examples.weather" synth
"""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from .app import build_app


def main() -> None:
    """Synthesize every stack of the example; say where, unless the CDK CLI is the caller."""
    outdir = os.environ.get("CDK_OUTDIR")
    assembly = build_app(cdk.App(outdir=outdir or "cdk.out")).synth()
    if not outdir:
        names = ", ".join(stack.stack_name for stack in assembly.stacks)
        print(f"Synthesized {names} into {assembly.directory}", file=sys.stderr)


if __name__ == "__main__":
    main()
