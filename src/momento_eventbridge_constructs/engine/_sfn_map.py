"""The iterations of an inline Map state: at most ``MaxConcurrency`` at once, results in item
order.

The Map page (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html):
``MaxConcurrency`` 0 (or none) means as many as possible, and an inline Map runs at most 40
iterations at once; ``MaxConcurrency`` 1 runs the items one after the other, in array order.
When an iteration fails, the Map state fails with its error and no further iteration starts
(those already running finish); the error of the first item to fail, in item order, is the
one raised.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

__all__ = ["INLINE_MAX_CONCURRENCY", "run_iterations"]

INLINE_MAX_CONCURRENCY = 40


def run_iterations(count: int, concurrency: int, run_one: Callable[[int], Any]) -> list[Any]:
    """``[run_one(0), ..., run_one(count - 1)]``, ``concurrency`` at a time.

    Raises:
        Exception: what the first failed iteration (in item order) raised.
    """
    limit = INLINE_MAX_CONCURRENCY if concurrency <= 0 else min(concurrency, INLINE_MAX_CONCURRENCY)
    if limit == 1 or count <= 1:
        return [run_one(index) for index in range(count)]
    results: list[Any] = [None] * count
    failures: dict[int, BaseException] = {}
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="sfn-map") as pool:
        running: dict[Future[Any], int] = {}
        started = 0
        while started < count or running:
            while not failures and started < count and len(running) < limit:
                running[pool.submit(run_one, started)] = started
                started += 1
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                error = future.exception()
                if error is None:
                    results[index] = future.result()
                else:
                    failures[index] = error
    if failures:
        raise failures[min(failures)]
    return results
