"""Which streams to record: every linked camera (ORD-15, ORD-16.1), main and/or sub.

Credentials are decrypted here, in the supervisor, only to build the pull URL handed to a
capture worker; they are never logged (CaptureJob's repr scrubs them).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import select

from gwanje.context import Gwanje
from gwanje.media.recorder.jobspec import CaptureJob
from gwanje.media.recorder.messages import StreamKey
from gwanje.registry.crypto import CredentialCipher
from gwanje.registry.models import Camera, CameraStatus


def with_credentials(url: str, username: str | None, password: str | None) -> str:
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))


def linked_jobs(ctx: Gwanje, streams: list[str] | None = None) -> list[CaptureJob]:
    streams = streams or ctx.settings.recording.streams
    cipher = CredentialCipher(ctx.settings.secret())
    jobs: list[CaptureJob] = []
    with ctx.sessions() as session:
        cameras = session.scalars(
            select(Camera).where(Camera.status == CameraStatus.LINKED).order_by(Camera.id)
        ).all()
        for camera in cameras:
            user = camera.stream_username_enc
            password = camera.stream_password_enc
            username = cipher.decrypt(user, "stream_username") if user else None
            secret = cipher.decrypt(password, "stream_password") if password else None
            urls = {"main": camera.main_stream_url, "sub": camera.sub_stream_url}
            for stream in streams:
                url = urls.get(stream)
                if url:
                    full = with_credentials(url, username, secret)
                    jobs.append(CaptureJob(StreamKey(camera.id, stream), full))
    return jobs
