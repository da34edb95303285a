"""SOAP 1.2 envelopes and WS-Security UsernameToken digest, as ONVIF devices use them.

Owns: `parse_envelope`, `UsernameTokenAuth`, `envelope`, `fault` and `SoapFault`.
Invariants: XML is parsed without entities, DTDs or network access (a request cannot
read files or expand bombs); a password is checked only as a PasswordDigest
(Base64(SHA-1(nonce + created + password))), compared in constant time, with `Created`
within `MAX_SKEW` of the device clock and each nonce accepted once, so a captured
request cannot be replayed; plain-text passwords are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from lxml import etree

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = "#PasswordDigest"
MAX_SKEW = timedelta(minutes=5)
NONCES_KEPT = 4096
NS = {
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class SoapFault(Exception):
    """An ONVIF fault: `code` Sender or Receiver, `subcodes` e.g. ter:InvalidArgVal."""

    def __init__(self, code: str, *subcodes: str, reason: str = "", status: int = 400) -> None:
        super().__init__(reason or " ".join(subcodes))
        self.code, self.subcodes, self.reason, self.status = code, subcodes, reason, status


def invalid_arg(subcode: str, reason: str) -> SoapFault:
    return SoapFault("Sender", "ter:InvalidArgVal", f"ter:{subcode}", reason=reason)


@dataclass(frozen=True)
class Call:
    operation: str  # local name of the Body's first element, e.g. "AbsoluteMove"
    namespace: str
    body: etree._Element
    header: etree._Element | None


def parse_envelope(data: bytes) -> Call:
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError:
        raise SoapFault("Sender", reason="not well-formed XML") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("Sender", "ter:VersionMismatch", reason="not a SOAP 1.2 envelope")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) == 0:
        raise SoapFault("Sender", reason="empty Body")
    op = body[0]
    qname = etree.QName(op)
    return Call(qname.localname, qname.namespace or "", op, root.find(f"{{{SOAP_ENV}}}Header"))


def child(node: etree._Element, *names: str) -> etree._Element | None:
    """The first descendant path by local names (namespaces vary between clients)."""
    current: etree._Element | None = node
    for name in names:
        if current is None:
            return None
        current = next((c for c in current if etree.QName(c).localname == name), None)
    return current


def text(node: etree._Element, *names: str) -> str | None:
    found = child(node, *names)
    return None if found is None or found.text is None else found.text.strip()


class UsernameTokenAuth:
    """WS-Security UsernameToken (digest) for one user, with a replay cache."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self._password = user, password
        self._seen: deque[str] = deque(maxlen=NONCES_KEPT)

    def __repr__(self) -> str:
        return f"UsernameTokenAuth(user={self.user!r}, password=***)"

    def check(self, call: Call, now: datetime) -> None:
        token = None if call.header is None else child(call.header, "Security", "UsernameToken")
        if token is None:
            raise _not_authorized("no UsernameToken")
        user, nonce, created = (text(token, n) for n in ("Username", "Nonce", "Created"))
        password = child(token, "Password")
        if password is None or not str(password.get("Type", "")).endswith(DIGEST):
            raise _not_authorized("a PasswordDigest is required")
        if user is None or nonce is None or created is None or password.text is None:
            raise _not_authorized("incomplete UsernameToken")
        self._check_time(created, now)
        try:
            raw_nonce = base64.b64decode(nonce, validate=True)
        except ValueError:
            raise _not_authorized("bad nonce") from None
        digest = hashlib.sha1(raw_nonce + created.encode() + self._password.encode()).digest()  # noqa: S324 - WS-Security's algorithm
        expected = base64.b64encode(digest).decode()
        ok = hmac.compare_digest(user, self.user) & hmac.compare_digest(
            password.text.strip(), expected
        )
        if not ok:
            raise _not_authorized("wrong username or password")
        if nonce in self._seen:
            raise _not_authorized("nonce already used")
        self._seen.append(nonce)

    @staticmethod
    def _check_time(created: str, now: datetime) -> None:
        try:
            when = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            raise _not_authorized("bad Created time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if abs(when - now) > MAX_SKEW:
            raise _not_authorized("Created is too far from the device clock")


def _not_authorized(reason: str) -> SoapFault:
    return SoapFault("Sender", "ter:NotAuthorized", reason=reason)


def envelope(body: str) -> bytes:
    """A SOAP 1.2 envelope around `body` (already serialized, namespaces from `NS`)."""
    xmlns = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{SOAP_ENV}" {xmlns}><env:Body>{body}</env:Body></env:Envelope>'
    ).encode()


def fault(exc: SoapFault) -> bytes:
    subcode = ""
    for name in reversed(exc.subcodes):
        subcode = f"<env:Subcode><env:Value>{name}</env:Value>{subcode}</env:Subcode>"
    return envelope(
        f"<env:Fault><env:Code><env:Value>env:{exc.code}</env:Value>{subcode}</env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(exc.reason)}</env:Text></env:Reason>'
        "</env:Fault>"
    )
