"""People pages and JSON API: forms change what they say, refusals change nothing, and
the profile explains withheld video access."""

from __future__ import annotations

from fastapi import FastAPI
from people_kit import audit_count, departments, person, post
from sqlalchemy import func, select
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.people.models import Person


def test_admin_creates_person_appoints_and_grants_through_forms(
    app: FastAPI, ctx: Gwanje, clock: FakeClock
) -> None:
    with ctx.transaction() as s:
        head = post(s, clock, "HEAD_TRAFFIC", Role.OPERATIONS_MANAGER, departments(s)["TRAFFIC"])
        post_id = head.id
    admin = client_as(app, principal_for(Role.SYSTEM_ADMIN, Role.PRIVACY_OFFICER))
    admin.follow_redirects = False
    form = {
        "username": "new.one",
        "display_name": "신규",
        "organisation": "여수시",
        "organisation_kind": "city",
        "password": "long-enough-pw-1",
    }
    created = admin.post("/people", data=form)
    assert created.status_code == 303
    pid = int(created.headers["location"].rsplit("/", 1)[1])
    assert admin.post(f"/people/{pid}/appointments", data={"post_id": post_id}).status_code == 303
    assert (
        admin.post(
            f"/people/{pid}/roles", data={"role": "operator", "camera_ids": "4, 2"}
        ).status_code
        == 303
    )
    page = admin.get(f"/people/{pid}")
    assert page.status_code == 200
    assert "운영책임자" in page.text
    assert "관제요원" in page.text
    assert 'data-testid="video-blocked"' in page.text  # no pledge or training yet
    assert "보안교육" in page.text
    assert admin.post(f"/people/{pid}/pledges", data={"document_ref": "S-1"}).status_code == 303
    assert admin.post(f"/people/{pid}/trainings", data={"course": "교육"}).status_code == 303
    detail = admin.get(f"/api/people/{pid}").json()
    assert detail["roles"] == ["operations_manager", "operator"]
    assert detail["pledge_valid"]
    assert detail["training_valid"]
    assert detail["grants"][0]["camera_ids"] == "2,4"
    listing = admin.get("/people")
    assert listing.status_code == 200
    assert "new.one" in listing.text
    with ctx.transaction() as s:
        assert audit_count(s, "people.person_created") == 1
        assert audit_count(s, "people.role_granted") == 1


def test_bad_input_is_refused_clearly_and_writes_nothing(app: FastAPI, ctx: Gwanje) -> None:
    admin = client_as(app, principal_for(Role.SYSTEM_ADMIN))
    admin.follow_redirects = False
    weak = {"username": "weakling", "display_name": "x", "organisation": "o", "password": "short"}
    response = admin.post("/people", data=weak)
    assert response.status_code == 422
    assert "10자 이상" in response.text
    api = admin.post(
        "/api/people", json={"username": "Bad Name", "display_name": "x", "organisation": "o"}
    )
    assert api.status_code == 422
    assert api.json()["error"] == "people.error.bad_username"
    officer = admin.post("/api/people/1/roles", json={"role": "privacy_officer"})
    assert officer.status_code in (404, 422)
    with ctx.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_read_only_roles_see_people_but_cannot_change_them(
    app: FastAPI, ctx: Gwanje, clock: FakeClock
) -> None:
    with ctx.transaction() as s:
        pid = person(s, clock, "target", Role.OPERATOR).id
    auditor = client_as(app, principal_for(Role.AUDITOR))
    assert auditor.get("/api/people").status_code == 200
    assert auditor.post(f"/api/people/{pid}/disable").status_code == 403
    assert auditor.post(f"/api/people/{pid}/roles", json={"role": "auditor"}).status_code == 403
    with ctx.transaction() as s:
        assert s.get(Person, pid).active  # type: ignore[union-attr]
        assert audit_count(s, "auth.permission_denied") == 2
