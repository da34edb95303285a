"""Camera stream credentials: encryption at rest and URL scrubbing.

Invariants:
- a credential is stored only as `v1:` + base64(nonce ‖ AES-256-GCM ciphertext), with a
  key derived by HKDF-SHA256 from the master secret (`settings.secret()`) and the field
  name bound as associated data, so a username cannot be swapped into the password slot;
- stream URLs are stored without user information: `split_stream_url` removes embedded
  `user:password@` so the credentials can be encrypted instead;
- `scrub_url` is what may ever reach a log line.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gwanje.errors import InvalidInput
from gwanje.urls import scrub_url as scrub_url

_INFO = b"gwanje/registry/stream-credentials/v1"
_PREFIX = "v1:"


class CredentialCipher:
    """AES-GCM with a key derived from the master secret. Holds no plaintext."""

    def __init__(self, master_secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            master_secret
        )
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "<CredentialCipher>"

    def encrypt(self, plaintext: str, field: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), field.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, field: str) -> str:
        if not token.startswith(_PREFIX):
            raise ValueError("unknown credential format")
        raw = base64.b64decode(token[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], field.encode()).decode()
        except InvalidTag as exc:  # wrong secret or tampered row; never print the token
            raise ValueError("credential cannot be decrypted with this secret") from exc


@dataclass(frozen=True)
class SplitUrl:
    """A stream URL with any embedded credentials taken out."""

    url: str
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"SplitUrl(url={self.url!r}, username=***, password=***)"


def split_stream_url(value: str) -> SplitUrl:
    """Validate an rtsp(s)/http(s) URL and separate `user:password@` from it."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in {"rtsp", "rtsps", "http", "https"} or not parts.hostname:
        raise InvalidInput("registry.error.stream_url", url=scrub_url(value))
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SplitUrl(clean, username, password)
