"""Progress: a bar with counts and ETA on a terminal, plain throttled lines elsewhere, JSON lines to --log."""

from __future__ import annotations

import io
import json

from reconciler.apply.progress import CallRecord, Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(items: int, status: str = "done") -> CallRecord:
    return CallRecord("PUT /datapoints/batch", items, status, 0.25)


def test_terminal_bar_counts_items_and_calls_with_an_eta_at_the_current_rate() -> None:
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(total_calls=4, total_items=300, stream=stream, is_terminal=True, clock=clock)
    clock.now += 2.0
    progress.call_finished(record(100))
    progress.finish()
    assert stream.getvalue() == "\r[######------------------] 100/300 items, 1/4 calls, ETA 6s\n"


def test_plain_lines_at_most_once_a_second_and_always_the_last() -> None:
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(total_calls=3, total_items=3, stream=stream, is_terminal=False, clock=clock)
    for step in (0.5, 0.2, 0.1):
        clock.now += step
        progress.call_finished(record(1))
    assert stream.getvalue().splitlines() == [
        "apply: 1/3 items, 1/3 calls, ETA 1s; last: PUT /datapoints/batch: done",
        "apply: 3/3 items, 3/3 calls, ETA 0s; last: PUT /datapoints/batch: done"]


def test_log_gets_every_call_including_extra_ones_that_do_not_advance_the_display() -> None:
    log, stream = io.StringIO(), io.StringIO()
    progress = Progress(total_calls=1, total_items=2, stream=stream, is_terminal=False, log=log,
                        clock=FakeClock())
    progress.call_finished(CallRecord("re-read the account", 0, "done", 0.0125), counts=False)
    progress.call_finished(record(2, "partial"))
    assert [json.loads(line) for line in log.getvalue().splitlines()] == [
        {"operation": "re-read the account", "items": 0, "status": "done", "duration_ms": 12.5},
        {"operation": "PUT /datapoints/batch", "items": 2, "status": "partial", "duration_ms": 250.0}]
    assert progress.counts_text() == "2/2 items, 1/1 calls"
