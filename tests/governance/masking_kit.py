"""A center that recorded a simulated camera with people walking through it (two copies
of a real face photograph), and a data subject's granted viewing of that footage: the
starting point of the masked-clip tests (API and Chromium)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
from registry.helpers import departments, make_camera
from retention.retention_kit import person
from sqlalchemy import select
from webclient import principal_for

from gwanje.analytics.faces import YuFaceDetector
from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.governance.requests import ItemInput
from gwanje.governance.subjects.service import PlaceInput, SubjectInput, Subjects
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import FACES
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.models import Segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.registry.models import CameraStatus
from gwanje.settings import Mode, Settings

FEE_PER_MINUTE = 5000


def recorded_people(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """~6 s of a camera whose scene has two people walking, recorded in 2 s segments."""
    clips = load_or_generate(tmp_path / "clips", FACES)
    sim = run_in_thread(clips, ServerConfig(cameras=1))
    settings = Settings(
        mode=Mode.DEMO, data_dir=tmp_path / "data",
        recording={"segment_seconds": 2.0, "min_free_bytes": 0, "live": False},
        governance={"subjects": {"masking_fee_won_per_minute": FEE_PER_MINUTE}},
    )  # fmt: skip
    ctx = Gwanje.open(settings)
    camera = make_camera(ctx, "SR-M1", departments(ctx)["TRAFFIC"], CameraStatus.LINKED,
                         purposes=["traffic_info"], main_stream_url=sim.url(1, "main"))  # fmt: skip
    recorder = Recorder(ctx)
    recorder.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _segments(ctx) < 3:
            time.sleep(0.2)
    finally:
        recorder.stop()
        sim.stop()
    with ctx.sessions() as session:
        spans = session.execute(select(Segment.start_at, Segment.end_at)
                                .order_by(Segment.start_at)).all()  # fmt: skip
    officer = principal_for(Role.PRIVACY_OFFICER, person_id=person(ctx, "kim"), username="kim")
    request_id = granted_viewing(ctx, officer, "SR-M1", spans[0][0], spans[-1][1])
    yield {"ctx": ctx, "camera": camera, "officer": officer, "request_id": request_id}
    ctx.close()


def _segments(ctx: Gwanje) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(Segment.id)).all())


def granted_viewing(ctx: Gwanje, officer: Principal, code: str, start: Any, end: Any) -> int:
    """Filed on the public form, identity checked, resolved to the camera, granted."""

    def run(principal: Principal | None, job: Any) -> Any:
        with ctx.transaction() as session:
            return job(Subjects(session, ctx.settings, ctx.clock, principal, "10.0.0.9"))

    data = SubjectInput(
        kind="viewing", applicant_name="홍길동", applicant_contact="010-1234-5678",
        purpose="시청 앞에서 넘어진 경위 확인", details="회색 외투",
        places=(PlaceInput("여수시 학동 시청 앞", start, end),),
    )  # fmt: skip
    request_id: int = run(None, lambda s: s.receive(data)).request_id
    run(officer, lambda s: s.verify_identity(request_id, ["id_card"], "주민등록증 확인"))
    run(officer, lambda s: s.resolve(request_id, (ItemInput(code, start, end),)))
    run(officer, lambda s: s.grant(request_id, "copy", "제3자 마스킹 후 사본 교부", "in_person"))
    return request_id


def faces_per_frame(path: Path, threshold: float = 0.5) -> list[int]:
    """How many faces the detector finds on each frame of a video file."""
    detector = YuFaceDetector(threshold=threshold)
    counts = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = np.asarray(frame.to_ndarray(format="rgb24"))
            counts.append(len(detector.detect(rgb)))
    return counts
