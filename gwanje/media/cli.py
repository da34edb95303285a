"""CLI: `gwanje record`, `gwanje recordings`, `gwanje check`."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime
from typing import Annotated, Any

import typer
from sqlalchemy import select

from gwanje.cli.common import open_system
from gwanje.context import Gwanje
from gwanje.media import check as checking
from gwanje.media.models import Segment, SegmentState
from gwanje.media.storage import StorageRefused, open_store
from gwanje.registry.models import Camera


def _store(system: Gwanje) -> Any:
    try:
        return open_store(system)
    except StorageRefused as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc


def record(ctx: typer.Context) -> None:
    """Record every linked camera until SIGTERM or Ctrl-C (segments in flight are kept)."""
    from gwanje.media.recorder.supervisor import Recorder

    system = open_system(ctx)
    recorder = Recorder(system, store=_store(system))
    try:
        recorder.start()
    except StorageRefused as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    assert recorder.jobs is not None
    typer.echo(f"recording {len(recorder.jobs)} streams into {system.settings.video_dir}")
    from gwanje.camhealth.monitor import start_if_enabled

    monitor = start_if_enabled(system)  # image checks: a process of their own
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    if monitor is not None:
        monitor.stop()
    recorder.stop()
    system.close()
    typer.echo("recorder stopped")


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{option}: not an ISO 8601 time: {value}") from exc
    if parsed.tzinfo is None:
        raise typer.BadParameter(f"{option}: give a time zone, e.g. {value}+09:00")
    return parsed


def recordings(
    ctx: typer.Context,
    camera: Annotated[str | None, typer.Option(help="Camera management number.")] = None,
    stream: Annotated[str | None, typer.Option(help="main or sub.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="ISO time, with zone.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO time, with zone.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """List recorded segments (camera, start, end, path, sha256) overlapping a time range."""
    since, until = _parse_time(start, "--from"), _parse_time(end, "--to")
    system = open_system(ctx)
    query = (
        select(Segment, Camera.code)
        .join(Camera, Camera.id == Segment.camera_id)
        .where(Segment.state == SegmentState.COMMITTED)
        .order_by(Camera.code, Segment.stream, Segment.start_at)
    )
    if camera:
        query = query.where(Camera.code == camera)
    if stream:
        query = query.where(Segment.stream == stream)
    if since:
        query = query.where(Segment.end_at > since)
    if until:
        query = query.where(Segment.start_at < until)
    video_dir = system.settings.video_dir
    with system.sessions() as session:
        rows = [
            {
                "camera": code, "camera_id": seg.camera_id, "stream": seg.stream,
                "start": seg.start_at.isoformat(), "end": seg.end_at.isoformat(),
                "duration_ms": seg.duration_ms, "frames": seg.frames, "bytes": seg.bytes,
                "path": str(video_dir / seg.path), "sha256": seg.sha256,
            }
            for seg, code in session.execute(query)
        ]  # fmt: skip
    system.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['camera']} {row['stream']} {row['start']} → {row['end']} {row['path']}")
    typer.echo(f"{len(rows)} segments")


def check_command(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--repair", help="Repair what can be repaired.")] = False,
    no_hash: Annotated[bool, typer.Option("--no-hash", help="Skip SHA-256 checks.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare the recording index with the disk; exit 1 if anything is wrong."""
    system = open_system(ctx)
    store = _store(system)
    report = checking.check(system, store, verify_hash=not no_hash)
    if fix and not report.clean:
        try:
            checking.repair(system, store, report)
        except checking.RecorderRunning as exc:
            typer.secho(str(exc), fg="red", err=True)
            raise typer.Exit(2) from exc
        report.repaired.append("re-checked")
        after = checking.check(system, store, verify_hash=not no_hash)
        after.repaired = report.repaired
        report = after
    system.close()
    body = {k: v for k, v in vars(report).items()} | {"clean": report.clean}
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
    else:
        for name, value in body.items():
            typer.echo(f"{name}: {value}")
    raise typer.Exit(0 if report.clean else 1)
