"""Audit events of authentication and authorisation."""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class PermissionDenied(AuditEvent):
    """A request was refused because the principal lacks the permission or scope."""

    event_type = "auth.permission_denied"
    description = "권한 거부 / permission denied"
    permission: str
    path: str
