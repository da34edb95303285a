"""What the roster and the handover services share: who acts, from where, and audit.

Each service names the one permission its changes need; a change records one audit
entry in the caller's transaction (ORD-20.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden
from gwanje.settings import Settings


@dataclass
class ShiftService:
    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    permission: ClassVar[Permission]

    def _require(self) -> None:
        if not self.principal.can(self.permission):
            raise Forbidden("error.forbidden", permission=self.permission.value)

    def _audit(self, event_type: type[Any], **details: object) -> None:
        record(
            self.session,
            event_type(actor=self.principal.actor, source_ip=self.source_ip, **details),
            self.clock,
        )
