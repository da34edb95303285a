"""Handovers at a shift change (근무 인수인계, ORD-20.1, 22.3).

```
open ──check (outgoing shift)──▶ open ──sign outgoing──▶ outgoing_signed ──sign incoming──▶ complete
```

Invariants:
- one handover per outgoing slot (unique `from_slot_id`); the incoming slot is the
  pattern's next shift;
- the checklist comes from `shifts.checklist` and always holds the security check
  "no video or storage media left the room" (ORD-22.3); the outgoing lead can sign only
  when every required item is checked;
- each signature is the signer's own authenticated action: the signer must hold
  `shift.handover` and be on that shift (its lead, or anyone on it when it has no lead);
  one person never signs both sides;
- every change is a conditional UPDATE on (id, state, version): of two people signing
  the same side at once exactly one wins, the other gets a Conflict; a handover is
  complete only when both sides signed;
- the open incidents are listed from gwanje/operations automatically (refreshed on every
  checklist update and frozen by the outgoing signature); every step is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.auth.permissions import Permission
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.operations.kinds import IncidentState
from gwanje.operations.models import Incident
from gwanje.shifts import events, roster
from gwanje.shifts.models import Handover, HandoverState, ShiftDuty, ShiftSlot
from gwanje.shifts.service import ShiftService

NOTES_MAX = 4000


def open_incidents(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Incident).where(Incident.state == IncidentState.OPEN.value).order_by(Incident.id)
    )
    return [{"id": i.id, "title": i.title, "severity": i.severity, "type": i.type} for i in rows]


def checklist_of(row: Handover) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = json.loads(row.checklist)
    return value


@dataclass
class Handovers(ShiftService):
    permission = Permission.SHIFT_HANDOVER

    def open(self, from_slot_id: int) -> Handover:
        """Start the handover of `from_slot_id` (by someone on that shift)."""
        self._require()
        slot = self._slot(from_slot_id)
        self._on_shift(slot.id, lead_only=False)
        after = roster.next_slot(self.session, slot)
        if after is None:
            raise Conflict("shifts.error.no_next_shift", slot=from_slot_id)
        if self.session.scalar(select(Handover.id).where(Handover.from_slot_id == slot.id)):
            raise Conflict("shifts.error.handover_exists", slot=from_slot_id)
        items = [
            {
                "key": i.key,
                "label_ko": i.label_ko,
                "label_en": i.label_en,
                "required": i.required,
                "checked": False,
                "note": "",
            }
            for i in self.settings.shifts.checklist
        ]
        incidents = open_incidents(self.session)
        row = Handover(
            from_slot_id=slot.id,
            to_slot_id=after.id,
            state=HandoverState.OPEN,
            version=1,
            checklist=json.dumps(items, ensure_ascii=False),
            open_incidents=json.dumps(incidents, ensure_ascii=False),
            notes="",
            created_by=self.principal.person_id,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        self.session.flush()
        self._audit(
            events.HandoverOpened,
            handover_id=row.id,
            from_slot_id=slot.id,
            to_slot_id=after.id,
            open_incidents=[i["id"] for i in incidents],
        )
        return row

    def check(
        self,
        handover_id: int,
        checked: dict[str, bool],
        notes: str,
        item_notes: dict[str, str] | None = None,
        version: int | None = None,
    ) -> Handover:
        """Record the checklist (and notes) before the outgoing lead signs."""
        self._require()
        row = self._load(handover_id)
        self._on_shift(row.from_slot_id, lead_only=False)
        if len(notes) > NOTES_MAX:
            raise InvalidInput("shifts.error.invalid", detail="notes")
        items = checklist_of(row)
        unknown = set(checked) - {i["key"] for i in items}
        if unknown:
            raise InvalidInput("shifts.error.invalid", detail=f"checklist: {sorted(unknown)}")
        for item in items:
            item["checked"] = bool(checked.get(item["key"], item["checked"]))
            item["note"] = (item_notes or {}).get(item["key"], item["note"]).strip()[:500]
        self._move(
            row,
            HandoverState.OPEN,
            HandoverState.OPEN,
            version,
            checklist=json.dumps(items, ensure_ascii=False),
            notes=notes.strip(),
            open_incidents=json.dumps(open_incidents(self.session), ensure_ascii=False),
        )
        self._audit(
            events.HandoverChecked,
            handover_id=row.id,
            notes=notes.strip(),
            checked=[i["key"] for i in items if i["checked"]],
        )
        return row

    def sign(self, handover_id: int, side: str, version: int | None = None) -> Handover:
        """The signer's own signature, outgoing first, then incoming (completes it)."""
        self._require()
        row = self._load(handover_id)
        now, me = self.clock.now(), self.principal.person_id
        if side == "outgoing":
            self._on_shift(row.from_slot_id, lead_only=True)
            missing = [i["key"] for i in checklist_of(row) if i["required"] and not i["checked"]]
            if missing:
                raise InvalidInput("shifts.error.checklist_incomplete", items=", ".join(missing))
            self._move(
                row,
                HandoverState.OPEN,
                HandoverState.OUTGOING_SIGNED,
                version,
                outgoing_by=me,
                outgoing_at=now,
                open_incidents=json.dumps(open_incidents(self.session), ensure_ascii=False),
            )
        elif side == "incoming":
            self._on_shift(row.to_slot_id, lead_only=True)
            if row.outgoing_by == me:
                raise Forbidden("shifts.error.same_signer")
            self._move(
                row,
                HandoverState.OUTGOING_SIGNED,
                HandoverState.COMPLETE,
                version,
                incoming_by=me,
                incoming_at=now,
            )
        else:
            raise InvalidInput("shifts.error.invalid", detail="side: outgoing or incoming")
        self._audit(
            events.HandoverSigned,
            handover_id=row.id,
            side=side,
            complete=row.state == HandoverState.COMPLETE,
        )
        return row

    def _move(
        self,
        row: Handover,
        state: HandoverState,
        to: HandoverState,
        version: int | None,
        **values: object,
    ) -> None:
        seen = version or row.version
        won = self.session.execute(
            update(Handover)
            .where(Handover.id == row.id, Handover.state == state.value, Handover.version == seen)
            .values(state=to.value, version=seen + 1, **values)
        ).rowcount  # type: ignore[attr-defined]
        if won != 1:
            raise Conflict("shifts.error.handover_changed", handover=row.id)
        self.session.refresh(row)

    def _on_shift(self, slot_id: int, lead_only: bool) -> None:
        duties = list(
            self.session.scalars(
                select(ShiftDuty).where(ShiftDuty.slot_id == slot_id, ShiftDuty.active.is_(True))
            )
        )
        mine = [d for d in duties if d.person_id == self.principal.person_id]
        has_lead = any(d.lead for d in duties)
        if not mine or (lead_only and has_lead and not mine[0].lead):
            key = "shifts.error.not_lead" if mine else "shifts.error.not_your_shift"
            raise Forbidden(key, slot=slot_id)

    def _slot(self, slot_id: int) -> ShiftSlot:
        slot = self.session.get(ShiftSlot, slot_id)
        if slot is None:
            raise NotFound("shifts.error.slot_not_found", slot=slot_id)
        return slot

    def _load(self, handover_id: int) -> Handover:
        row = self.session.get(Handover, handover_id)
        if row is None:
            raise NotFound("shifts.error.handover_not_found", handover=handover_id)
        return row
