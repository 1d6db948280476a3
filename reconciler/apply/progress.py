"""What apply tells while it works: a bar on a terminal, plain lines otherwise, a JSON-lines log.

The executor reports each finished call once (`call_finished`); this module
decides how to show it. Only the operation's description, its item count, its
outcome and its duration are ever shown or logged, never a request body, so
no secret can leak through here.

A log or a terminal that fails under apply (a full disk, a closed pipe) must
not stop it half-way: writing to it stops, the failure is kept in `troubles`,
and apply reports it after its summary and exits 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from reconciler.terminal import BAR_WIDTH, clipped

PLAIN_LINE_INTERVAL = 1.0  # seconds between plain progress lines (the last one always shows)


@dataclass
class CallRecord:
    """One finished API call, as the log and the progress display see it."""

    operation: str  # e.g. "PUT /datapoints/batch (create 100 datapoints)"
    items: int
    status: str  # an executor `Status`, or "already as planned" when no call was needed
    duration: float  # seconds

    def as_json(self) -> str:
        return json.dumps({"operation": self.operation, "items": self.items,
                           "status": self.status, "duration_ms": round(self.duration * 1000, 1)})


@dataclass
class Progress:
    """Counts calls and items done of the plan's total and shows them as they change."""

    total_calls: int
    total_items: int
    stream: IO[str]
    is_terminal: bool
    log: IO[str] | None = None
    clock: Callable[[], float] = time.monotonic
    calls_done: int = 0
    items_done: int = 0
    started: float = field(default=0.0)
    last_line: float = field(default=float("-inf"))
    troubles: list[str] = field(default_factory=list)  # what could not be written, once each
    showing: bool = True  # False once the stream failed

    def __post_init__(self) -> None:
        self.started = self.clock()

    def call_finished(self, record: CallRecord, counts: bool = True) -> None:
        """Log one call; when it `counts` toward the plan's total, advance the display."""
        if self.log is not None:
            try:
                self.log.write(record.as_json() + "\n")
                self.log.flush()
            except (OSError, ValueError) as error:  # ValueError: the file was closed under it
                self.log = None
                self.troubles.append(f"the --log file stopped being written at call {self.calls_done + 1} "
                                     f"({_reason(error)}); it is incomplete")
        if not counts:
            return
        self.calls_done += 1
        self.items_done += record.items
        now = self.clock()
        if self.is_terminal:
            self._show("\r" + self.bar_line(now))
        elif now - self.last_line >= PLAIN_LINE_INTERVAL or self.calls_done >= self.total_calls:
            self._show(f"apply: {self.counts_text()}, {self.eta_text(now)}; "
                       f"last: {clipped(record.operation)}: {record.status}\n")
            self.last_line = now

    def finish(self) -> None:
        """End the bar's line so that what follows starts on a fresh one."""
        if self.is_terminal and self.calls_done:
            self._show("\n")

    def _show(self, text: str) -> None:
        if not self.showing:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError) as error:
            self.showing = False
            self.troubles.append(f"progress could not be shown after call {self.calls_done} ({_reason(error)})")

    def counts_text(self) -> str:
        return (f"{self.items_done}/{self.total_items} items, "
                f"{self.calls_done}/{self.total_calls} calls")

    def eta_text(self, now: float) -> str:
        """Time left at the rate of calls so far (calls, not items, bound the time)."""
        elapsed = now - self.started
        left = max(self.total_calls - self.calls_done, 0)
        if not self.calls_done or elapsed <= 0:
            return "ETA --"
        return f"ETA {left * elapsed / self.calls_done:.0f}s"

    def bar_line(self, now: float) -> str:
        fraction = self.calls_done / self.total_calls if self.total_calls else 1.0
        filled = round(BAR_WIDTH * min(fraction, 1.0))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return f"[{bar}] {self.counts_text()}, {self.eta_text(now)}"


def _reason(error: Exception) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error) or type(error).__name__
