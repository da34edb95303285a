"""The disk guard: below `recording.min_free_bytes` it destroys the oldest UNHELD footage
first and stops once back at the threshold; held footage is never deleted (Frigate's
emergency purge is the defect designed out), and a disk-full alarm is recorded once per
episode. The filesystem is injected (`FakeDisk`), the files and rows are real."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from registry.helpers import audit_rows
from retention_kit import (
    FakeDisk,
    Recorded,
    camera,
    gone,
    hold_input,
    intact,
    person,
    place,
    segment,
    store,
)

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.media.storage import open_store
from gwanje.retention.guard import guard_disk

MINUTE = timedelta(minutes=1)


def _interleaved(ctx: Gwanje, clock: FakeClock, count: int) -> tuple[list[Recorded], int, int]:
    """`count` 1000-byte segments alternating between two cameras, oldest first; all
    recent (retention would keep every one)."""
    where = store(ctx)
    a, b = camera(ctx, "YS-GA"), camera(ctx, "YS-GB")
    base = clock.now() - timedelta(hours=5)
    recorded = [
        segment(ctx, where, a if i % 2 == 0 else b, base + i * MINUTE) for i in range(count)
    ]
    return recorded, a, b


def test_deletes_the_oldest_unheld_first_and_stops_above_the_threshold(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    segs, _, _ = _interleaved(any_ctx, clock, 10)
    any_ctx.settings.recording.min_free_bytes = 5000
    disk = FakeDisk(capacity=12_500)  # 10 000 used: 2 500 free, 2 500 short

    result = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)

    assert all(gone(any_ctx, s) for s in segs[:3])
    assert all(intact(s) for s in segs[3:])
    assert result.free_before == 2500
    assert result.free_after == 5500
    assert result.segments == 3
    assert not result.disk_full
    assert not result.alarm_raised
    entries = audit_rows(any_ctx, "retention.destroyed")
    assert {json.loads(e.details)["rule"] for e in entries} == {"disk_pressure"}
    assert sum(json.loads(e.details)["segments"] for e in entries) == 3
    assert all(json.loads(e.details)["min_free_bytes"] == 5000 for e in entries)
    # Above the threshold now: another run deletes nothing.
    assert guard_disk(any_ctx, store(any_ctx), free_bytes=disk).segments == 0
    assert all(intact(s) for s in segs[3:])


def test_nothing_is_deleted_while_free_space_is_enough(any_ctx: Gwanje, clock: FakeClock) -> None:
    segs, _, _ = _interleaved(any_ctx, clock, 4)
    any_ctx.settings.recording.min_free_bytes = 1000
    result = guard_disk(any_ctx, store(any_ctx), free_bytes=FakeDisk(capacity=5000))
    assert result.segments == 0
    assert not result.disk_full
    assert all(intact(s) for s in segs)
    assert audit_rows(any_ctx, "retention.destroyed") == []


def test_held_oldest_footage_is_skipped_for_the_next_oldest_unheld(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    segs, _, _ = _interleaved(any_ctx, clock, 8)
    person(any_ctx, "owner1")
    # Hold the two oldest segments of camera A (indexes 0 and 2).
    place(any_ctx, hold_input("YS-GA", segs[0].start, segs[2].end, clock.now() + timedelta(days=9)))
    any_ctx.settings.recording.min_free_bytes = 3000
    disk = FakeDisk(capacity=9000)  # 8 000 used: 1 000 free, 2 000 short

    result = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)

    assert intact(segs[0])
    assert intact(segs[2])
    assert gone(any_ctx, segs[1])
    assert gone(any_ctx, segs[3])
    assert all(intact(s) for s in segs[4:])
    assert result.segments == 2
    assert not result.disk_full


def test_only_held_footage_left_deletes_nothing_held_and_alarms_once_per_episode(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    segs, _, _ = _interleaved(any_ctx, clock, 6)
    person(any_ctx, "owner1")
    review = clock.now() + timedelta(days=9)
    # Camera A's three segments held; camera B's three are not.
    place(any_ctx, hold_input("YS-GA", segs[0].start, segs[4].end, review))
    any_ctx.settings.recording.min_free_bytes = 10_000
    disk = FakeDisk(capacity=8000)  # hopeless: even an empty disk is below the threshold

    first = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)

    held, unheld = segs[0::2], segs[1::2]
    assert all(intact(s) for s in held)
    assert all(gone(any_ctx, s) for s in unheld)
    assert first.disk_full
    assert first.alarm_raised
    assert first.segments == 3
    (alarm,) = audit_rows(any_ctx, "retention.disk_full")
    details = json.loads(alarm.details)
    assert details["held_segments"] == 3
    assert details["held_bytes"] == 3000
    assert details["free_bytes"] == 5000
    assert details["min_free_bytes"] == 10_000

    clock.advance(timedelta(minutes=5))
    second = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)
    assert second.disk_full
    assert not second.alarm_raised
    assert second.segments == 0
    assert all(intact(s) for s in held)
    assert len(audit_rows(any_ctx, "retention.disk_full")) == 1

    # Space comes back (a disk was added): the episode ends ...
    disk.capacity = 100_000
    recovered = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)
    assert recovered.recovered
    assert not recovered.disk_full
    assert len(audit_rows(any_ctx, "retention.disk_recovered")) == 1
    # ... and a new shortage is a new episode with its own alarm.
    disk.capacity = 8000
    again = guard_disk(any_ctx, store(any_ctx), free_bytes=disk)
    assert again.alarm_raised
    assert len(audit_rows(any_ctx, "retention.disk_full")) == 2
    assert all(intact(s) for s in held)


def test_guard_only_touches_its_own_storage_directory(
    any_ctx: Gwanje, clock: FakeClock, tmp_path: Path
) -> None:
    segs, a, _ = _interleaved(any_ctx, clock, 2)
    other = open_store(any_ctx, tmp_path / "second-disk")
    foreign = segment(any_ctx, other, a, clock.now() - timedelta(days=2))  # oldest overall
    any_ctx.settings.recording.min_free_bytes = 2000
    result = guard_disk(any_ctx, store(any_ctx), free_bytes=FakeDisk(capacity=3000))
    assert intact(foreign)
    assert gone(any_ctx, segs[0])
    assert intact(segs[1])
    assert result.segments == 1
