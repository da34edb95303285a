"""What a capture says about its stream: gaps and health changes (shared by both engines).

Invariant: a `StreamDown` is reported only after the segment it ends has been reported, and
its time is that segment's end (the first instant without video); health is reported only
when it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from gwanje.media.kinds import GapCause, HealthState
from gwanje.media.recorder.messages import (
    HealthChanged,
    Report,
    SegmentCommitted,
    StreamDown,
    StreamKey,
)
from gwanje.urls import scrub_url


class StreamReporter:
    def __init__(
        self, key: StreamKey, report: Callable[[Report], None], now: Callable[[], datetime]
    ) -> None:
        self.key, self._report, self.now = key, report, now
        self.health: str | None = None
        # End of the last committed segment: where a gap starts, and a floor for new starts.
        self.last_end: datetime | None = None

    def committed(self, done: SegmentCommitted) -> None:
        self.last_end = done.end_at
        self._report(done)

    def down(self, cause: GapCause, detail: str, at: datetime | None = None) -> None:
        at = at or self.last_end or self.now()
        self._report(StreamDown(self.key, at, cause.value, scrub_url(detail)[:500]))

    def went_down(self, cause: GapCause, detail: str, health: HealthState) -> None:
        self.down(cause, detail)
        self.set_health(health, detail)

    def set_health(self, state: HealthState, detail: str = "") -> None:
        if state.value == self.health:
            return
        self.health = state.value
        self._report(HealthChanged(self.key, self.now(), state.value, scrub_url(detail)[:500]))
