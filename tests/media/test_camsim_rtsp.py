"""RTSP on the wire, from a raw socket: SDP, status codes, RTP and RTCP framing, and
hostile input that must not disturb the server or other clients."""

from __future__ import annotations

import base64
import itertools
import socket
import struct
import time

import pytest
from camsim_kit import RawClient, open_rtsp, read_video, rtp_header, sdp_attr

from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.camsim.rtp import split_annexb


def test_options_and_describe_sdp(camsim: CamsimHandle) -> None:
    client = RawClient(camsim.port)
    reply = client.request("OPTIONS", "*")
    assert reply.status == 200
    assert "DESCRIBE" in reply.headers["public"]
    assert "SETUP" in reply.headers["public"]
    reply = client.request("DESCRIBE", camsim.url(3, "main"), Accept="application/sdp")
    client.close()
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/sdp"
    assert reply.headers["content-base"] == camsim.url(3, "main") + "/"
    sdp = reply.body.decode()
    assert sdp_attr(sdp, r"^s=(cam3 main .*)\r$"), "camera name in the session name"
    assert sdp_attr(sdp, r"^m=(\w+) ") == ["video", "audio"]
    assert sdp_attr(sdp, r"^a=rtpmap:96 (.*)\r$") == ["H264/90000"]
    assert sdp_attr(sdp, r"^a=rtpmap:97 (.*)\r$") == ["MPEG4-GENERIC/16000/1"]
    (fmtp,) = sdp_attr(sdp, r"^a=fmtp:96 (.*)\r$")
    assert "packetization-mode=1" in fmtp
    sps_b64, pps_b64 = fmtp.split("sprop-parameter-sets=")[1].split(",")
    sps = base64.b64decode(sps_b64)
    assert sps[0] & 0x1F == 7
    assert base64.b64decode(pps_b64)[0] & 0x1F == 8
    assert f"profile-level-id={sps[1:4].hex()}" in fmtp
    (afmtp,) = sdp_attr(sdp, r"^a=fmtp:97 (.*)\r$")
    assert "mode=AAC-hbr" in afmtp
    assert "sizelength=13" in afmtp
    assert "config=1408" in afmtp


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("DESCRIBE", "/cam99/main", {}, 404),
        ("DESCRIBE", "/cam1/third", {}, 404),
        ("DESCRIBE", "/nothing", {}, 404),
        ("PLAY", "/cam1/main", {"Session": "DEADBEEF"}, 454),
        ("PLAY", "/cam1/main", {}, 454),
        ("TEARDOWN", "/cam1/main", {"Session": "NOPE"}, 454),
        ("SETUP", "/cam1/main/trackID=0", {"Transport": "RTP/AVP;multicast"}, 461),
        ("SETUP", "/cam1/main/trackID=0", {"Transport": "RTP/SAVP;unicast"}, 461),
        ("SETUP", "/cam1/main/trackID=0", {"Transport": "RTP/AVP;unicast"}, 461),
        ("SETUP", "/cam1/main/trackID=0", {}, 461),
        ("RECORD", "/cam1/main", {}, 501),
        ("FROBNICATE", "/cam1/main", {}, 501),
    ],
)
def test_error_statuses(
    camsim: CamsimHandle, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    client = RawClient(camsim.port)
    reply = client.request(method, f"rtsp://127.0.0.1:{camsim.port}{path}", **headers)
    assert reply.status == status
    assert client.request("OPTIONS", "*").status == 200, "the connection survives"
    client.close()


def test_state_errors_455_and_459(camsim: CamsimHandle) -> None:
    client = RawClient(camsim.port)
    session = client.play_tcp(camsim.url(1))
    tcp = "RTP/AVP/TCP;unicast;interleaved=2-3"
    reply = client.request("SETUP", camsim.url(1) + "/trackID=1", Transport=tcp, Session=session)
    assert reply.status == 455, "no transport change while playing"
    reply = client.request("SETUP", camsim.url(2) + "/trackID=0", Transport=tcp, Session=session)
    assert reply.status == 459, "another camera's track cannot join this session"
    assert client.request("PLAY", camsim.url(2), Session=session).status == 459
    assert client.request("TEARDOWN", camsim.url(1), Session=session).status == 200
    assert client.request("PLAY", camsim.url(1), Session=session).status == 454
    client.close()


MALFORMED = [
    b"\x00\xff\x13\x37 garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"DESCRIBE rtsp://x/cam1/main RTSP/1.0\r\n\r\n",  # no CSeq
    b"DESCRIBE rtsp://x/cam1/main RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n",
    b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: " + b"A" * 20000 + b"\r\n\r\n",
    b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nbroken header line\r\n\r\n",
    b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + b"A: b\r\n" * 100 + b"\r\n",
]


def test_malformed_requests_get_400_and_others_keep_streaming(camsim: CamsimHandle) -> None:
    with open_rtsp(camsim.url(2), allowed_media_types="video") as watcher:
        read_video(watcher, 2)
        for garbage in MALFORMED:
            client = RawClient(camsim.port)
            client.send(garbage)
            assert client.response().status == 400, garbage[:40]
            with pytest.raises((ConnectionError, OSError)):  # then the server hangs up
                _options_until_closed(client)
            client.close()
        assert len(read_video(watcher, 5)) == 5, "another client still streams"


def _options_until_closed(client: RawClient) -> None:
    for _ in range(10):
        client.request("OPTIONS", "*")


def test_wrong_version_gets_505(camsim: CamsimHandle) -> None:
    client = RawClient(camsim.port)
    client.send(b"OPTIONS * RTSP/2.0\r\nCSeq: 7\r\n\r\n")
    reply = client.response()
    assert reply.status == 505
    assert reply.headers["cseq"] == "7"
    assert client.request("OPTIONS", "*").status == 200, "the connection survives"
    client.close()


def test_hostile_clients_do_not_crash_the_server(camsim: CamsimHandle) -> None:
    for payload in (b"$\x00\xff\xff" + b"x" * 100, b"\r\n" * 5000, bytes(range(256)) * 64):
        sock = socket.create_connection(("127.0.0.1", camsim.port))
        sock.sendall(payload)
        sock.close()  # vanishing mid-message
    half = RawClient(camsim.port)
    half.send(b"DESCRIBE rtsp://127.0.0.1/cam1/main RTSP/1.0\r\nCSeq: 1\r\n")  # never ends
    flood = RawClient(camsim.port)
    for _ in range(20):  # sessions beyond the per-connection cap are refused, not leaked
        flood.request(
            "SETUP", camsim.url(1) + "/trackID=0", Transport="RTP/AVP/TCP;unicast;interleaved=0-1"
        )
    assert len(camsim.stats(1).sessions) <= 8
    with open_rtsp(camsim.url(1), allowed_media_types="video") as container:
        assert len(read_video(container, 3)) == 3
    half.close()
    flood.close()


def test_rtp_over_tcp_is_rfc6184_and_sends_sender_reports(camsim: CamsimHandle) -> None:
    client = RawClient(camsim.port)
    client.play_tcp(camsim.url(1), 0, 1)
    video: list[dict[str, object]] = []
    channels: set[int] = set()
    sender_report = b""
    while sum(1 for p in video if p["marker"]) < 3 or not sender_report:
        channel, data = client.interleaved()
        channels.add(channel)
        if channel == 0:
            video.append(rtp_header(data))
        elif channel in (1, 3) and data[1] == 200:
            sender_report = data
    client.close()
    assert channels <= {0, 1, 2, 3}
    assert {p["version"] for p in video} == {2}
    assert {p["pt"] for p in video} == {96}
    seqs = [int(str(p["seq"])) for p in video]
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    first: bytes = video[0]["payload"]  # type: ignore[assignment]
    assert first[0] & 0x1F == 7, "the stream starts with the SPS of an IDR access unit"
    # all packets of an access unit share a timestamp; the marker ends each one
    frame_ts = [p["ts"] for p in video if p["marker"]]
    assert len(set(frame_ts)) == len(frame_ts)
    fragments = [p for p in video if p["payload"][0] & 0x1F == 28]  # type: ignore[index]
    assert fragments, "a 320x180 IDR at this bitrate needs FU-A"
    assert fragments[0]["payload"][1] & 0x80  # type: ignore[index]
    _, pt, words, _ssrc = struct.unpack(">BBHI", sender_report[:8])
    assert pt == 200
    assert words == 6
    assert b"cam1" in sender_report


def test_udp_transport_reply_and_packets(camsim: CamsimHandle) -> None:
    rtp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp_sock.bind(("127.0.0.1", 0))
    rtp_sock.settimeout(5)
    port = rtp_sock.getsockname()[1]
    client = RawClient(camsim.port)
    reply = client.request(
        "SETUP",
        camsim.url(4, "sub") + "/trackID=0",
        Transport=f"RTP/AVP;unicast;client_port={port}-{port + 1}",
    )
    assert reply.status == 200
    assert f"client_port={port}-{port + 1}" in reply.headers["transport"]
    assert "server_port=" in reply.headers["transport"]
    session = reply.headers["session"].split(";")[0]
    assert reply.headers["session"].endswith("timeout=60")
    assert client.request("PLAY", camsim.url(4, "sub"), Session=session).status == 200
    packet = rtp_header(rtp_sock.recv(2048))
    assert packet["pt"] == 96
    assert client.request("GET_PARAMETER", camsim.url(4, "sub"), Session=session).status == 200
    assert camsim.stats(4).sessions[0].transports == {"video": "udp"}
    client.close()
    rtp_sock.close()


def test_first_packet_matches_rtp_info(camsim: CamsimHandle) -> None:
    client = RawClient(camsim.port)
    info = _play_tcp(client, camsim.url(2))
    data = _first_video_packet(client)
    client.close()
    first = rtp_header(data)
    assert (first["seq"], first["ts"]) == (int(info["seq"]), int(info["rtptime"]))


def _play_tcp(client: RawClient, url: str) -> dict[str, str]:
    reply = client.request(
        "SETUP", url + "/trackID=0", Transport="RTP/AVP/TCP;unicast;interleaved=0-1"
    )
    session = reply.headers["session"].split(";")[0]
    reply = client.request("PLAY", url, Session=session)
    return dict(kv.split("=", 1) for kv in reply.headers["rtp-info"].split(";")[1:])


def _first_video_packet(client: RawClient) -> bytes:
    while True:
        channel, data = client.interleaved()
        if channel == 0:
            return data


def test_rtp_info_numbers_the_fault_clip_a_camera_is_showing(camsim: CamsimHandle) -> None:
    # The fault clip's frames split into other packet counts than the scene's, so RTP-Info
    # computed from the scene named a sequence number the first packet did not carry.
    watcher = RawClient(camsim.port)
    _play_tcp(watcher, camsim.url(3))  # a playing session: the camera streams, and switches
    camsim.image_fault(3, "black")
    # The switch comes at the next IDR (1 s apart); the numbering parts from the scene's
    # only from the clip's next loop on (2 s clips): join after that.
    time.sleep(4.0)
    client = RawClient(camsim.port)
    info = _play_tcp(client, camsim.url(3))
    data = _first_video_packet(client)
    client.close()
    watcher.close()
    camsim.clear_image_fault(3)
    first = rtp_header(data)
    assert (first["seq"], first["ts"]) == (int(info["seq"]), int(info["rtptime"]))


def test_split_annexb_round_trip() -> None:
    au = b"\x00\x00\x00\x01\x67\x42\x00\x00\x00\x01\x68\xce\x00\x00\x01\x65\x88\x84\x00"
    assert split_annexb(au) == [b"\x67\x42", b"\x68\xce", b"\x65\x88\x84"]
