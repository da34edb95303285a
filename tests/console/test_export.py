"""Evidence export under a grant (issue 4): a signed package of the video as recorded,
`gwanje export verify` passes on it and fails after one byte changes, encryption with a
separate password, refusal without a grant, downloads only for the people concerned, and
recall (ORD-28.3) deleting the package."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
from playback_kit import grant
from registry.helpers import audit_rows
from typer.testing import CliRunner
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.cli.main import app as cli
from gwanje.governance.exports import export_dir
from gwanje.governance.requests import Requests
from gwanje.web.app import create_app


def _client(rec: dict[str, Any], name: str, role: Role = Role.OPERATOR) -> Any:
    return client_as(create_app(rec["ctx"]), principal_for(role, person_id=rec[name],
                                                           username=name))  # fmt: skip


def _body(rec: dict[str, Any], **change: Any) -> dict[str, Any]:
    start = rec["start"] + timedelta(seconds=1)
    end = rec["end"] - timedelta(seconds=1)
    return {"camera_id": rec["camera"], "stream": "main", "start": start.isoformat(),
            "end": end.isoformat(), "keep_days": 14, **change}  # fmt: skip


def _verify(path: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["export", "verify", str(path), *args])


def test_an_export_under_a_grant_verifies_and_fails_after_one_byte_changes(
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    rec = recorded
    operator = _client(rec, "choi")
    assert operator.post("/api/exports", json=_body(rec)).status_code == 403  # no grant yet
    assert audit_rows(rec["ctx"], "evidence.export_refused")
    grant(rec, rec["start"], rec["end"], "choi")
    made = operator.post("/api/exports", json=_body(rec))
    assert made.status_code == 201, made.text
    download = operator.get(made.json()["download"])
    assert download.status_code == 200
    package = tmp_path / "package.zip"
    package.write_bytes(download.content)
    result = _verify(package)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        (item,) = manifest["items"]
        video = archive.read(item["file"])
    assert manifest["request"]["letter_no"] == "교통-9"
    assert manifest["items"][0]["re_encoded"] is False
    with av.open(io.BytesIO(video), format="mp4") as container:  # plays; video only
        assert [s.type for s in container.streams] == ["video"]
        assert sum(1 for _ in container.decode(video=0)) > 25
    # One byte of the video changed: the hash no longer matches.
    data = bytearray(package.read_bytes())
    at = data.find(video[4000:4032])
    data[at] ^= 0x01
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))
    failed = _verify(tampered)
    assert failed.exit_code == 1
    assert "altered" in failed.output
    exported = json.loads(audit_rows(rec["ctx"], "evidence.exported")[-1].details)
    assert exported["package_sha256"] == made.json()["sha256"]
    assert audit_rows(rec["ctx"], "evidence.downloaded")


def test_an_encrypted_export_needs_its_password_and_a_forged_manifest_fails(
    recorded: dict[str, Any],
    tmp_path: Path,
) -> None:
    rec = recorded
    grant(rec, rec["start"], rec["end"], "choi")
    operator = _client(rec, "choi")
    made = operator.post("/api/exports", json=_body(rec, password="separate-channel-77"))
    assert made.status_code == 201, made.text
    package = tmp_path / "sealed.zip"
    package.write_bytes(operator.get(made.json()["download"]).content)
    assert _verify(package).exit_code == 1  # no password
    assert "wrong password" in _verify(package, "--password", "guess-guess").output
    assert _verify(package, "--password", "separate-channel-77").exit_code == 0
    # A package re-signed by anyone else fails against the center's published key.
    plain = operator.post("/api/exports", json=_body(rec))
    package = tmp_path / "plain.zip"
    package.write_bytes(operator.get(plain.json()["download"]).content)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(forged, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "manifest.json":
                body = body.replace(b"\xea\xb5\x90\xed\x86\xb5-9", b"\xea\xb5\x90\xed\x86\xb5-8")
            dst.writestr(name, body)
    center_key = next((rec["ctx"].settings.data_dir / "keys").glob("*.pem"))
    result = _verify(forged, "--key", str(center_key))
    assert result.exit_code == 1
    assert "signature does not verify" in result.output


def test_downloads_are_for_the_people_concerned_and_die_on_recall(
    recorded: dict[str, Any],
) -> None:
    rec = recorded
    ctx = rec["ctx"]
    grant(rec, rec["start"], rec["end"], "choi")
    made = _client(rec, "choi").post("/api/exports", json=_body(rec)).json()
    stranger = _client(rec, "kang", Role.POLICE_LIAISON)  # not named, not the exporter
    assert stranger.get(made["download"]).status_code == 404
    # Recall the grant (as a refused emergency follow-up would): the package is deleted.
    with ctx.transaction() as session:
        from sqlalchemy import select

        from gwanje.governance.models import AccessGrant, AccessRequest

        the_grant = session.scalars(select(AccessGrant)).one()
        request = session.get(AccessRequest, the_grant.request_id)
        assert request is not None
        Requests(session, ctx.settings, ctx.clock, principal_for(Role.APPROVER))._recall(
            request, "test: provision withdrawn"
        )
    assert not (export_dir(ctx.settings) / made["package"]).exists()
    assert _client(rec, "choi").get(made["download"]).status_code == 403
    recalled = json.loads(audit_rows(ctx, "access_grant.recalled")[-1].details)
    assert recalled["recalled_export_ids"] == [made["id"]]


def test_a_watermarked_export_says_it_was_re_encoded_and_carries_the_mark(
    recorded: dict[str, Any], tmp_path: Path
) -> None:
    rec = recorded
    grant(rec, rec["start"], rec["end"], "choi")
    operator = _client(rec, "choi")
    made = operator.post("/api/exports", json=_body(rec, watermark=True))
    assert made.status_code == 201, made.text
    package = tmp_path / "marked.zip"
    package.write_bytes(operator.get(made.json()["download"]).content)
    assert _verify(package).exit_code == 0
    with zipfile.ZipFile(package) as archive:
        (item,) = json.loads(archive.read("manifest.json"))["items"]
        video = archive.read(item["file"])
    assert item["re_encoded"] is True
    assert item["watermark"].startswith("GWANJE EVIDENCE REQ-")
    assert "choi" in item["watermark"]
    with av.open(io.BytesIO(video), format="mp4") as container:
        assert [s.type for s in container.streams] == ["video"]
        frames = list(container.decode(video=0))
    assert len(frames) > 25
    # The mark is burned in: the text's pixels are the watermark's white on every frame.
    from gwanje.media.font import render_text

    mask = render_text(item["watermark"], max(1, frames[0].height // 240))
    for frame in (frames[0], frames[-1]):
        luma = frame.to_ndarray(format="yuv420p")[: frame.height]
        top = left = 2 * max(1, frames[0].height // 240)
        region = luma[top : top + mask.shape[0], left : left + mask.shape[1]][
            mask[: luma.shape[0] - top, : luma.shape[1] - left]
        ]
        assert region.mean() > 200  # encoded, so not exactly 235, but unmistakably light
