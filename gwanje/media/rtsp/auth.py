"""Answering a camera's 401: HTTP Digest (RFC 2617 §3, MD5 and MD5-sess, qop=auth or none)
and Basic (§2), as RTSP uses them (RFC 2326 §11.3.x refers to HTTP authentication).

Owns: `Authenticator` (remembers the last challenge, signs each request) and `split_userinfo`.
Invariants: Digest is preferred when a camera offers both (Basic sends the password in
clear text); the password is never part of a repr, log line or exception; the Digest
`uri` is exactly the Request-URI sent; `nc` increases by one for every request signed
with the same nonce (§3.2.2). MD5 is what cameras speak, not a choice of ours.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(text):
        value = match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[match.group(1).lower()] = value
    return params


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(URL without userinfo, user, password); both percent-decoded (RFC 3986 §3.2.1)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(user), unquote(password) if sep else None


@dataclass
class _Challenge:
    scheme: str  # "digest" | "basic"
    params: dict[str, str]


@dataclass
class Authenticator:
    user: str | None
    password: str | None = field(default=None, repr=False)
    cnonce: Callable[[], str] = field(default=lambda: os.urandom(8).hex(), repr=False)
    _challenge: _Challenge | None = field(default=None, repr=False)
    _nc: int = 0

    @property
    def has_credentials(self) -> bool:
        return self.user is not None

    def challenged(self, headers: list[str]) -> bool:
        """Take the WWW-Authenticate challenges of a 401; True when a retry may succeed
        (the first challenge, or a Digest one that says the nonce was only stale)."""
        offers = [_parse_challenge(h) for h in headers]
        chosen = next((c for c in offers if c and c.scheme == "digest"), None) or next(
            (c for c in offers if c and c.scheme == "basic"), None
        )
        if chosen is None:
            return False
        first = self._challenge is None
        stale = chosen.params.get("stale", "").lower() == "true"
        self._challenge, self._nc = chosen, 0
        return first or stale

    def header(self, method: str, uri: str) -> str | None:
        """The Authorization value for a request, once the camera has challenged."""
        ch = self._challenge
        if ch is None or self.user is None:
            return None
        password = self.password or ""
        if ch.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{password}".encode()).decode()
            return f"Basic {token}"
        return self._digest(ch.params, method, uri, password)

    def _digest(self, p: dict[str, str], method: str, uri: str, password: str) -> str:
        realm, nonce = p.get("realm", ""), p.get("nonce", "")
        algorithm = p.get("algorithm", "MD5")
        qops = [q.strip().lower() for q in p.get("qop", "").split(",") if q.strip()]
        cnonce = self.cnonce()
        ha1 = _md5(f"{self.user}:{realm}:{password}")
        if algorithm.lower() == "md5-sess":  # §3.2.2.2
            ha1 = _md5(f"{ha1}:{nonce}:{cnonce}")
        ha2 = _md5(f"{method}:{uri}")
        fields = [
            f'username="{_quote(self.user or "")}"', f'realm="{_quote(realm)}"',
            f'nonce="{_quote(nonce)}"', f'uri="{_quote(uri)}"',
        ]  # fmt: skip
        if "auth" in qops:  # §3.2.2.1
            self._nc += 1
            nc = f"{self._nc:08x}"
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{response}"')
        if "algorithm" in p:
            fields.append(f"algorithm={algorithm}")
        if "opaque" in p:
            fields.append(f'opaque="{_quote(p["opaque"])}"')
        return "Digest " + ", ".join(fields)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _parse_challenge(header: str) -> _Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() not in ("digest", "basic"):
        return None
    return _Challenge(scheme.lower(), parse_params(rest))
