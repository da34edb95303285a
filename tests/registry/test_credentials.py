"""Stream credentials: encrypted at rest (AES-GCM, HKDF key), split out of URLs, and
never present in API responses, pages, audit details or reprs."""

from __future__ import annotations

from sqlalchemy import text
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.registry.crypto import CredentialCipher, scrub_url, split_stream_url
from gwanje.registry.models import Camera, CameraStatus
from gwanje.registry.schemas import CameraUpdate
from gwanje.registry.service import Registry, system_principal
from registry.helpers import SECRET_PASS, SECRET_USER, audit_rows, departments, make_camera


def _raw_row(ctx: Gwanje, camera_id: int) -> str:
    with ctx.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM cameras WHERE id = :i"), {"i": camera_id}).one()
    return " ".join(str(v) for v in row)


def test_url_credentials_are_split_and_encrypted_at_rest(any_ctx: Gwanje) -> None:
    url = f"rtsp://{SECRET_USER}:{SECRET_PASS}@10.1.2.3:554/Streaming/101"
    camera_id = make_camera(
        any_ctx, "YS-C-1", departments(any_ctx)["SAFETY"], CameraStatus.PLANNED, main_stream_url=url
    )
    raw = _raw_row(any_ctx, camera_id)
    assert SECRET_USER not in raw
    assert SECRET_PASS not in raw
    assert "rtsp://10.1.2.3:554/Streaming/101" in raw
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        assert registry.stream_credentials(camera_id) == (SECRET_USER, SECRET_PASS)


def test_explicit_credentials_encrypted_and_edit_audit_names_only(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-C-2", departments(any_ctx)["SAFETY"])
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        _, changed = registry.update(
            camera_id,
            CameraUpdate.model_validate(
                {"stream_username": SECRET_USER, "stream_password": SECRET_PASS}
            ),
        )
        camera = session.get(Camera, camera_id)
        assert camera is not None
        assert SECRET_PASS not in repr(camera)
        assert SECRET_PASS not in str(camera)
    assert changed == ["stream_password", "stream_username"]
    raw = _raw_row(any_ctx, camera_id)
    assert SECRET_USER not in raw
    assert SECRET_PASS not in raw
    for entry in audit_rows(any_ctx):
        assert SECRET_PASS not in entry.details
        assert SECRET_USER not in entry.details


def test_ciphertext_bound_to_field_and_secret(ctx: Gwanje) -> None:
    cipher = CredentialCipher(b"master-secret-one")
    token = cipher.encrypt("pw", "stream_password")
    assert cipher.decrypt(token, "stream_password") == "pw"
    assert cipher.encrypt("pw", "stream_password") != token  # random nonce
    for other, field in (
        (cipher, "stream_username"),
        (CredentialCipher(b"other"), "stream_password"),
    ):
        try:
            other.decrypt(token, field)
        except ValueError:
            continue
        raise AssertionError("decrypted with the wrong field or secret")


def test_scrub_and_split_never_show_password() -> None:
    assert scrub_url("rtsp://u:p@h/x") == "rtsp://***@h/x"
    split = split_stream_url("rtsp://u%40x:p%3Aw@cam.local:8554/a")
    assert (split.url, split.username, split.password) == ("rtsp://cam.local:8554/a", "u@x", "p:w")
    assert "p:w" not in repr(split)


def test_credentials_never_in_api_or_html(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    url = f"rtsp://{SECRET_USER}:{SECRET_PASS}@10.1.2.3/live"
    camera_id = make_camera(ctx, "YS-C-3", departments(ctx)["SAFETY"], main_stream_url=url)
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    for path in (
        "/api/cameras",
        f"/api/cameras/{camera_id}",
        "/cameras",
        f"/cameras/{camera_id}",
        f"/cameras/{camera_id}/edit",
        "/cameras/map",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert SECRET_PASS not in response.text, path
        assert SECRET_USER not in response.text, path
    body = client.get(f"/api/cameras/{camera_id}").json()
    assert body["has_credentials"] is True
    assert not any("password" in key or "username" in key for key in body)
