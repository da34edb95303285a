"""The asyncio RTSP client (gwanje.media.rtsp) against the camera simulator and against
raw packets: what it sets up, what it delivers, and how each camera failure surfaces."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import random
import struct
from collections.abc import Callable

import pytest
from rtsp_kit import collect, decode, encode_h264, nal_units, raw_server, run

from gwanje.media.camsim import rtp
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.camsim.profile import TEST
from gwanje.media.rtsp import (
    AccessUnit,
    AuthFailed,
    ProtocolError,
    RtspError,
    StreamEnded,
    StreamTimeout,
    Unsupported,
    h264,
    native,
    open_stream,
)
from gwanje.media.rtsp.auth import Authenticator, split_userinfo
from gwanje.media.rtsp.depacketize import Depacketizer
from gwanje.media.rtsp.sdp import parse_sdp

FRAME_TICKS = 90_000 // TEST.fps  # 3600


# -- against camsim ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["main", "sub"])
def test_stream_delivers_whole_decodable_frames(camsim: CamsimHandle, name: str) -> None:
    count = 2 * TEST.gop + 5
    aus, stream = run(collect(camsim.url(1, name), count))  # type: ignore[misc]
    spec = TEST.stream(name)  # type: ignore[arg-type]
    assert {(au.width, au.height) for au in aus} == {(spec.width, spec.height)}
    steps = {b.rtp_timestamp - a.rtp_timestamp for a, b in itertools.pairwise(aus)}
    assert steps == {FRAME_TICKS}  # 25 frames a second, in RTP time
    assert [i for i, au in enumerate(aus) if au.keyframe] == [0, TEST.gop, 2 * TEST.gop]
    for au in aus:  # AVCC samples without parameter sets or delimiters
        assert {n[0] & 0x1F for n in nal_units(au.data)}.isdisjoint({7, 8, 9})
    frames = decode(aus)
    assert len(frames) == count
    assert (frames[0].width, frames[0].height) == (spec.width, spec.height)
    assert stream.stats.aus_damaged == stream.stats.packets_lost == 0


def test_only_the_video_track_is_set_up_over_tcp(camsim: CamsimHandle) -> None:
    async def check() -> None:
        stream = await open_stream(camsim.url(2, "main"), connect_timeout=5, read_timeout=5)
        async with stream:
            await anext(stream)
            stats = camsim.stats(2)
            assert [s.transports for s in stats.sessions] == [{"video": "tcp"}]
            assert stats.sessions[0].playing

    run(check())
    assert camsim.stats(2).session_count == 0  # TEARDOWN / close ended the session


def test_one_loop_serves_many_streams(camsim: CamsimHandle) -> None:
    urls = [camsim.url(i, s) for i in range(1, 5) for s in ("main", "sub")]

    async def all_of_them() -> list[tuple[list[AccessUnit], object]]:
        return await asyncio.gather(*(collect(url, 30) for url in urls))

    results = run(all_of_them())
    assert [len(aus) for aus, _ in results] == [30] * len(urls)  # type: ignore[attr-defined]


def test_digest_auth_with_credentials_in_url_or_arguments(
    camsim_server: Callable[..., CamsimHandle],
) -> None:
    sim = camsim_server(cameras=1, user="admin", password="p@ss:wörd/1", udp=False)
    aus, _ = run(collect(sim.url(1, "sub", user="admin", password="p@ss:wörd/1"), 3))  # type: ignore[misc]
    assert len(aus) == 3
    aus, _ = run(collect(sim.url(1, "sub"), 3, user="admin", password="p@ss:wörd/1"))  # type: ignore[misc]
    assert len(aus) == 3


@pytest.mark.parametrize(("user", "password"), [("admin", "wrong"), ("root", "p@ss"), (None, None)])
def test_wrong_or_missing_credentials_fail(
    camsim_server: Callable[..., CamsimHandle], user: str | None, password: str | None
) -> None:
    sim = camsim_server(cameras=1, user="admin", password="p@ss", udp=False)
    creds = {"user": user, "password": password} if user else {}
    with pytest.raises(AuthFailed) as info:
        run(collect(sim.url(1, "main"), 1, **creds))  # type: ignore[arg-type]
    assert info.value.status == 401
    assert "p@ss" not in str(info.value)


def test_camera_refusing_auth_fails(camsim_server: Callable[..., CamsimHandle]) -> None:
    sim = camsim_server(cameras=1, user="admin", password="pw", udp=False)
    sim.refuse_auth(1)
    with pytest.raises(AuthFailed):
        run(collect(sim.url(1, "main"), 1, user="admin", password="pw"))


def test_unknown_stream_is_404(camsim: CamsimHandle) -> None:
    url = camsim.url(1, "main").replace("/cam1/", "/cam99/")
    with pytest.raises(RtspError) as info:
        run(collect(url, 1))
    assert (info.value.status, info.value.method) == (404, "DESCRIBE")


def test_drop_ends_the_stream_after_what_arrived(camsim: CamsimHandle) -> None:
    async def scenario() -> int:
        stream = await open_stream(camsim.url(1, "main"), connect_timeout=5, read_timeout=5)
        got = [await anext(stream) for _ in range(5)]
        assert camsim.drop(1) == 1
        with pytest.raises(StreamEnded):
            got += [au async for au in stream]
        await stream.close()
        return len(got)

    assert run(scenario()) == 5


def test_stall_times_out_after_read_timeout(camsim: CamsimHandle) -> None:
    async def scenario() -> None:
        # 3 s, not 1: the first frame must come within it too, and a loaded 2-core CI
        # machine once took longer than 1 s to deliver it.
        stream = await open_stream(camsim.url(1, "main"), connect_timeout=5, read_timeout=3.0)
        await anext(stream)
        camsim.stall(1, 60)  # far longer than the bound below: only our timeout can end it
        with pytest.raises(StreamTimeout):
            async for _ in stream:
                pass
        await stream.close()

    run(scenario(), timeout=15)


def test_corrupt_payloads_are_dropped_until_a_clean_keyframe(camsim: CamsimHandle) -> None:
    async def scenario() -> tuple[list[AccessUnit], int]:
        stream = await open_stream(camsim.url(1, "main"), connect_timeout=5, read_timeout=5)
        aus = [await anext(stream)]
        camsim.corrupt(1, 1.5)
        start = aus[0].rtp_timestamp
        async for au in stream:  # 4 s of camera time: the noise, then clean GOPs
            aus.append(au)
            if au.rtp_timestamp - start >= 4 * 90_000:
                break
        await stream.close()
        return aus, stream.stats.aus_damaged

    aus, damaged = run(scenario())  # type: ignore[misc]
    assert damaged > 0
    resumed = [i for i, au in enumerate(aus) if au.discontinuity]
    assert resumed  # delivery resumed after the damage, and said so
    assert all(aus[i].keyframe for i in resumed)  # only ever at a keyframe
    tail = aus[resumed[-1] :]
    assert len(tail) >= TEST.gop
    assert len(decode(tail)) == len(tail)  # what follows the damage decodes cleanly


@pytest.mark.parametrize("jump_s", [10.0, -5.0])
def test_timestamp_jumps_are_reported_not_hidden(camsim: CamsimHandle, jump_s: float) -> None:
    async def scenario() -> list[AccessUnit]:
        stream = await open_stream(camsim.url(3, "sub"), connect_timeout=5, read_timeout=5)
        aus = [await anext(stream) for _ in range(3)]
        camsim.jump_timestamps(3, jump_s)
        aus += [await anext(stream) for _ in range(5)]
        await stream.close()
        return aus

    aus = run(scenario())
    steps = [b.rtp_timestamp - a.rtp_timestamp for a, b in itertools.pairwise(aus)]  # type: ignore[arg-type]
    assert steps.count(FRAME_TICKS + round(jump_s * 90_000)) == 1
    assert steps.count(FRAME_TICKS) == len(steps) - 1


def test_keepalive_holds_a_short_session(camsim_server: Callable[..., CamsimHandle]) -> None:
    sim = camsim_server(cameras=1, session_timeout=2, udp=False)
    # 4 s of video on a session that camsim ends after 2 s without a request.
    aus, _ = run(collect(sim.url(1, "sub"), 4 * TEST.fps, read_timeout=1.5))  # type: ignore[misc]
    assert aus[-1].rtp_timestamp - aus[0].rtp_timestamp == (4 * TEST.fps - 1) * FRAME_TICKS


def test_silent_server_times_out() -> None:
    with raw_server(None) as port, pytest.raises(StreamTimeout):
        run(collect(f"rtsp://127.0.0.1:{port}/x", 1, connect_timeout=1.0), timeout=10)


def test_garbage_is_a_protocol_error() -> None:
    with raw_server(b"\x17\x03\x03 not RTSP at all\r\n\r\n") as port, pytest.raises(ProtocolError):
        run(collect(f"rtsp://127.0.0.1:{port}/x", 1), timeout=10)


# -- SDP, auth, URLs ------------------------------------------------------------------------

SPS_B64 = "Z0LADNoFBn54QAAAAwBAAAAMg8UKqA=="
SDP = f"""v=0\r
o=- 1 1 IN IP4 10.0.0.5\r
s=cam\r
a=control:*\r
m=audio 0 RTP/AVP 97\r
a=rtpmap:97 MPEG4-GENERIC/16000/1\r
a=control:trackID=1\r
m=video 0 RTP/AVP 96\r
a=rtpmap:96 H264/90000\r
a=fmtp:96 packetization-mode=1; sprop-parameter-sets=aM48gA==,{SPS_B64}\r
a=control:{{control}}\r
"""


@pytest.mark.parametrize(
    ("base", "control", "expected"),
    [
        ("rtsp://cam/live/", "trackID=0", "rtsp://cam/live/trackID=0"),
        ("rtsp://cam/live", "trackID=0", "rtsp://cam/live/trackID=0"),
        ("rtsp://cam/live/", "rtsp://other:8554/v", "rtsp://other:8554/v"),
    ],
)
def test_sdp_picks_the_video_track(base: str, control: str, expected: str) -> None:
    info = parse_sdp(SDP.format(control=control), base)
    assert info.video.control == expected
    assert info.control == base
    assert (info.video.payload_type, info.video.packetization_mode) == (96, 1)
    assert info.video.sps == base64.b64decode(SPS_B64)  # sorted by NAL type, not position
    assert info.video.pps == bytes.fromhex("68ce3c80")


def test_sdp_without_h264_video() -> None:
    h265 = SDP.format(control="v").replace("H264/90000", "H265/90000")
    with pytest.raises(Unsupported):
        parse_sdp(h265, "rtsp://cam/")
    audio_only = SDP.format(control="v").split("m=video")[0]
    with pytest.raises(ProtocolError):
        parse_sdp(audio_only, "rtsp://cam/")


def test_digest_matches_rfc_2617_example() -> None:
    """RFC 2617 §3.5: the worked example, response 6629fae4…"""
    auth = Authenticator("Mufasa", "Circle Of Life", cnonce=lambda: "0a4f113b")
    challenge = (
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert auth.challenged([challenge])
    header = auth.header("GET", "/dir/index.html")
    assert header is not None
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "nc=00000001" in header
    assert "nc=00000002" in (auth.header("GET", "/dir/index.html") or "")
    assert not auth.challenged([challenge])  # a second plain refusal: give up


def test_basic_only_when_digest_is_not_offered() -> None:
    auth = Authenticator("u", "p w")
    assert auth.challenged(['Basic realm="cam"'])
    assert auth.header("DESCRIBE", "rtsp://cam/") == "Basic " + base64.b64encode(b"u:p w").decode()
    both = Authenticator("u", "p")
    both.challenged(['Basic realm="cam"', 'Digest realm="cam", nonce="n"'])
    ha1 = hashlib.md5(b"u:cam:p", usedforsecurity=False).hexdigest()
    ha2 = hashlib.md5(b"PLAY:rtsp://cam/", usedforsecurity=False).hexdigest()
    expected = hashlib.md5(f"{ha1}:n:{ha2}".encode(), usedforsecurity=False).hexdigest()
    assert f'response="{expected}"' in (both.header("PLAY", "rtsp://cam/") or "")


def test_userinfo_is_percent_decoded_and_removed() -> None:
    assert split_userinfo("rtsp://a%40b:p%3Aw%2F@cam:554/live") == (
        "rtsp://cam:554/live", "a@b", "p:w/",
    )  # fmt: skip
    assert split_userinfo("rtsp://cam/live") == ("rtsp://cam/live", None, None)


# -- depacketizing raw RTP --------------------------------------------------------------------


class Camera:
    """RTP packets of encoded frames, built with camsim's packetizer (RFC 6184)."""

    def __init__(self, limit: int = 200) -> None:
        self.samples, self.sps, self.pps = encode_h264(96, 64, 30, "main", gop=10)
        self.limit = limit
        self.seq = 1000
        self.ts = 0xFFFF_F000  # wraps after two frames

    def packets(self, index: int, *, stap: bool = False) -> list[bytes]:
        data, key = self.samples[index]
        nals = nal_units(data)
        if key:
            nals = [self.sps, self.pps, *nals]
        if stap and key:  # parameter sets aggregated in one STAP-A (§5.7.1)
            agg = bytes([0x78]) + b"".join(struct.pack(">H", len(n)) + n for n in nals[:2])
            payloads = [agg, *rtp.h264_payloads(nals[2:], self.limit)]
        else:
            payloads = rtp.h264_payloads(nals, self.limit)
        out = []
        for i, payload in enumerate(payloads):
            marker = 0x80 if i == len(payloads) - 1 else 0
            head = struct.pack(
                ">BBHII", 0x80, marker | 96, self.seq & 0xFFFF, self.ts & 0xFFFFFFFF, 7
            )
            out.append(head + payload)
            self.seq += 1
        self.ts += 3600
        return out


@pytest.fixture(params=["as_loaded", "python"])
def depacketizer(request: pytest.FixtureRequest) -> type[Depacketizer]:
    """The class the package loaded (compiled after ./dev setup) and the same module run
    from its source: both must behave alike (gwanje.media.rtsp.native)."""
    if request.param == "python":
        module = native.load_source("depacketize", "_test_python_depacketize")
        return module.Depacketizer  # type: ignore[no-any-return]
    return Depacketizer


def feed(depack: Depacketizer, packets: list[bytes]) -> list[AccessUnit]:
    for packet in packets:
        depack.push(memoryview(packet))
    out = list(depack.ready)
    depack.ready.clear()
    return out


@pytest.mark.parametrize("stap", [False, True])
def test_fu_a_and_stap_a_rebuild_the_encoder_output(
    stap: bool, depacketizer: type[Depacketizer]
) -> None:
    cam = Camera()
    depack = depacketizer(96, None, None)  # parameter sets only in-band
    aus = feed(depack, [p for i in range(20) for p in cam.packets(i, stap=stap)])
    assert [au.data for au in aus] == [data for data, _ in cam.samples[:20]]
    assert [au.keyframe for au in aus] == [key for _, key in cam.samples[:20]]
    assert (aus[0].sps, aus[0].pps, aus[0].width, aus[0].height) == (cam.sps, cam.pps, 96, 64)
    stamps = [au.rtp_timestamp for au in aus]
    assert stamps == [0xFFFF_F000 + 3600 * i for i in range(20)]  # across the 2^32 wrap
    assert len(decode(aus)) == 20


def test_lost_packet_drops_units_until_the_next_keyframe(
    depacketizer: type[Depacketizer],
) -> None:
    cam = Camera()
    depack = depacketizer(96, cam.sps, cam.pps)
    packets = [cam.packets(i) for i in range(25)]
    assert len(packets[3]) > 2  # a fragmented frame, so a middle packet can be lost
    del packets[3][1]
    aus = feed(depack, [p for frame in packets for p in frame])
    delivered = [round((au.rtp_timestamp - 0xFFFF_F000) / 3600) for au in aus]
    assert delivered == [0, 1, 2, *range(10, 25)]  # 3 damaged, 4..9 skipped, 10 is an IDR
    assert aus[3].discontinuity
    assert aus[3].keyframe
    assert (depack.stats.packets_lost, depack.stats.aus_damaged) == (1, 1)
    assert depack.stats.aus_skipped == 6
    assert len(decode(aus)) == len(aus)


def test_noise_is_not_mistaken_for_slices(depacketizer: type[Depacketizer]) -> None:
    cam = Camera()
    depack = depacketizer(96, cam.sps, cam.pps)
    rng = random.Random(5)
    noisy = []
    for i in range(10):
        for p in cam.packets(i):
            noise = bytes(rng.randrange(256) for _ in range(len(p) - 12))
            noisy.append(p[:12] + noise)
    aus = feed(depack, noisy)
    assert aus == []
    assert depack.stats.aus_damaged + depack.stats.aus_skipped == 10
    clean = feed(depack, [p for i in range(10, 20) for p in cam.packets(i)])
    assert len(clean) == 10
    assert clean[0].keyframe
    assert clean[0].discontinuity


@pytest.mark.parametrize(
    ("profile", "idc", "width", "height"),
    [("baseline", 66, 200, 120), ("main", 77, 176, 98), ("high", 100, 330, 186)],
)
def test_sps_sizes_with_cropping(profile: str, idc: int, width: int, height: int) -> None:
    _, sps, _ = encode_h264(width, height, 1, profile)
    info = h264.parse_sps(sps)
    assert (info.profile_idc, info.width, info.height) == (idc, width, height)
    with pytest.raises(ValueError, match="truncated"):
        h264.parse_sps(sps[:5])
