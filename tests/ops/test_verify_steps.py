"""verify's steps as values: the report they make, and the checks that reword a wait's step."""

from __future__ import annotations

import json

from momento_eventbridge_constructs.ops.verify import Step, StepStatus, VerifyReport
from momento_eventbridge_constructs.ops.verify_steps._private import _eviction_step


def test_the_report_says_each_status_as_it_always_has() -> None:
    report = VerifyReport(
        "S",
        [
            Step("T", "held", seconds=1.5),
            Step("T", "broke", StepStatus.FAILED, detail="why", diagnosis=["look here"]),
            Step("T", "unseen", StepStatus.NOT_APPLICABLE),
            Step("T", "skipped", StepStatus.NOT_RUN),
        ],
    )
    assert report.text().splitlines() == [
        "Verify stack S",
        "  ok       1.50 s  T: held",
        "  FAIL             T: broke",
        "                   why",
        "                   diagnosis: look here",
        "  n/a              T: unseen",
        "  skip             T: skipped",
        "Result: 1 step(s) failed",
    ]
    data = json.loads(json.dumps(report.to_json()))
    assert [step["status"] for step in data["steps"]] == ["ok", "failed", "n/a", "not run"]
    assert [step.status for step in report.steps] == ["ok", "failed", "n/a", "not run"]
    assert data["exit_status"] == 1 and data["ok"] is False
    assert VerifyReport("S", [Step("T", "held")]).exit_status == 0
    assert VerifyReport("S").exit_status == 1  # nothing verified is no success


def test_an_eviction_before_the_ttl_fails_and_every_eviction_names_the_ttl() -> None:
    value = "expires = 1700000005 (epoch seconds)"
    early = _eviction_step(Step("T", "ttl probe: evicted", seconds=1.0), value, 5)
    assert early.status is StepStatus.FAILED
    assert early.detail == f"{value}; evicted before its 5 s TTL"
    on_time = _eviction_step(Step("T", "ttl probe: evicted", seconds=5.2), value, 5)
    assert on_time.status is StepStatus.OK and on_time.detail == value
    missed = Step("T", "ttl probe: evicted", StepStatus.FAILED, detail="not seen within 9 s")
    late = _eviction_step(missed, value, 5)
    assert late.status is StepStatus.FAILED
    assert late.detail == f"{value}; not seen within 9 s"
