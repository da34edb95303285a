"""Digest authentication (RFC 2617) as cameras do it: challenge, right and wrong
credentials from a real client, the nonce rules, and the refuse-auth fault."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import av
import pytest
from camsim_kit import RawClient, open_rtsp, read_video

from gwanje.media.camsim.auth import DigestAuth, Verdict, parse_params
from gwanje.media.camsim.harness import CamsimHandle


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_digest_challenge_then_pyav_with_right_and_wrong_credentials(
    camsim_server: Callable[..., CamsimHandle],
) -> None:
    cams = camsim_server(cameras=2, user="admin", password="s3cret:&/")
    client = RawClient(cams.port)
    assert client.request("OPTIONS", "*").status == 200, "OPTIONS is open, as on cameras"
    reply = client.request("DESCRIBE", cams.url(1))
    assert reply.status == 401
    challenge = reply.headers["www-authenticate"]
    assert challenge.startswith("Digest ")
    params = parse_params(challenge[7:])
    assert params["realm"]
    assert params["nonce"]
    assert params["algorithm"] == "MD5"
    # answer the challenge by hand (RFC 2617 §3.2.2.1 without qop)
    uri = cams.url(1)
    ha1 = _md5(f"admin:{params['realm']}:s3cret:&/")
    response = _md5(f"{ha1}:{params['nonce']}:{_md5('DESCRIBE:' + uri)}")
    auth = (
        f'Digest username="admin", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", response="{response}"'
    )
    assert client.request("DESCRIBE", uri, Authorization=auth).status == 200
    assert (
        client.request("DESCRIBE", uri, Authorization=auth.replace(response, "0" * 32)).status
        == 401
    )
    client.close()

    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(cams.url(1))
    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(cams.url(1, user="admin", password="wrong"))
    with open_rtsp(cams.url(1, user="admin", password="s3cret:&/")) as container:
        assert len(read_video(container, 3)) == 3


def test_rfc2617_example_and_nonce_rules() -> None:
    auth = DigestAuth("Mufasa", "Circle Of Life", realm="testrealm@host.com")
    example = {
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "uri": "/dir/index.html",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "0a4f113b",
    }
    assert auth.expected_response("GET", example) == "6629fae49393a05397450978507c4ef1"

    def header(nonce: str, password: str = "Circle Of Life") -> str:  # noqa: S107 - RFC text
        other = DigestAuth("Mufasa", password, realm=auth.realm)
        p = {"nonce": nonce, "uri": "/x"}
        return (
            f'Digest username="Mufasa", realm="{auth.realm}", nonce="{nonce}", '
            f'uri="/x", response="{other.expected_response("PLAY", p)}"'
        )

    fresh = parse_params(auth.challenge()[7:])["nonce"]
    assert auth.check("PLAY", header(fresh)) is Verdict.OK
    assert auth.check("PLAY", header(fresh, "wrong")) is Verdict.BAD
    assert auth.check("PLAY", header("1" + fresh[1:])) is Verdict.BAD, "forged nonce"
    old = auth._nonce(at=0)
    assert auth.check("PLAY", header(old)) is Verdict.STALE
    assert "stale=true" in auth.challenge(stale=True)
    assert auth.check("PLAY", None) is Verdict.MISSING
    assert auth.check("PLAY", "Basic TXVmYXNhOkNpcmNsZQ==") is Verdict.BAD


def test_refuse_auth_fault_is_per_camera(camsim: CamsimHandle) -> None:
    camsim.refuse_auth(1)
    with pytest.raises(av.error.HTTPUnauthorizedError):
        open_rtsp(camsim.url(1, user="any", password="thing"))
    with open_rtsp(camsim.url(2)) as container:
        assert len(read_video(container, 2)) == 2
    camsim.refuse_auth(1, False)
    with open_rtsp(camsim.url(1)) as container:
        assert len(read_video(container, 2)) == 2
