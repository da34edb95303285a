"""Benchmark: Gwanje's recorder against the ffmpeg-per-camera baseline, in one run.

    .venv/bin/python bench/recording.py --streams 64 --seconds 60        # quick
    .venv/bin/python bench/recording.py --streams 256 --seconds 120      # full

Both record the same simulated cameras (`gwanje camsim`, run in a process of its own,
1080p25 ~4 Mbit/s main streams by default) for the same time:
- Gwanje: `gwanje record` as a child process (supervisor + capture workers), 10 s segments;
- baseline, what Frigate/Shinobi/Viseron do: one `ffmpeg -rtsp_transport tcp -i URL -an
  -c:v copy -f segment -segment_time 10` process per camera, all started at once.
Printed for each: CPU-seconds per stream-second (utime+stime of the whole process tree over
the measured window, divided by the stream-seconds the simulator actually served in it, so
cameras a recorder failed to connect do not dilute it), memory (sum of PSS of the tree) per
stream, frames received vs the
frames the simulator sent, gaps; the simulator's own CPU and any ticks it skipped (a
simulator that falls behind skips frames, which clients see as loss: such a run says so);
then the ratios. The last line is one JSON object.
Needs ffmpeg on PATH for the baseline (Debian: apt-get install ffmpeg).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gwanje.context import Gwanje
from gwanje.media.camsim.faults import ServerStats
from gwanje.media.camsim.process import CamsimProcess, run_in_process
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.models import Gap, Segment
from gwanje.media.probe import probe
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.models import CameraStatus
from gwanje.registry.schemas import CameraCreate
from gwanje.registry.service import Registry, system_principal
from gwanje.settings import Mode, Settings

TICK = os.sysconf("SC_CLK_TCK")
FPS = 25  # both simulator profiles


@dataclass
class Result:
    name: str
    streams: int
    window_s: float
    cpu_s: float
    pss_bytes: int
    frames_sent: int
    frames_received: int
    gaps: int
    started: int
    served_stream_s: float  # stream-seconds the simulator served during the window

    @property
    def cpu_per_stream_s(self) -> float:
        return self.cpu_s / max(self.served_stream_s, 1e-9)

    @property
    def pss_per_stream_mb(self) -> float:
        return self.pss_bytes / self.streams / 1e6

    @property
    def frames_lost(self) -> int:
        return max(0, self.frames_sent - self.frames_received)


def descendants(roots: list[int]) -> list[int]:
    """`roots` and all their descendants, from one pass over /proc (one pass per root took
    ~7 s with 256 ffmpeg roots, time that used to fall inside the measured window)."""
    parents: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = int(text.split("PPid:\t", 1)[1].split("\n", 1)[0])
        parents.setdefault(ppid, []).append(int(status.parent.name))
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_times(pids: list[int]) -> tuple[float, float]:
    """(utime + stime, stime) of `pids`: all their CPU and the kernel's part, one read."""
    total = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        system += int(fields[12])
    return total / TICK, system / TICK


def cpu_seconds(pids: list[int]) -> float:
    return cpu_times(pids)[0]


def pss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def totals(sim: CamsimProcess) -> ServerStats:
    """The simulator's totals, retried: a saturated machine can delay its event loop."""
    for _ in range(4):
        try:
            return sim.server_stats()
        except TimeoutError:
            continue
    raise RuntimeError("camera simulator does not answer (machine saturated)")


def sent(sim: CamsimProcess) -> int:
    return totals(sim).frames_sent.get("main", 0)


def link_cameras(ctx: Gwanje, sim: CamsimProcess, n: int) -> None:
    with ctx.transaction() as session:
        dept = next(iter(ensure_departments(session).values()))
        registry = Registry(session, ctx.settings, ctx.clock, system_principal("bench"))
        for i in range(1, n + 1):
            data = CameraCreate.model_validate(
                {
                    "code": f"BENCH-{i:04d}", "name": f"bench {i}", "district": "중앙동",
                    "address": "여수시", "department_id": dept.id, "installer_body": "여수시",
                    "purposes": ["crime_prevention"], "consultation_date": date(2025, 1, 2),
                    "consultation_experts": "ok", "consultation_residents": "ok",
                    "std_standard_product": True, "std_multi_purpose": True,
                    "std_integrable": True, "install_contractor": "x",
                    "install_contractor_reg_no": "x-1", "installed_on": date(2025, 3, 1),
                    "signage_installed_on": date(2025, 3, 2), "signage_purpose": "방범",
                    "signage_location": "x", "signage_range": "x", "signage_hours": "24h",
                    "signage_manager_name": "x", "signage_manager_contact": "x",
                    "main_stream_url": sim.url(i, "main"),
                }
            )  # fmt: skip
            registry.create(data, CameraStatus.LINKED)


def streaming(sim: CamsimProcess) -> int:
    return totals(sim).playing.get("main", 0)


def measure(
    name: str, root_pids: list[int], n: int, sim: CamsimProcess, warmup_s: float, seconds: float
) -> tuple[float, float, int, float]:
    """CPU over a window that starts once every camera streams (start-up costs excluded;
    after 120 s the window starts anyway), plus `warmup_s` to settle; PSS at the end of the
    window; and the stream-seconds the simulator actually served in the window (frames
    sent / 25), which is what CPU is divided by: a camera whose recorder never connected
    costs nothing and must not dilute the per-stream figure."""
    t = time.monotonic()
    while streaming(sim) < n and time.monotonic() - t < 120:
        time.sleep(0.5)
    print(
        f"  {name}: {streaming(sim)} of {n} cameras streaming after {time.monotonic() - t:.1f} s",
        flush=True,
    )
    time.sleep(warmup_s)
    # The CPU and the frames served are read back to back at both ends, and the frames
    # are divided by the simulator's own interval between its two counts: the stream-
    # seconds served are its average streams times the CPU window. (Reading the simulator
    # before a slow /proc scan and the CPU after it once counted ~8 s more frames than CPU
    # for 256 ffmpeg processes: their CPU per stream-second looked 13 % lower than it was.)
    pids = descendants(root_pids)
    before = totals(sim)
    (cpu0, system0), sim0, t0 = cpu_times(pids), cpu_seconds([sim.pid]), time.monotonic()
    root0 = cpu_seconds(root_pids)
    time.sleep(seconds)
    pids = descendants(root_pids)  # any process started in the window counts too
    (cpu1, system1), sim1, t1 = cpu_times(pids), cpu_seconds([sim.pid]), time.monotonic()
    after = totals(sim)
    frames = after.frames_sent.get("main", 0) - before.frames_sent.get("main", 0)
    average_streams = frames / FPS / max(after.at - before.at, 1e-9)
    served = average_streams * (t1 - t0)
    print(
        f"  {name}: {len(pids)} processes at the end of the window; "
        f"{average_streams:.0f} streams served on average in it "
        f"(CPU window {t1 - t0:.1f} s, simulator's {after.at - before.at:.1f} s)",
        flush=True,
    )
    print(f"  {name}: {cpu1 - cpu0:.1f} CPU-s, of which {system1 - system0:.1f} in the kernel "
          "(sockets, page cache, scheduling)", flush=True)  # fmt: skip
    if len(root_pids) == 1:  # Gwanje: how the CPU splits between supervisor and workers
        root_cpu = cpu_seconds(root_pids) - root0
        print(
            f"  {name}: supervisor {root_cpu:.1f} CPU-s, capture workers "
            f"{cpu1 - cpu0 - root_cpu:.1f} CPU-s over the window",
            flush=True,
        )
    lagged = after.ticks_lagged - before.ticks_lagged
    print(f"  simulator: {(sim1 - sim0) / (t1 - t0):.2f} CPU cores; "
          f"{lagged} ticks skipped in {after.lag_events - before.lag_events} lag events"
          + (" (it fell behind: frames lost in this window are the simulator's)" if lagged
             else ""), flush=True)  # fmt: skip
    return cpu1 - cpu0, t1 - t0, pss_bytes(pids), served


def run_gwanje(work: Path, sim: CamsimProcess, n: int, warmup: float, seconds: float) -> Result:
    data = work / "gwanje"
    settings = Settings(mode=Mode.TEST, data_dir=data)
    ctx = Gwanje.open(settings)
    link_cameras(ctx, sim, n)
    before = sent(sim)
    env = {**os.environ, "GWANJE_MODE": "test", "GWANJE_RECORDING__SEGMENT_SECONDS": "10",
           "GWANJE_RECORDING__MIN_FREE_BYTES": "0"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "gwanje.cli.main", "--data-dir", str(data), "record"],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    cpu, window, pss, served = measure("gwanje", [proc.pid], n, sim, warmup, seconds)
    proc.send_signal(signal.SIGTERM)  # graceful: segments in flight are committed
    proc.wait(120)
    total_sent = sent(sim) - before
    with ctx.sessions() as session:
        frames = int(session.scalar(select(func.sum(Segment.frames))) or 0)
        gaps = int(session.scalar(select(func.count()).select_from(Gap)) or 0)
        causes = session.execute(select(Gap.cause, func.count()).group_by(Gap.cause)).all()
        if causes:
            print(f"  gwanje gaps by cause: {dict(causes)}", flush=True)
        started = int(session.scalar(select(func.count(func.distinct(Segment.camera_id)))) or 0)
    ctx.close()
    return Result("gwanje", n, window, cpu, pss, total_sent, frames, gaps, started, served)


def run_ffmpeg(work: Path, sim: CamsimProcess, n: int, warmup: float, seconds: float) -> Result:
    before = sent(sim)
    procs = []
    for i in range(1, n + 1):
        out = work / "ffmpeg" / f"cam{i}"
        out.mkdir(parents=True)
        procs.append(
            subprocess.Popen(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-rtsp_transport",
                    "tcp",
                    "-i",
                    sim.url(i, "main"),
                    "-an",
                    "-c:v",
                    "copy",
                    "-f",
                    "segment",
                    "-segment_time",
                    "10",
                    "-reset_timestamps",
                    "1",
                    str(out / "%05d.mp4"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    cpu, window, pss, served = measure("ffmpeg", [p.pid for p in procs], n, sim, warmup, seconds)
    for p in procs:
        p.send_signal(signal.SIGINT)  # ffmpeg finishes its files on SIGINT
    deadline = time.monotonic() + 60  # one deadline for all, then the rest are killed
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    total_sent = sent(sim) - before
    frames = started = 0
    for i in range(1, n + 1):
        files = sorted((work / "ffmpeg" / f"cam{i}").glob("*.mp4"))
        counted = sum((c.frames if (c := probe(f)) else 0) for f in files)
        frames += counted
        started += 1 if counted else 0
    gaps = n - started  # a camera whose ffmpeg never recorded is one unbroken gap
    return Result("ffmpeg", n, window, cpu, pss, total_sent, frames, gaps, started, served)


def show(r: Result) -> None:
    print(
        f"{r.name:>8}: {r.streams} streams, {r.started} recorded; "
        f"CPU {r.cpu_per_stream_s:.5f} CPU-s per stream-second ({r.cpu_s:.1f} CPU-s over "
        f"{r.window_s:.0f} s); PSS {r.pss_per_stream_mb:.1f} MB per stream; frames received "
        f"{r.frames_received} of {r.frames_sent} sent (lost {r.frames_lost}); gaps {r.gaps}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="default")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    if not args.skip_baseline and shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg not on PATH (apt-get install ffmpeg), or pass --skip-baseline")
    work = Path(tempfile.mkdtemp(prefix="gwanje-bench-rec-"))
    cache = Path(os.environ.get("GWANJE_BENCH_CLIPS", Path.home() / ".cache/gwanje-camsim"))
    n = args.streams
    results: list[Result] = []
    t = time.monotonic()
    config = ServerConfig(cameras=n, udp=False)
    with run_in_process(cache / args.profile, args.profile, config) as sim:
        print(f"simulator ({args.profile}) up in {time.monotonic() - t:.1f} s", flush=True)
        results.append(run_gwanje(work, sim, n, args.warmup, args.seconds))
        show(results[-1])
        if not args.skip_baseline:
            results.append(run_ffmpeg(work, sim, n, args.warmup, args.seconds))
            show(results[-1])
    shutil.rmtree(work, ignore_errors=True)
    ours = results[0]
    summary: dict[str, Any] = {
        "streams": n, "seconds": args.seconds, "profile": args.profile,
        "cpu_per_stream_s": round(ours.cpu_per_stream_s, 6),
        "pss_per_stream_mb": round(ours.pss_per_stream_mb, 2),
        "frames_lost": ours.frames_lost, "frames_sent": ours.frames_sent, "gaps": ours.gaps,
    }  # fmt: skip
    if len(results) == 2:
        base = results[1]
        summary |= {
            "baseline_cpu_per_stream_s": round(base.cpu_per_stream_s, 6),
            "baseline_pss_per_stream_mb": round(base.pss_per_stream_mb, 2),
            "baseline_frames_lost": base.frames_lost, "baseline_started": base.started,
            "cpu_ratio": round(ours.cpu_per_stream_s / base.cpu_per_stream_s, 3),
            "mem_ratio": round(ours.pss_per_stream_mb / base.pss_per_stream_mb, 3),
        }  # fmt: skip
        print(f"ratios gwanje/baseline: CPU {summary['cpu_ratio']}, memory {summary['mem_ratio']}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
