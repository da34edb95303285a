"""HTTP Digest authentication as IP cameras do it for RTSP (RFC 2617 §3, MD5).

Owns: `DigestAuth` (challenges and verifying Authorization headers).
Invariants: nonces are stateless (hex time + HMAC of it under a per-server secret), so no
per-client memory can be exhausted; a nonce older than `nonce_ttl` gets a `stale=true`
challenge; credentials are compared in constant time; the password never leaves this
object. MD5 is what the protocol specifies, not a choice of ours.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from dataclasses import dataclass, field
from enum import Enum

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


class Verdict(Enum):
    OK = "ok"
    MISSING = "missing"
    BAD = "bad"
    STALE = "stale"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_params(header: str) -> dict[str, str]:
    """`k1="v1", k2=v2` into a dict (quotes and backslash escapes removed)."""
    params: dict[str, str] = {}
    for match in _PARAM.finditer(header):
        key, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[key] = value
    return params


@dataclass
class DigestAuth:
    user: str
    password: str
    realm: str = "Gwanje camsim"
    nonce_ttl: float = 300.0
    secret: bytes = field(default_factory=lambda: os.urandom(16))

    def challenge(self, *, stale: bool = False) -> str:
        extra = ", stale=true" if stale else ""
        return f'Digest realm="{self.realm}", nonce="{self._nonce()}", algorithm="MD5"{extra}'

    def _nonce(self, at: float | None = None) -> str:
        stamp = f"{int(time.time() if at is None else at):x}"
        return stamp + self._mac(stamp)

    def _mac(self, stamp: str) -> str:
        return hmac.new(self.secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]

    def _nonce_state(self, nonce: str) -> Verdict:
        stamp, mac = nonce[:-24], nonce[-24:]
        if not stamp or not hmac.compare_digest(mac, self._mac(stamp)):
            return Verdict.BAD
        try:
            age = time.time() - int(stamp, 16)
        except ValueError:
            return Verdict.BAD
        return Verdict.OK if -60 <= age <= self.nonce_ttl else Verdict.STALE

    def check(self, method: str, header: str | None) -> Verdict:
        if not header:
            return Verdict.MISSING
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() != "digest":
            return Verdict.BAD
        p = parse_params(rest)
        if not all(k in p for k in ("username", "realm", "nonce", "uri", "response")):
            return Verdict.BAD
        nonce_state = self._nonce_state(p["nonce"])
        if nonce_state is Verdict.BAD or p["realm"] != self.realm:
            return Verdict.BAD
        expected = self.expected_response(method, p)
        user_ok = hmac.compare_digest(p["username"].encode(), self.user.encode())
        if not (user_ok and hmac.compare_digest(p["response"].lower().encode(), expected.encode())):
            return Verdict.BAD
        return nonce_state

    def expected_response(self, method: str, p: dict[str, str]) -> str:
        ha1 = _md5(f"{self.user}:{self.realm}:{self.password}")
        ha2 = _md5(f"{method}:{p['uri']}")
        if p.get("qop"):  # RFC 2617 §3.2.2.1, if a client volunteers qop=auth
            return _md5(
                f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p['qop']}:{ha2}"
            )
        return _md5(f"{ha1}:{p['nonce']}:{ha2}")
