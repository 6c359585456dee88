"""``verify``: a canary through a deployed stack, step by step, with latencies and diagnoses.

For every table the stack writes to Momento from: subscribe to its topics, write a canary item,
wait until every cache holds exactly the body the stack renders for it and every topic carried
the announcement, update it, delete it and wait for the eviction; for a sync that batches,
write a burst of changes to one key that must land as its last (:mod:`.verify_burst`); probe
the TTL and the encoding of keys with reserved characters, look for dead letters naming the
canary, and remove every canary from the table and the caches, whatever happened.
"""

from __future__ import annotations

import threading

from publication import publish

from . import verify_burst, verify_steps
from .context import OpsContext
from .verify_report import SETTLES, Step, StepStatus, VerifyOptions, VerifyReport
from .verify_table import TableRun

__all__ = ["SETTLES", "Step", "StepStatus", "VerifyOptions", "VerifyReport", "run_verify"]


def _checks(run: TableRun) -> list[Step]:
    """Every check of one table, in order: a check that does not hold stops the later ones."""
    failed = verify_steps.preflight(run)
    if failed is not None:
        return [failed]
    verify_steps.subscribe(run)
    lifecycle = verify_steps.lifecycle(run)
    steps = list(lifecycle.steps)
    if lifecycle.held:
        steps += verify_burst.burst(run)
        steps += verify_steps.grant_forms(run)
        steps += verify_steps.ttl(run)
        steps += verify_steps.encoding(run)
    steps.append(verify_steps.dead_letters(run))
    return steps


def _verify_table(context: OpsContext, table_id: str, options: VerifyOptions) -> list[Step]:
    """The steps of one table; its canaries are removed whatever happened."""
    run = TableRun.start(context, table_id, options)
    steps: list[Step] = []
    try:
        steps += _checks(run)
    finally:
        run.topics.close()
        steps.append(verify_steps.cleanup(run))
    return steps


def run_verify(
    context: OpsContext, options: VerifyOptions, stop: threading.Event | None = None
) -> VerifyReport:
    """Verify every table the stack writes to Momento from.

    Args:
        context: the deployed stack.
        options: how to verify.
        stop: when set, no further table is started.
    """
    report = VerifyReport(context.names.stack_name)
    definitions = context.definitions
    tables = [
        table_id
        for table_id in definitions.tables
        if definitions.syncs_of(table_id)
        or any(p.table_id == table_id for p in definitions.pipes if p.kind != "other")
    ]
    for table_id in tables:
        if stop is not None and stop.is_set():
            break
        report.steps += _verify_table(context, table_id, options)
    return report


publish()
