"""`gwanje demo`: the control center with a sample city, embedded defaults, web UI."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gwanje.cli.common import open_system
from gwanje.context import Gwanje
from gwanje.settings import Mode


def seed_demo(system: Gwanje, cameras: int, rtsp_port: int = 8554) -> list[tuple[str, str, str]]:
    """Seed people and cameras once; returns (username, password, role) rows."""
    from gwanje.people import demo as people_demo
    from gwanje.registry import demo as registry_demo

    with system.transaction() as session:
        accounts = people_demo.seed(session, system.clock)
    with system.transaction() as session:
        registry_demo.seed(session, system.clock, cameras=cameras, rtsp_port=rtsp_port)
    return accounts


def start_video(system: Gwanje, cameras: int, rtsp_port: int, profile: str) -> Any:
    """Start the camera simulator and record every linked camera; returns a stopper."""
    from gwanje.media.camsim.clips import load_or_generate
    from gwanje.media.camsim.harness import run_in_thread
    from gwanje.media.camsim.profile import PROFILES
    from gwanje.media.camsim.server import ServerConfig
    from gwanje.media.recorder.supervisor import Recorder

    console = Console()
    console.print(f"camera simulator: preparing {profile} clips (first run encodes them)…")
    clips = load_or_generate(system.settings.data_dir / "camsim" / "clips", PROFILES[profile])
    sim = run_in_thread(clips, ServerConfig(cameras=cameras, port=rtsp_port))
    console.print(f"camera simulator: rtsp://127.0.0.1:{sim.port}/cam1/main … cam{cameras}/main")
    recording = system.settings.recording
    if "streams" not in recording.model_fields_set:
        # The wall's small tiles play sub streams (cheap to decode, 16 at once), enlarged
        # tiles and evidence the main stream: the demo records both unless told otherwise.
        recording.streams = ["main", "sub"]
    recorder = Recorder(system)
    recorder.start()
    jobs = recorder.jobs or []
    console.print(f"recorder: {len(jobs)} streams into {system.settings.video_dir}")
    from gwanje.camhealth.monitor import start_if_enabled

    monitor = start_if_enabled(system)  # image checks on the sub streams' live taps

    def stop() -> None:
        if monitor is not None:
            monitor.stop()
        recorder.stop()
        sim.stop()

    return stop


DEMO_CONFIG = """# Written by `gwanje demo`: this data directory holds the demo's sample city,
# so the other commands run on it in demo mode too (`gwanje --data-dir DIR recordings`).
mode = "demo"
"""


def _mark_demo_data(data_dir: Path) -> None:
    """A demo data directory without a gwanje.toml gets one saying it is a demo's, so later
    commands on it do not refuse it for a missing production secret key."""
    config = data_dir / "gwanje.toml"
    if not config.exists():
        config.write_text(DEMO_CONFIG, encoding="utf-8")


def demo(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, max=5000, help="Simulated cameras.")] = 48,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Web UI port.")] = 8000,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    rtsp_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Camera simulator RTSP port.")
    ] = 8554,
    profile: Annotated[
        str, typer.Option(help="Simulated video: default (1080p main) or test (small).")
    ] = "default",
    video: Annotated[bool, typer.Option(help="Run the camera simulator and the recorder.")] = True,
) -> None:
    """Run the control center with a sample city on http://HOST:PORT (Ctrl-C or SIGTERM stops)."""
    import uvicorn

    from gwanje.web.app import create_app

    # A stop request is noted, never fatal: during start-up it skips the web server; while
    # it runs, uvicorn shuts down gracefully and then re-raises the signal to this handler.
    # Either way the recorder and the simulator are stopped in order below (segments in
    # flight committed) and the process exits 0.
    stop_requested: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stop_requested.append(signum))
    system = open_system(ctx, mode=Mode.DEMO, port=port, host=host)
    _mark_demo_data(system.settings.data_dir)
    accounts = seed_demo(system, cameras, rtsp_port)
    console = Console()
    table = Table(title="Demo accounts / 데모 계정")
    for column in ("username", "password", "role"):
        table.add_column(column)
    for row in accounts:
        table.add_row(*row)
    console.print(table)
    stop_video = start_video(system, cameras, rtsp_port, profile) if video else None
    console.print(f"Gwanje: http://{host}:{port}/  (data: {system.settings.data_dir})")
    config = uvicorn.Config(create_app(system), host=host, port=port, log_level="info")
    try:
        if not stop_requested:
            uvicorn.Server(config).run()
    finally:
        if stop_video is not None:
            stop_video()  # segments in flight are committed before the process exits
        system.close()
