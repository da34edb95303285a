"""A center that has recorded a simulated camera, and grants on it (console tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from registry.helpers import departments, make_camera
from retention.retention_kit import person
from sqlalchemy import select
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.models import Segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.registry.models import CameraStatus
from gwanje.settings import Mode, Settings


def record_center(tmp_path: Path, camsim: CamsimHandle) -> Iterator[dict[str, Any]]:
    """One simulated camera recorded for ~9 s in 2 s segments; people to act."""
    settings = Settings(
        mode=Mode.TEST, data_dir=tmp_path / "data",
        recording={"segment_seconds": 2.0, "min_free_bytes": 0, "live": False},
    )  # fmt: skip
    ctx = Gwanje.open(settings)
    camera = make_camera(ctx, "PB-1", departments(ctx)["SAFETY"], CameraStatus.LINKED,
                         main_stream_url=camsim.url(1, "main"))  # fmt: skip
    recorder = Recorder(ctx)
    recorder.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and segments(ctx) < 4:
            time.sleep(0.2)
    finally:
        recorder.stop()
    with ctx.sessions() as session:
        rows = session.execute(select(Segment.start_at, Segment.end_at)
                               .order_by(Segment.start_at)).all()  # fmt: skip
    people = {name: person(ctx, name) for name in ("kang", "yoon", "choi")}
    yield {"ctx": ctx, "camera": camera, "start": rows[0][0], "end": rows[-1][1], **people}
    ctx.close()


def segments(ctx: Gwanje) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(Segment.id)).all())


def grant(rec: dict[str, Any], start: datetime, end: datetime, grantee: str) -> None:
    """A police request for PB-1 over [start, end], approved for `grantee`."""
    ctx = rec["ctx"]
    police = principal_for(Role.POLICE_LIAISON, person_id=rec["kang"], username="kang")
    approver = principal_for(Role.APPROVER, person_id=rec["yoon"], username="yoon")
    data = RequestInput(
        requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
        kind="view", legal_basis="investigation", purpose="뺑소니 차량 확인",
        letter_no="교통-9", crime_type="뺑소니", items=(ItemInput("PB-1", start, end),),
    )  # fmt: skip
    with ctx.transaction() as session:
        request_id = Requests(session, ctx.settings, ctx.clock, police).submit(data).id
    with ctx.transaction() as session:
        Requests(session, ctx.settings, ctx.clock, approver).approve(request_id, [grantee])
