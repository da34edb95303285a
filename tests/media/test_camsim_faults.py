"""Each fault, observed from a real client (PyAV), and confined to its camera."""

from __future__ import annotations

import contextlib
import time

import av
import pytest
from camsim_kit import RawClient, open_rtsp, read_video

from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.camsim.rtp import split_annexb

TICKS = 90_000 // 25


def test_drop_ends_the_client_stream_and_spares_other_cameras(camsim: CamsimHandle) -> None:
    with open_rtsp(camsim.url(1)) as victim, open_rtsp(camsim.url(2)) as bystander:
        read_video(victim, 2)
        read_video(bystander, 2)
        assert camsim.drop(1) == 1
        try:
            after = len(read_video(victim, 100))
        except av.error.FFmpegError:
            after = 0
        assert after < 100, "the dropped stream ended"
        assert len(read_video(bystander, 10)) == 10
    assert camsim.stats(1).sessions == ()


def test_stall_keeps_socket_silent_so_a_read_timeout_fires(camsim: CamsimHandle) -> None:
    with open_rtsp(camsim.url(3), allowed_media_types="video", timeout="1000000") as client:
        read_video(client, 2)
        camsim.stall(3, 3.0)
        with pytest.raises(av.error.FFmpegError):
            read_video(client, 200)  # 8 s of video, were the camera not stalled
        (session,) = camsim.stats(3).sessions  # the connection stayed open
        assert session.playing
    with open_rtsp(camsim.url(3)) as again:  # held until the stall ends, then answered
        assert len(read_video(again, 2)) == 2


def test_restart_refuses_then_comes_back_with_a_new_timeline(camsim: CamsimHandle) -> None:
    before = _ssrc(camsim, 2)
    with open_rtsp(camsim.url(2)) as client:
        read_video(client, 2)
        camsim.restart(2, 2.0)
        with contextlib.suppress(av.error.FFmpegError):
            assert len(read_video(client, 100)) < 100
    with pytest.raises(av.error.FFmpegError):
        open_rtsp(camsim.url(2))
    with open_rtsp(camsim.url(1)) as other:  # other cameras are up all along
        assert len(read_video(other, 2)) == 2
    deadline = time.monotonic() + 15
    while True:
        try:
            with open_rtsp(camsim.url(2)) as client:
                assert len(read_video(client, 3)) == 3
            break
        except av.error.FFmpegError:
            assert time.monotonic() < deadline, "camera never came back"
            time.sleep(0.3)
    assert _ssrc(camsim, 2) != before, "a rebooted camera starts a new RTP stream"


def _ssrc(camsim: CamsimHandle, cam: int) -> str:
    client = RawClient(camsim.port)
    reply = client.request(
        "SETUP", camsim.url(cam) + "/trackID=0", Transport="RTP/AVP/TCP;unicast;interleaved=0-1"
    )
    client.close()
    return reply.headers["transport"].split("ssrc=")[1].split(";")[0]


def test_corrupt_sends_nal_units_that_are_not_the_clip(
    camsim: CamsimHandle, camsim_clips: ClipSet
) -> None:
    variant = camsim_clips.variants[(4 - 1) % len(camsim_clips.variants)]
    known = {nal for au in variant.main.aus for nal in split_annexb(au)}

    def foreign(packets: list[bytes]) -> int:
        return sum(1 for p in packets for nal in split_annexb(p) if nal not in known)

    with open_rtsp(camsim.url(4), allowed_media_types="video") as client:
        video = client.streams.video[0]
        clean = _packets(client, video, 10)
        camsim.corrupt(4, 0.6)
        dirty = _packets(client, video, 10)
    assert foreign(clean) == 0, "a healthy stream carries exactly the clip's NAL units"
    assert foreign(dirty) > 0


def _packets(client: av.container.InputContainer, video: av.VideoStream, n: int) -> list[bytes]:
    out = []
    for packet in client.demux(video):
        if packet.size:
            out.append(bytes(packet))
            if len(out) == n:
                break
    return out


@pytest.mark.parametrize("jump", [-10.0, 30.0])
def test_timestamp_jumps_are_visible_to_the_client(camsim: CamsimHandle, jump: float) -> None:
    with open_rtsp(camsim.url(1, "sub"), allowed_media_types="video") as client:
        before = [p.dts for p in read_video(client, 4) if p.dts is not None]
        camsim.jump_timestamps(1, jump)
        after = [p.dts for p in read_video(client, 4) if p.dts is not None]
    steps = [b - a for a, b in zip(before + after, (before + after)[1:], strict=False)]
    odd = [s for s in steps if s != TICKS]
    assert len(odd) == 1
    assert odd[0] == round(jump * 90_000) + TICKS
    if jump < 0:
        assert odd[0] < 0, "non-monotonic: the clock went backwards"
