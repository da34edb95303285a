"""Who hears bell alarms when the center runs on a roster (shifts.alarms_on_duty_only).

`OnDutyWalls` is the `gwanje.operations.alarms.Audience` the web app installs with that
setting: a wall gets bell alarms only while its person holds `incident.manage` and is on
duty now (a rostered or swapped-in slot covering this moment; the handover grace does not
count). While nobody at all is on duty at this moment (no roster generated yet, a gap
between slots) every incident manager hears them, so a misconfigured roster can never
leave the center deaf to an emergency bell. Asked on every alarm round: a shift that ends
silences its walls at once, the next shift's walls start ringing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.shifts import roster


class OnDutyWalls:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def admits(self, session: Session, principal: Principal) -> bool:
        if not principal.can(Permission.INCIDENT_MANAGE):
            return False
        on_duty = {d.person_id for d in roster.on_duty(session, self.clock.now())}
        return not on_duty or principal.person_id in on_duty
