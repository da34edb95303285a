"""The index side: gaps and health from reports, crash recovery, `check`, storage identity."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from recorder_kit import capture_file, linked_cameras, make_clip
from sqlalchemy import select

from gwanje.context import Gwanje
from gwanje.media import check as checking
from gwanje.media.models import CameraHealthEvent, Gap, Segment
from gwanje.media.recorder.capture import CaptureParams
from gwanje.media.recorder.indexer import Indexer
from gwanje.media.recorder.messages import (
    HealthChanged,
    SegmentCommitted,
    StreamDown,
    StreamKey,
)
from gwanje.media.recorder.recovery import recover
from gwanje.media.storage import META_FILE, StorageRefused, lock_store, open_store

FAST = CaptureParams(segment_seconds=2.0, reconnect_min_s=60.0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "source.mp4", seconds=6, gop=25)


def recorded(ctx: Gwanje, clip: Path) -> tuple[int, list[SegmentCommitted]]:
    (camera_id,) = linked_cameras(ctx, 1, lambda n: f"rtsp://127.0.0.1:1/cam{n}/main")
    store = open_store(ctx)
    reports = capture_file(clip, store.path, FAST, camera_id=camera_id)
    Indexer(ctx, store.id).apply(reports)
    return camera_id, [r for r in reports if isinstance(r, SegmentCommitted)]


def rows(ctx: Gwanje, model: type) -> list:  # type: ignore[type-arg]
    with ctx.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_reports_become_segments_a_gap_and_health(any_ctx: Gwanje, clip: Path) -> None:
    _camera_id, done = recorded(any_ctx, clip)
    segs = rows(any_ctx, Segment)
    assert [s.path for s in segs] == [d.relpath for d in done]
    assert segs[0].duration_ms == 2000
    assert segs[0].keyframes_ms == "0,1000"
    (gap,) = rows(any_ctx, Gap)
    assert (gap.cause, gap.end_at) == ("camera_offline", None)  # open: the camera is gone
    assert gap.start_at == done[-1].end_at
    states = [h.state for h in rows(any_ctx, CameraHealthEvent)]
    assert states == ["online", "offline"]


def test_repeated_failures_are_one_gap_closed_by_the_next_segment(any_ctx: Gwanje) -> None:
    (camera_id,) = linked_cameras(any_ctx, 1, lambda n: "rtsp://127.0.0.1:1/x")
    key, store = StreamKey(camera_id, "main"), open_store(any_ctx)
    t0 = any_ctx.clock.now()
    indexer = Indexer(any_ctx, store.id)
    for n in range(3):  # a camera that keeps refusing reconnects
        indexer.apply([StreamDown(key, t0 + timedelta(seconds=n), "camera_offline", "refused")])
        indexer.apply([HealthChanged(key, t0 + timedelta(seconds=n), "offline", "refused")])
    back = t0 + timedelta(seconds=30)
    indexer.apply(
        [
            SegmentCommitted(
                key,
                f"{camera_id}/main/x.mp4",
                back,
                back + timedelta(seconds=2),
                10,
                50,
                (0,),
                "h264",
                320,
                180,
                "0" * 64,
            )
        ]
    )
    (gap,) = rows(any_ctx, Gap)
    assert (gap.start_at, gap.end_at) == (t0, back)
    assert len(rows(any_ctx, CameraHealthEvent)) == 1  # only changes are history


def test_killed_recorder_part_file_is_salvaged_at_restart(any_ctx: Gwanje, clip: Path) -> None:
    camera_id, done = recorded(any_ctx, clip)
    store = open_store(any_ctx)
    # What SIGKILL leaves: the segment in flight as a .part file, torn mid-fragment.
    source = store.path / done[1].relpath
    torn = source.with_name(f"{done[-1].end_at:%Y%m%dT%H%M%S}000Z-000099.mp4.part")
    data = source.read_bytes()
    torn.write_bytes(data[: len(data) * 3 // 4])
    report = recover(any_ctx, store, [StreamKey(camera_id, "main")])
    assert len(report.salvaged) == 1
    assert not list(store.path.rglob("*.part"))
    salvaged = store.path / report.salvaged[0]
    with any_ctx.sessions() as session:
        row = session.scalars(select(Segment).where(Segment.path == report.salvaged[0])).one()
    assert 0 < row.frames < 50  # the readable fragments, not the torn tail
    assert salvaged.stat().st_size == row.bytes
    result = checking.check(any_ctx, store)
    assert result.clean, result


def test_restart_opens_a_gap_from_the_last_segment(any_ctx: Gwanje, clip: Path) -> None:
    camera_id, done = recorded(any_ctx, clip)
    key = StreamKey(camera_id, "main")
    store = open_store(any_ctx)
    with any_ctx.transaction() as session:  # close the camera_offline gap: camera came back
        for gap in session.scalars(select(Gap)):
            gap.end_at = done[-1].end_at
    report = recover(any_ctx, store, [key])
    assert report.restart_gaps == 1
    gaps = [g for g in rows(any_ctx, Gap) if g.cause == "recorder_restart"]
    assert gaps[0].start_at == done[-1].end_at
    assert gaps[0].end_at is None


def test_file_without_row_is_indexed_at_restart(any_ctx: Gwanje, clip: Path) -> None:
    camera_id, done = recorded(any_ctx, clip)
    with any_ctx.transaction() as session:  # died between rename and row
        lost = select(Segment).where(Segment.path == done[0].relpath)
        session.delete(session.scalars(lost).one())
    report = recover(any_ctx, open_store(any_ctx), [StreamKey(camera_id, "main")])
    assert report.indexed == [done[0].relpath]
    with any_ctx.sessions() as session:
        row = session.scalars(select(Segment).where(Segment.path == done[0].relpath)).one()
    assert row.sha256 == done[0].sha256
    start = done[0].start_at
    assert row.start_at == start.replace(microsecond=start.microsecond // 1000 * 1000)


def test_check_finds_and_repairs_without_deleting_video(any_ctx: Gwanje, clip: Path) -> None:
    _camera_id, done = recorded(any_ctx, clip)
    store = open_store(any_ctx)
    assert checking.check(any_ctx, store).clean
    (store.path / done[0].relpath).unlink()  # lost file
    tampered = store.path / done[1].relpath
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"\x00")  # same size, other bytes
    stray = store.path / "notes.txt"
    stray.write_text("someone's file")
    result = checking.check(any_ctx, store)
    assert result.missing == [done[0].relpath]
    assert result.hash_mismatch == [done[1].relpath]
    assert result.orphans == ["notes.txt"]
    checking.repair(any_ctx, store, result)
    after = checking.check(any_ctx, store)
    assert after.missing == []
    assert after.orphans == []
    assert after.hash_mismatch == [done[1].relpath]  # evidence of tampering is kept, reported
    assert tampered.exists()
    assert (store.path / "lost+found" / "notes.txt").read_text() == "someone's file"
    assert any(g.cause == "missing" for g in rows(any_ctx, Gap))


def test_swapped_or_foreign_storage_is_refused(any_ctx: Gwanje, tmp_path: Path) -> None:
    store = open_store(any_ctx)
    assert open_store(any_ctx) == store  # reopening the same directory is fine
    meta = store.path / META_FILE
    original = meta.read_text()
    meta.write_text(json.dumps({"storage_uuid": "00000000-0000-0000-0000-000000000000"}))
    with pytest.raises(StorageRefused):
        open_store(any_ctx)
    meta.unlink()  # an empty, unmounted mount point
    with pytest.raises(StorageRefused):
        open_store(any_ctx)
    meta.write_text(original)
    foreign = tmp_path / "foreign"
    shutil.copytree(store.path, foreign)  # another database's disk
    with pytest.raises(StorageRefused):
        open_store(any_ctx, foreign)


def test_one_recorder_per_storage_directory(ctx: Gwanje) -> None:
    store = open_store(ctx)
    held = lock_store(store)
    with pytest.raises(StorageRefused):
        lock_store(store)
    held.close()
    lock_store(store).close()
