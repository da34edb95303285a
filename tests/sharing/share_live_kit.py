"""A live center for the sharing tests: camera simulator, recorder (main + sub with live
taps), uvicorn; and helpers to make and revoke shares as its general manager."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from browser.live import LiveServer
from sqlalchemy import select
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.settings import Mode, Settings
from gwanje.sharing.shares import ShareInput, Shares, sharing_transaction


def live_center(base: Path, template: Path, cameras: int = 2) -> Iterator[LiveServer]:
    clips = load_or_generate(base / "clips", TEST)
    sim = run_in_thread(clips, ServerConfig(cameras=cameras))
    data_dir = base / "center"
    data_dir.mkdir()
    shutil.copyfile(template, data_dir / "gwanje.db")
    recording = RecordingSettings(streams=["main", "sub"], segment_seconds=10,
                                  min_free_bytes=0)  # fmt: skip
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    from gwanje.cli.demo import seed_demo

    server = LiveServer(ctx, seed_demo(ctx, cameras=cameras, rtsp_port=sim.port))
    ctx.settings.sharing.public_url = server.url
    recorder = Recorder(ctx)
    recorder.start()
    server.start()
    yield server
    server.stop()
    recorder.stop()
    sim.stop()
    ctx.close()


def manager(ctx: Gwanje) -> Any:
    with ctx.sessions() as session:
        person_id = session.scalar(select(Person.id).where(Person.username == "manager"))
    return principal_for(Role.GENERAL_MANAGER, person_id=person_id, username="manager")


def camera_id(ctx: Gwanje, code: str = "YS-CAM-0001") -> int:
    with ctx.sessions() as session:
        value = session.scalar(select(Camera.id).where(Camera.code == code))
    assert value is not None
    return int(value)


def make_share(ctx: Gwanje, starts_at: datetime | None = None, hours: float = 1.0,
               codes: tuple[str, ...] = ("YS-CAM-0001",)) -> tuple[int, str]:  # fmt: skip
    data = ShareInput(
        agency="여수경찰서 112상황실", agency_code="YS-POLICE", recipient_kind="system",
        recipients=("ys-police-vms",), legal_basis="실종 아동 합동 수색 (ORD-14.2, 17)",
        purpose="crime_prevention", camera_codes=codes, hours=hours, starts_at=starts_at,
    )  # fmt: skip
    with sharing_transaction(ctx) as session:
        share, token = Shares(session, ctx.settings.sharing, ctx.clock, manager(ctx)).create(data)
        return share.id, token


def revoke(ctx: Gwanje, share_id: int) -> None:
    with ctx.transaction() as session:
        Shares(session, ctx.settings.sharing, ctx.clock, manager(ctx)).revoke(share_id, "종료")
