"""The demo organisation: idempotent, and it shows every role and the training gate."""

from __future__ import annotations

from sqlalchemy import func, select

from gwanje.auth.config import AuthSettings
from gwanje.auth.permissions import Permission, Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.people import demo
from gwanje.people.access import resolve_principal
from gwanje.people.models import Appointment, Department, Person
from gwanje.people.service import person_by_username

NO_TOTP = AuthSettings(require_totp_for_video=False)


def test_seed_is_idempotent_and_shows_the_roles(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        first = demo.seed(s, clock)
    with any_ctx.transaction() as s:
        counts = (
            s.scalar(select(func.count()).select_from(Person)),
            s.scalar(select(func.count()).select_from(Appointment)),
        )
        second = demo.seed(s, clock)
        assert counts == (
            s.scalar(select(func.count()).select_from(Person)),
            s.scalar(select(func.count()).select_from(Appointment)),
        )
        roles = {
            name: resolve_principal(s, person_by_username(s, name).id, clock, NO_TOTP)  # type: ignore[union-attr]
            for name, _, _ in first
        }
        traffic = s.scalar(select(Department.id).where(Department.code == "TRAFFIC"))
    assert first == second
    assert len(first) == 10
    assert roles["officer"].roles == {Role.PRIVACY_OFFICER}
    assert roles["manager"].roles == {Role.GENERAL_MANAGER}
    assert roles["traffic"].roles == {Role.OPERATIONS_MANAGER}
    assert roles["traffic"].department_scope == {traffic}
    assert roles["operator"].can(Permission.VIDEO_LIVE)
    assert not roles["operator2"].can(Permission.VIDEO_LIVE)  # no training: the gate
    assert roles["operator2"].video_blocked == ("people.gate.no_training",)
    assert roles["contractor"].permissions == {Permission.MAINTENANCE_TICKET}
    assert roles["police"].roles == {Role.POLICE_LIAISON}
    assert roles["admin"].can(Permission.PERSON_MANAGE)
