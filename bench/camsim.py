"""Benchmark of the camera simulator: clip generation time and server CPU per stream-second.

    .venv/bin/python bench/camsim.py                       # generate, then 32 and 128 streams
    .venv/bin/python bench/camsim.py --quick               # test profile, 8 and 32 streams
    .venv/bin/python bench/camsim.py --streams 64 --transport udp --cache data/camsim/clips

The server runs as `gwanje camsim` in its own process, so its CPU time (utime + stime
from /proc, Linux only) is the server's alone; the clients live in this process and only
read and discard bytes (RTSP DESCRIBE/SETUP video/PLAY, then the raw interleaved stream,
or UDP datagrams). Each run reports the server's CPU-seconds per stream-second and the
bitrate each client actually received, so a server that kept its CPU low by falling
behind would show it. The issue's target is about 0.0005 CPU-s per stream-second.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.profile import PROFILES

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


class Counter(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.bytes = 0

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.bytes += len(data)


async def request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cseq: int, line: str, **headers: str
) -> dict[str, str]:
    text = (
        f"{line} RTSP/1.0\r\nCSeq: {cseq}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    )
    writer.write(text.encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    if " 200 " not in head.split("\r\n", 1)[0]:
        raise RuntimeError(head)
    found = dict(re.findall(r"^([\w-]+):\s*(.*?)\r$", head, flags=re.MULTILINE))
    length = int(found.get("Content-Length", "0"))
    if length:
        await reader.readexactly(length)
    return found


async def client(
    url: str, transport: str, totals: list[int], slot: int, stop: asyncio.Event
) -> None:
    host, port = url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    await request(reader, writer, 1, f"DESCRIBE {url}")
    udp = None
    if transport == "tcp":
        spec = "RTP/AVP/TCP;unicast;interleaved=0-1"
    else:
        loop = asyncio.get_running_loop()
        udp, counter = await loop.create_datagram_endpoint(Counter, local_addr=(host, 0))
        sock = udp.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        rtp_port = sock.getsockname()[1]
        spec = f"RTP/AVP;unicast;client_port={rtp_port}-{rtp_port + 1}"
    reply = await request(reader, writer, 2, f"SETUP {url}/trackID=0", Transport=spec)
    session = reply["Session"].split(";")[0]
    await request(reader, writer, 3, f"PLAY {url}", Session=session)
    while not stop.is_set():
        if transport == "tcp":
            chunk = await reader.read(1 << 18)
            if not chunk:
                break
            totals[slot] += len(chunk)
        else:
            await asyncio.sleep(0.5)
            totals[slot] = counter.bytes
    writer.close()
    if udp is not None:
        udp.close()


async def measure(urls: list[str], transport: str, pid: int, seconds: float) -> dict[str, Any]:
    stop = asyncio.Event()
    totals = [0] * len(urls)
    tasks = []
    for i, url in enumerate(urls):  # staggered, as a recorder would start them
        tasks.append(asyncio.create_task(client(url, transport, totals, i, stop)))
        await asyncio.sleep(0.01)
    await asyncio.sleep(3.0)  # every client past its first keyframe
    cpu0, bytes0, t0 = cpu_seconds(pid), sum(totals), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, bytes1, t1 = cpu_seconds(pid), sum(totals), time.monotonic()
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = t1 - t0
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    cpu = user + system
    return {
        "streams": len(urls),
        "transport": transport,
        "seconds": round(elapsed, 2),
        "server_cpu_s": round(cpu, 3),
        # system time includes the loopback receive path, which the kernel runs in the
        # sender's context: on a real network that half would be the client's.
        "server_user_s": round(user, 3),
        "server_system_s": round(system, 3),
        "cpu_per_stream_second": round(cpu / (len(urls) * elapsed), 6),
        "server_cores_busy": round(cpu / elapsed, 3),
        "received_mbit_per_stream": round((bytes1 - bytes0) * 8 / elapsed / len(urls) / 1e6, 3),
    }


def start_server(data_dir: Path, cameras: int, profile: str) -> tuple[subprocess.Popen[str], int]:
    gwanje = Path(sys.executable).with_name("gwanje")
    proc = subprocess.Popen(
        [
            str(gwanje),
            "--data-dir",
            str(data_dir),
            "camsim",
            "--cameras",
            str(cameras),
            "--port",
            "0",
            "--profile",
            profile,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"on port (\d+)", line)
        if found:
            return proc, int(found.group(1))
    raise RuntimeError("gwanje camsim did not start")


def run(args: argparse.Namespace) -> dict[str, Any]:
    profile = PROFILES[args.profile]
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="camsim-bench-"))
    cache = data_dir / "camsim" / "clips"
    clips = load_or_generate(cache, profile)
    verb = "generated" if clips.generated else "loaded from cache"
    print(
        f"clips ({profile.name}: {profile.variants} variants x {profile.clip_seconds} s, "
        f"main {profile.main.width}x{profile.main.height}, sub {profile.sub.width}x"
        f"{profile.sub.height}) {verb} in {clips.seconds:.1f} s on {os.cpu_count()} cores"
    )
    result: dict[str, Any] = {
        "profile": profile.name,
        "clips_generated": clips.generated,
        "clip_seconds_taken": round(clips.seconds, 2),
        "runs": [],
    }
    for count in args.streams:
        for transport in args.transport:
            cameras = count if args.stream != "both" else (count + 1) // 2
            proc, port = start_server(data_dir, cameras, profile.name)
            streams = ["main", "sub"] if args.stream == "both" else [args.stream]
            urls = [
                f"rtsp://127.0.0.1:{port}/cam{c}/{s}"
                for c in range(1, cameras + 1)
                for s in streams
            ][:count]
            try:
                figures = asyncio.run(measure(urls, transport, proc.pid, args.seconds))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            figures["stream"] = args.stream
            result["runs"].append(figures)
            print(
                f"{count:4d} {args.stream} streams over {transport}: "
                f"{figures['cpu_per_stream_second']:.6f} CPU-s per stream-second "
                f"({figures['server_cores_busy']:.2f} cores; "
                f"user {figures['server_user_s']:.2f} s, "
                f"system {figures['server_system_s']:.2f} s), received "
                f"{figures['received_mbit_per_stream']:.2f} Mbit/s per stream"
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="test profile, 8 and 32 streams")
    parser.add_argument("--profile", default="default", choices=sorted(PROFILES))
    parser.add_argument(
        "--streams", type=lambda s: [int(x) for x in s.split(",")], default=[32, 128]
    )
    parser.add_argument("--stream", default="main", choices=["main", "sub", "both"])
    parser.add_argument("--transport", type=lambda s: s.split(","), default=["tcp"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--data-dir", help="reuse this data dir's clip cache (default: fresh)")
    args = parser.parse_args()
    if args.quick:
        args.profile, args.streams, args.seconds = "test", [8, 32], 5.0
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
