"""Benchmark: time to first frame of a playback seek anywhere in a 30-day index.

    .venv/bin/python bench/playback_seek.py [--days 30] [--seeks 200]

Builds a center whose index holds `days` of one camera's recording in 10 s segments
(259,200 rows for 30 days): one real segment is recorded from the simulator (1080p main
stream, the default profile) and every row points to a hard link of it, so the index and
the files are real and the disk holds one segment's bytes. A grant covers the whole range.
Then, against the real web server (uvicorn, loopback HTTP), random seeks:
- Gwanje: `GET /api/playback/{camera}/main/video?start=<seek>&end=<seek+60 s>` until the
  first fragment (init segment + one moof/mdat: a decodable keyframe) has arrived, i.e.
  the time a player needs before it can show the first frame; plus the time to headers;
- baseline, same run: reading the same bytes straight from the segment file (open, read
  the init segment and the first fragment): the floor of any server.
Printed: p50/p95 for both; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import struct
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert, select

from gwanje.auth.permissions import Role, permissions_for
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.models import Segment
from gwanje.media.playback import parse_segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.models import CameraStatus
from gwanje.registry.schemas import CameraCreate
from gwanje.registry.service import Registry, system_principal
from gwanje.settings import Mode, Settings

SEGMENT_S = 10


def record_one_segment(ctx: Gwanje, clips_dir: Path) -> tuple[int, Segment]:
    clips = load_or_generate(clips_dir, PROFILES["default"])
    with run_in_thread(clips, ServerConfig(cameras=1, udp=False)) as sim:
        with ctx.transaction() as session:
            dept = next(iter(ensure_departments(session).values()))
            camera = Registry(session, ctx.settings, ctx.clock, system_principal("bench")).create(
                CameraCreate.model_validate({
                    "code": "SEEK-1", "name": "seek bench", "district": "중앙동",
                    "address": "여수시", "department_id": dept.id, "installer_body": "여수시",
                    "purposes": ["crime_prevention"], "consultation_date": "2025-01-02",
                    "consultation_experts": "ok", "consultation_residents": "ok",
                    "std_standard_product": True, "std_multi_purpose": True,
                    "std_integrable": True, "install_contractor": "x",
                    "install_contractor_reg_no": "x-1", "installed_on": "2025-03-01",
                    "signage_installed_on": "2025-03-02", "signage_purpose": "방범",
                    "signage_location": "x", "signage_range": "x", "signage_hours": "24h",
                    "signage_manager_name": "x", "signage_manager_contact": "x",
                    "main_stream_url": sim.url(1, "main"),
                }), CameraStatus.LINKED,
            ).id  # fmt: skip
        recorder = Recorder(ctx)
        recorder.start()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with ctx.sessions() as session:
                    first = session.scalars(
                        select(Segment).where(Segment.end_at.is_not(None))
                    ).first()
                if first is not None:
                    break
                time.sleep(0.5)
        finally:
            recorder.stop()
    assert first is not None, "no segment recorded"
    return camera, first


def fill_index(ctx: Gwanje, camera: int, model: Segment, days: int) -> tuple[datetime, datetime]:
    """`days` of 10 s segments ending an hour ago, each a hard link of the model's file."""
    store = Path(ctx.settings.video_dir)
    source = store / model.path
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    start = end - timedelta(days=days)
    links = store / "bench-links"
    links.mkdir(exist_ok=True)
    rows = []
    count = days * 86_400 // SEGMENT_S
    for i in range(count):
        if i % 60_000 == 0:  # a file takes at most 65,000 hard links (ext4): a fresh copy
            copy = links / f"source-{i // 60_000}.mp4"
            shutil.copyfile(source, copy)
        name = f"bench-links/{i:07d}.mp4"
        os.link(copy, store / name)
        at = start + timedelta(seconds=i * SEGMENT_S)
        rows.append({
            "camera_id": camera, "stream": "main", "storage_dir_id": model.storage_dir_id,
            "path": name, "start_at": at, "end_at": at + timedelta(seconds=SEGMENT_S),
            "duration_ms": SEGMENT_S * 1000, "bytes": model.bytes, "frames": model.frames,
            "keyframes_ms": model.keyframes_ms, "codec": model.codec, "width": model.width,
            "height": model.height, "sha256": model.sha256, "state": "committed",
            "created_at": at,
        })  # fmt: skip
        if len(rows) == 20_000:
            with ctx.transaction() as session:
                session.execute(insert(Segment), rows)
            rows = []
    if rows:
        with ctx.transaction() as session:
            session.execute(insert(Segment), rows)
    return start, end


def grant_everything(ctx: Gwanje, start: datetime, end: datetime) -> Principal:
    from gwanje.audit.events import Actor
    from gwanje.people import service as people

    with ctx.transaction() as session:
        who = people.Who(Actor.system("bench"))
        data_in = people.PersonInput("viewer", "Viewer", "여수시")
        viewer = people.create_person(session, ctx.clock, who, data_in).id
    data = RequestInput(
        requester_kind="police", requester_org="bench", requester_name="bench", kind="view",
        legal_basis="investigation", purpose="bench", letter_no="b-1", crime_type="b",
        items=(ItemInput("SEEK-1", start, end),),
    )  # fmt: skip
    system = system_principal("bench")
    with ctx.transaction() as session:
        request_id = Requests(session, ctx.settings, ctx.clock, system).submit(data).id
    from dataclasses import replace

    with ctx.transaction() as session:
        Requests(session, ctx.settings, ctx.clock, replace(system, person_id=viewer)).approve(
            request_id, ["viewer"]
        )
    roles = frozenset({Role.OPERATOR})
    return Principal(viewer, "viewer", "Viewer", roles, permissions_for(roles))


def first_fragment_end(data: bytes) -> int | None:
    """Bytes needed for the init segment and one complete moof+mdat, if present."""
    pos, seen_mdat = 0, False
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if pos + size > len(data):
            return None
        pos += size
        if kind == b"mdat":
            seen_mdat = True
            break
    return pos if seen_mdat else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seeks", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gwanje-bench-seek-"))
    cache = Path(os.environ.get("GWANJE_BENCH_CLIPS", Path.home() / ".cache/gwanje-camsim"))
    try:
        settings = Settings(mode=Mode.TEST, data_dir=work / "data",
                            recording={"segment_seconds": SEGMENT_S, "min_free_bytes": 0,
                                       "live": False})  # fmt: skip
        ctx = Gwanje.open(settings)
        camera, model = record_one_segment(ctx, cache / "default")
        t = time.monotonic()
        start, end = fill_index(ctx, camera, model, args.days)
        with ctx.sessions() as session:
            rows = len(session.scalars(select(Segment.id)).all())
        print(f"index: {rows:,} segments over {args.days} days, built in "
              f"{time.monotonic() - t:.1f} s; segment file {model.bytes:,} bytes")  # fmt: skip
        viewer = grant_everything(ctx, start, end)
        run_seeks(ctx, viewer, camera, model, start, end, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_seeks(ctx: Gwanje, viewer: Principal, camera: int, model: Segment, start: datetime,
              end: datetime, args: argparse.Namespace) -> None:  # fmt: skip
    from gwanje.auth.middleware import SCOPE_KEY
    from gwanje.web.app import create_app

    app = create_app(ctx)

    async def as_viewer(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        await app({**scope, SCOPE_KEY: viewer}, receive, send)  # type: ignore[arg-type]

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(as_viewer, host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    rng = random.Random(7)
    span = (end - start).total_seconds() - 120
    heads, firsts, floor = [], [], []
    source = Path(ctx.settings.video_dir) / model.path
    layout = parse_segment(source.read_bytes())
    need = len(layout.init) + (layout.fragments[0].end - layout.fragments[0].start)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for n in range(args.seeks + 5):
            seek = start + timedelta(seconds=rng.uniform(0, span))
            params = {"start": seek.isoformat(), "end": (seek + timedelta(seconds=60)).isoformat()}
            t0 = time.perf_counter()
            with client.stream("GET", f"/api/playback/{camera}/main/video", params=params) as r:
                t1 = time.perf_counter()
                assert r.status_code == 200, r.read()
                got = b""
                for chunk in r.iter_bytes():
                    got += chunk
                    if first_fragment_end(got) is not None:
                        break
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            with open(source, "rb") as handle:  # the floor: the same bytes from disk
                handle.read(need)
            t4 = time.perf_counter()
            if n >= 5:  # warm-up excluded
                heads.append((t1 - t0) * 1000)
                firsts.append((t2 - t0) * 1000)
                floor.append((t4 - t3) * 1000)
    server.should_exit = True

    def p95(values: list[float]) -> float:
        return sorted(values)[round(0.95 * (len(values) - 1))]

    summary = {
        "days": args.days, "seeks": args.seeks,
        "headers_p50_ms": round(statistics.median(heads), 1),
        "headers_p95_ms": round(p95(heads), 1),
        "first_frame_p50_ms": round(statistics.median(firsts), 1),
        "first_frame_p95_ms": round(p95(firsts), 1),
        "baseline_p50_ms": round(statistics.median(floor), 2),
        "baseline_p95_ms": round(p95(floor), 2),
    }  # fmt: skip
    print(
        f"Gwanje: first fragment (decodable keyframe) p50 {summary['first_frame_p50_ms']} ms, "
        f"p95 {summary['first_frame_p95_ms']} ms; headers p50 {summary['headers_p50_ms']} ms"
    )
    print(
        f"baseline (the same bytes read from the file): p50 {summary['baseline_p50_ms']} ms, "
        f"p95 {summary['baseline_p95_ms']} ms"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
