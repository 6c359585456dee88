"""Idle shard workers back off, and drain() and stop() wake them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local import LocalPipeline
from momento_eventbridge_constructs.local.shards import IdleBackoff


def test_idle_waits_double_up_to_the_cap_and_restart_when_records_arrive() -> None:
    idle = IdleBackoff(0.05, 1.0)
    waits = [idle.next_delay() for _ in range(8)]
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    idle.reset()
    assert idle.next_delay() == 0.05


def test_a_cap_below_the_first_wait_keeps_the_first_wait() -> None:
    idle = IdleBackoff(0.5, 0.1)
    assert [idle.next_delay() for _ in range(3)] == [0.5, 0.5, 0.5]


@pytest.mark.slow
def test_drain_and_stop_wake_workers_in_a_long_idle_wait(
    weather_assembly: Path, put_weather: Any
) -> None:
    # Idle workers would sleep 60 s between reads: only a wake-up lets drain() and stop()
    # finish within their timeouts.
    pipeline = LocalPipeline.from_cloud_assembly(
        weather_assembly, momento="local", poll_interval=60, max_poll_interval=60
    )
    with pipeline as lp:
        put_weather(lp.dynamodb, lp.table_name("WeatherStack/WeatherTable"), "Dakar", 90)
        lp.drain(timeout=5)
        assert lp.momento.get("momento-eventbridge-cache", "Dakar") is not None
        workers = [t for t in threading.enumerate() if t.name.startswith("pipe-")]
        assert workers
    assert not any(worker.is_alive() for worker in workers)
