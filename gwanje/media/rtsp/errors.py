"""What can go wrong with a camera's RTSP stream, as exceptions a capture loop can act on.

Owns: `RtspClientError` and its subclasses. Each names one failure domain so the caller
can map it to a gap cause without parsing messages: the camera said no (`RtspError`,
`AuthFailed`), the camera went quiet (`StreamTimeout`), the camera hung up (`StreamEnded`),
or the camera spoke something that is not RTSP/RTP (`ProtocolError`).
Invariant: no message carries credentials (URLs are scrubbed before they reach here).
"""

from __future__ import annotations


class RtspClientError(Exception):
    """Base class: the stream cannot be opened or cannot continue."""


class RtspError(RtspClientError):
    """The camera answered a request with a non-2xx status (RFC 2326 §7.1.1)."""

    def __init__(self, status: int, reason: str, method: str = "") -> None:
        super().__init__(f"{method} {status} {reason}".strip())
        self.status, self.reason, self.method = status, reason, method


class AuthFailed(RtspError):
    """401 with no credentials, or credentials the camera refused (RFC 2326 §11.3.x)."""


class StreamTimeout(RtspClientError):
    """Nothing arrived within the connect or read timeout."""


class StreamEnded(RtspClientError):
    """The camera closed or reset the connection."""


class ProtocolError(RtspClientError):
    """Bytes that are neither an RTSP message nor interleaved data, or a broken SDP."""
