"""Operating a deployed stack: ``backfill``, ``redrive`` and ``verify``.

The same code runs against AWS and against the local runtime (point boto3 at moto with
``AWS_ENDPOINT_URL`` and Momento at the local server with ``MOMENTO_API_ENDPOINT`` /
``MOMENTO_API_KEY``). Needs boto3: ``pip install "momento-eventbridge-constructs[local]"``.

Programmatic use::

    from momento_eventbridge_constructs.ops import OpsContext, BackfillOptions, run_backfill

    context = OpsContext.open("cdk.out", "WeatherStack")
    report = run_backfill(context, BackfillOptions(max_rate=50), sys.stdout, sys.stderr)
"""

from __future__ import annotations

from publication import publish

from .._namespace import attach_submodules
from .backfill import BackfillOptions, BackfillReport, run_backfill
from .context import OpsContext
from .redrive import RedriveOptions, RedriveReport, run_redrive
from .verify import VerifyOptions, VerifyReport, run_verify

__all__ = [
    "BackfillOptions",
    "BackfillReport",
    "OpsContext",
    "RedriveOptions",
    "RedriveReport",
    "VerifyOptions",
    "VerifyReport",
    "run_backfill",
    "run_redrive",
    "run_verify",
]

publish()
attach_submodules(__name__)
