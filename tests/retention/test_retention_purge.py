"""The retention purge (ORD-31.1, PIPA-5): exactly the expired, unheld, committed
segments are destroyed — files and rows — with one 파기 entry per camera; everything else
stays byte-identical. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from registry.helpers import audit_rows
from retention_kit import (
    camera,
    gone,
    hold_input,
    intact,
    person,
    place,
    release,
    segment,
    segment_states,
    store,
)
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.media.storage import finish_deletions
from gwanje.registry.models import Camera
from gwanje.registry.service import system_principal
from gwanje.retention.destruction import Rule, destroy
from gwanje.retention.purge import purge_expired
from gwanje.retention.service import Retention

DAY = timedelta(days=1)


def _set_days(ctx: Gwanje, code: str, days: int | None) -> None:
    with ctx.transaction() as session:
        Retention(session, ctx.settings, ctx.clock, system_principal("test")).set_camera_days(
            code, days
        )


def test_purge_deletes_only_expired_unheld_segments(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    a = camera(any_ctx, "YS-A")  # center default: 30 days
    b = camera(any_ctx, "YS-B")
    _set_days(any_ctx, "YS-B", 7)
    a_old = segment(any_ctx, where, a, now - 31 * DAY)
    a_older = segment(any_ctx, where, a, now - 40 * DAY)
    a_young = segment(any_ctx, where, a, now - 29 * DAY)
    b_old = segment(any_ctx, where, b, now - 8 * DAY)
    b_young = segment(any_ctx, where, b, now - 6 * DAY)
    # Ends exactly at the cutoff: not *older* than now - 7 days, so kept.
    b_edge = segment(any_ctx, where, b, now - 7 * DAY - timedelta(seconds=60))

    summary = purge_expired(any_ctx)

    assert all(gone(any_ctx, s) for s in (a_old, a_older, b_old))
    assert all(intact(s) for s in (a_young, b_young, b_edge))
    assert set(segment_states(any_ctx)) == {a_young.id, b_young.id, b_edge.id}
    assert summary.segments == 3
    assert summary.bytes == 3000
    assert summary.finished == 3
    assert {(c.code, c.segments) for c in summary.cameras} == {("YS-A", 2), ("YS-B", 1)}
    # Nothing left to do: a second run destroys nothing.
    assert purge_expired(any_ctx).segments == 0
    assert all(intact(s) for s in (a_young, b_young, b_edge))


def test_destruction_entry_names_camera_range_count_bytes_and_rule(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-AUD")
    _set_days(any_ctx, "YS-AUD", 10)
    first = segment(any_ctx, where, cam, now - 12 * DAY, size=700)
    second = segment(any_ctx, where, cam, now - 11 * DAY, size=300)
    segment(any_ctx, where, cam, now - 2 * DAY)

    purge_expired(any_ctx)

    (entry,) = audit_rows(any_ctx, "retention.destroyed")
    details = json.loads(entry.details)
    assert entry.camera_ids == str(cam)
    assert entry.range_start == first.start
    assert entry.range_end == second.end
    assert entry.at == now
    assert entry.actor_kind == "system"
    assert entry.actor_name == "retention"
    assert details["code"] == "YS-AUD"
    assert details["rule"] == Rule.RETENTION.value
    assert details["segments"] == 2
    assert details["bytes"] == 1000
    assert details["retention_days"] == 10
    assert details["cutoff"].startswith((now - 10 * DAY).date().isoformat())
    assert details["streams"] == ["main"]
    assert details["first_file"].endswith(first.path.name)
    assert details["last_file"].endswith(second.path.name)


def test_held_range_survives_and_release_lets_the_next_purge_destroy_it(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-H")
    person(any_ctx, "owner1")
    held = segment(any_ctx, where, cam, now - 35 * DAY)
    unheld = segment(any_ctx, where, cam, now - 34 * DAY)
    hold_id = place(any_ctx, hold_input("YS-H", held.start, held.end, now + 30 * DAY))

    purge_expired(any_ctx)
    assert intact(held)
    assert gone(any_ctx, unheld)

    clock.advance(20 * DAY)  # far past 30 days now: still kept while held
    purge_expired(any_ctx)
    assert intact(held)

    release(any_ctx, hold_id)
    summary = purge_expired(any_ctx)
    assert gone(any_ctx, held)
    assert summary.segments == 1


def test_hold_on_camera_a_does_not_protect_camera_b(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    a = camera(any_ctx, "YS-HA")
    b = camera(any_ctx, "YS-HB")
    person(any_ctx, "owner1")
    start = now - 40 * DAY
    seg_a = segment(any_ctx, where, a, start)
    seg_b = segment(any_ctx, where, b, start)  # the very same time range
    place(any_ctx, hold_input("YS-HA", start - DAY, start + DAY, now + DAY))

    purge_expired(any_ctx)

    assert intact(seg_a)
    assert gone(any_ctx, seg_b)


def test_partial_overlap_protects_and_adjacent_does_not(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-P")
    person(any_ctx, "owner1")
    base = now - 40 * DAY
    before = segment(any_ctx, where, cam, base)  # ends 10 s before the hold starts
    tail = segment(any_ctx, where, cam, base + timedelta(seconds=70))  # its last 10 s held
    head = segment(any_ctx, where, cam, base + timedelta(seconds=190))  # its first 10 s held
    after = segment(any_ctx, where, cam, base + timedelta(seconds=260))  # starts 60 s after
    hold_start = base + timedelta(seconds=120)
    place(any_ctx, hold_input("YS-P", hold_start, hold_start + timedelta(seconds=80), now + DAY))

    purge_expired(any_ctx)

    assert intact(tail)
    assert intact(head)
    assert gone(any_ctx, before)
    assert gone(any_ctx, after)


def test_released_hold_and_other_ranges_do_not_protect(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-R")
    person(any_ctx, "owner1")
    old = segment(any_ctx, where, cam, now - 50 * DAY)
    other = segment(any_ctx, where, cam, now - 45 * DAY)
    released = place(any_ctx, hold_input("YS-R", old.start, old.end, now + DAY))
    release(any_ctx, released)
    place(any_ctx, hold_input("YS-R", other.start, other.end, now + DAY))

    purge_expired(any_ctx)

    assert gone(any_ctx, old)
    assert intact(other)


def test_dry_run_reports_and_deletes_nothing(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-D")
    old = segment(any_ctx, where, cam, now - 31 * DAY, size=1234)

    summary = purge_expired(any_ctx, dry_run=True)

    assert summary.dry_run
    assert summary.segments == 1
    assert summary.bytes == 1234
    assert intact(old)
    assert segment_states(any_ctx) == {old.id: "committed"}
    assert audit_rows(any_ctx, "retention.destroyed") == []


def test_explicit_now_decides_what_is_expired(any_ctx: Gwanje, clock: FakeClock) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-N")
    seg = segment(any_ctx, where, cam, now - 20 * DAY)
    assert purge_expired(any_ctx, now=now).segments == 0
    assert intact(seg)
    assert purge_expired(any_ctx, now=now + 11 * DAY).segments == 1
    assert gone(any_ctx, seg)


def test_crash_after_marking_is_finished_by_finish_deletions(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-C")
    doomed = segment(any_ctx, where, cam, now - 31 * DAY)
    kept = segment(any_ctx, where, cam, now - DAY)
    # Step 1 committed (rows marked, 파기 entry written), then the process died.
    with any_ctx.transaction() as session:
        destroy(session, any_ctx.clock, system_principal().actor, [doomed.id], Rule.RETENTION)
    assert segment_states(any_ctx) == {doomed.id: "deleting", kept.id: "committed"}
    assert intact(doomed)  # the file is still on disk

    assert finish_deletions(any_ctx) == 1

    assert gone(any_ctx, doomed)
    assert intact(kept)
    assert len(audit_rows(any_ctx, "retention.destroyed")) == 1


def test_next_purge_finishes_a_crashed_deletion_without_a_second_record(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    now = clock.now()
    where = store(any_ctx)
    cam = camera(any_ctx, "YS-C2")
    doomed = segment(any_ctx, where, cam, now - 31 * DAY)
    with any_ctx.transaction() as session:
        destroy(session, any_ctx.clock, system_principal().actor, [doomed.id], Rule.RETENTION)
    doomed.path.unlink()  # the crash came after the unlink, before the row was dropped

    summary = purge_expired(any_ctx)

    assert summary.finished == 1
    assert summary.segments == 0
    assert gone(any_ctx, doomed)
    assert len(audit_rows(any_ctx, "retention.destroyed")) == 1


def test_retention_above_30_days_is_refused_with_the_ordinance_cited(
    any_ctx: Gwanje,
) -> None:
    camera(any_ctx, "YS-31")
    for days in (31, 0, -1, 365):
        with pytest.raises(InvalidInput) as refused:
            _set_days(any_ctx, "YS-31", days)
        assert refused.value.key == "retention.error.days_out_of_range"
    assert "ORD-31.1" in str(refused.value)
    assert "30" in str(refused.value)
    from gwanje.i18n import translate

    korean = translate(refused.value.key, "ko", **refused.value.params)
    assert "제31조" in korean
    assert "30일" in korean
    assert audit_rows(any_ctx, "retention.camera_set") == []


def test_retention_set_is_audited_and_default_restored(any_ctx: Gwanje) -> None:
    cam = camera(any_ctx, "YS-S")
    _set_days(any_ctx, "YS-S", 14)
    _set_days(any_ctx, "YS-S", None)
    first, second = audit_rows(any_ctx, "retention.camera_set")
    assert json.loads(first.details) == {
        "code": "YS-S",
        "old_days": None,
        "new_days": 14,
        "effective_days": 14,
    }
    assert json.loads(second.details)["effective_days"] == any_ctx.settings.registry.retention_days
    assert first.camera_ids == str(cam)


@pytest.mark.parametrize("days", [31, 0])
def test_database_refuses_retention_outside_1_to_30_even_bypassing_the_service(
    any_ctx: Gwanje, days: int
) -> None:
    cam = camera(any_ctx, f"YS-DB{days}")
    with pytest.raises(IntegrityError), any_ctx.transaction() as session:
        session.execute(
            text("UPDATE cameras SET retention_days = :d WHERE id = :i"), {"d": days, "i": cam}
        )
    with any_ctx.sessions() as session:
        row = session.get(Camera, cam)
        assert row is not None
        assert row.retention_days is None
