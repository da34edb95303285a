"""Roles follow posts (ORD-5.1), scopes stay narrow (ORD-30.1), video needs a pledge,
training and never a contractor (ORD-11, ORD-14.4, ORD-25). Runs on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from people_kit import ADMIN, audit_count, clear, departments, person, post
from sqlalchemy import func, select

from gwanje.auth.config import AuthSettings
from gwanje.auth.permissions import Permission, Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, InvalidInput
from gwanje.people import service
from gwanje.people.access import resolve_principal
from gwanje.people.models import Person, Post, RoleGrant

NO_TOTP = AuthSettings(require_totp_for_video=False)


def test_ex_officio_role_follows_the_appointment(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        traffic = departments(s)["TRAFFIC"]
        head = post(s, clock, "HEAD_TRAFFIC", Role.OPERATIONS_MANAGER, traffic)
        park = person(s, clock, "park")
        before = resolve_principal(s, park.id, clock, NO_TOTP)
        appointment = service.appoint(s, clock, ADMIN, park.id, head.id)
        ids = (park.id, appointment.id, traffic.id)
    assert before.roles == frozenset()
    with any_ctx.transaction() as s:
        during = resolve_principal(s, ids[0], clock, NO_TOTP)
        clock.advance(timedelta(minutes=5))
        service.end_appointment(s, clock, ADMIN, ids[1])
        after = resolve_principal(s, ids[0], clock, NO_TOTP)
        assert audit_count(s, "people.appointment_started") == 1
        assert audit_count(s, "people.appointment_ended") == 1
    assert during.roles == {Role.OPERATIONS_MANAGER}
    assert during.department_scope == {ids[2]}  # ORD-5.4: own department only
    assert during.can(Permission.CAMERA_WRITE)
    assert after.roles == frozenset()
    assert not after.permissions


def test_privacy_officer_and_general_manager_are_ex_officio(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    with any_ctx.transaction() as s:
        deps = departments(s)
        director = post(s, clock, "BUREAU_DIRECTOR", Role.PRIVACY_OFFICER, None)
        gm_post = post(s, clock, "HEAD_CENTER", Role.GENERAL_MANAGER, deps["SMARTCITY"])
        kim, lee = person(s, clock, "kim"), person(s, clock, "lee")
        service.appoint(s, clock, ADMIN, kim.id, director.id)
        service.appoint(s, clock, ADMIN, lee.id, gm_post.id)
        assert resolve_principal(s, kim.id, clock, NO_TOTP).roles == {Role.PRIVACY_OFFICER}
        gm = resolve_principal(s, lee.id, clock, NO_TOTP)
    assert gm.roles == {Role.GENERAL_MANAGER}
    assert gm.department_scope is None


def test_general_manager_post_must_be_in_the_dedicated_department(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    with any_ctx.transaction() as s:
        traffic = departments(s)["TRAFFIC"]
        with pytest.raises(InvalidInput):
            post(s, clock, "HEAD_X", Role.GENERAL_MANAGER, traffic)
        assert s.scalar(select(func.count()).select_from(Post)) == 0


def test_one_holder_per_post_and_no_direct_officer_roles(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        head = post(s, clock, "HEAD_TRAFFIC", Role.OPERATIONS_MANAGER, departments(s)["TRAFFIC"])
        a, b = person(s, clock, "aaa"), person(s, clock, "bbb")
        service.appoint(s, clock, ADMIN, a.id, head.id)
        with pytest.raises(Conflict):
            service.appoint(s, clock, ADMIN, b.id, head.id)
        events_before = audit_count(s)
        with pytest.raises(InvalidInput):
            service.grant_role(s, clock, ADMIN, b.id, Role.PRIVACY_OFFICER.value)
        assert audit_count(s) == events_before  # refused: nothing written
        assert s.scalar(select(func.count()).select_from(RoleGrant)) == 0


def test_video_needs_valid_pledge_and_training(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        op = person(s, clock, "operator", Role.OPERATOR, cleared=False)
        blocked = resolve_principal(s, op.id, clock, NO_TOTP)
        clear(s, clock, op.id)
        allowed = resolve_principal(s, op.id, clock, NO_TOTP)
        clock.advance(timedelta(days=366))  # training valid 365 days by default
        expired = resolve_principal(s, op.id, clock, NO_TOTP)
    assert not blocked.can(Permission.VIDEO_LIVE)
    assert blocked.can(Permission.CAMERA_READ)
    assert set(blocked.video_blocked) == {"people.gate.no_pledge", "people.gate.no_training"}
    assert allowed.can(Permission.VIDEO_LIVE)
    assert allowed.can(Permission.PTZ_CONTROL)
    assert allowed.video_blocked == ()
    assert not expired.can(Permission.VIDEO_LIVE)
    assert expired.video_blocked == ("people.gate.no_training",)


def test_contractor_never_gets_video(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        outsider = person(s, clock, "vendor", Role.OPERATOR, kind="contractor")
        dual = person(s, clock, "dual", Role.OPERATOR, Role.CONTRACTOR)
        for who in (outsider, dual):
            principal = resolve_principal(s, who.id, clock, NO_TOTP)
            assert not principal.permissions & {
                Permission.VIDEO_LIVE,
                Permission.VIDEO_PLAYBACK,
                Permission.VIDEO_EXPORT,
                Permission.PTZ_CONTROL,
            }
            assert "people.gate.contractor" in principal.video_blocked


def test_scope_union_is_conservative(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        deps = departments(s)
        head = post(s, clock, "HEAD_TRAFFIC", Role.OPERATIONS_MANAGER, deps["TRAFFIC"])
        both = person(s, clock, "both", Role.OPERATOR)
        service.appoint(s, clock, ADMIN, both.id, head.id)
        p = resolve_principal(s, both.id, clock, NO_TOTP)
        traffic, parking = deps["TRAFFIC"].id, deps["PARKING"].id
    assert p.department_scope == {traffic}  # coarse: never wider than a role allows
    assert p.scope_for(Permission.CAMERA_WRITE) == {traffic}  # only the ops manager has it
    assert p.scope_for(Permission.VIDEO_LIVE) is None  # the operator has it everywhere
    assert p.may_use_on_camera(Permission.VIDEO_LIVE, 7, parking)
    assert not p.may_use_on_camera(Permission.CAMERA_WRITE, 7, parking)
    assert p.may_use_on_camera(Permission.CAMERA_WRITE, 7, traffic)


def test_scoped_grant_limits_departments_and_cameras(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        police = departments(s)["POLICE"]
        liaison = person(s, clock, "liaison")
        service.grant_role(s, clock, ADMIN, liaison.id, "police_liaison", police.id, [3, 4])
        p = resolve_principal(s, liaison.id, clock, NO_TOTP)
    assert p.department_scope == {police.id}
    assert p.camera_scope == {3, 4}
    assert p.may_touch_camera(3, police.id)
    assert not p.may_touch_camera(5, police.id)


def test_disabled_person_resolves_to_nothing(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        admin = person(s, clock, "root", Role.SYSTEM_ADMIN)
        service.disable_person(s, clock, ADMIN, admin.id)
        p = resolve_principal(s, admin.id, clock, NO_TOTP)
        assert not p.permissions
        assert audit_count(s, "people.person_disabled") == 1
        with pytest.raises(Conflict):
            service.disable_person(s, clock, ADMIN, admin.id)


def test_bad_person_input_is_refused_without_writing(any_ctx: Gwanje, clock: FakeClock) -> None:
    with any_ctx.transaction() as s:
        person(s, clock, "taken")
    bad = [
        service.PersonInput("X", "n", "o"),  # bad username
        service.PersonInput("taken", "n", "o"),  # duplicate
        service.PersonInput("okname", "n", "o", "alien"),  # unknown kind
        service.PersonInput("okname", "n", "o", email="not-an-email"),
        service.PersonInput("okname", "n", "o", department_id=9999),
    ]
    for data in bad:
        with pytest.raises((InvalidInput, Conflict)), any_ctx.transaction() as s:
            service.create_person(s, clock, ADMIN, data)
    with any_ctx.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
