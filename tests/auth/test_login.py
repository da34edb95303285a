"""Login, sessions, lockout, CSRF, TOTP, API tokens and disabling, end to end through
the web app on a fake clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from people_kit import ADMIN, PASSWORD, audit_count, departments, person, post
from sqlalchemy import select

from gwanje.audit.models import AuditEntry
from gwanje.auth.config import AuthSettings
from gwanje.auth.models import Credential, LoginSession
from gwanje.auth.permissions import Role
from gwanje.auth.service import hash_password
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.people import service


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def login(client: TestClient, username: str, password: str = PASSWORD, totp: str = "") -> int:
    data = {"username": username, "password": password, "totp": totp, "next": "/"}
    return client.post("/login", data=data).status_code


def csrf(client: TestClient) -> str:
    page = client.get("/account").text
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def me(client: TestClient) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/me")
    return response.json() if response.status_code == 200 else {"status": response.status_code}


def test_argon2id_hash_and_policy(ctx: Gwanje, clock: FakeClock) -> None:
    assert hash_password("x" * 12).startswith("$argon2id$")
    with ctx.transaction() as s:
        pid = person(s, clock, "hong", password=PASSWORD).id
        stored = s.get(Credential, pid)
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
    from gwanje.auth.service import check_password_policy
    from gwanje.errors import InvalidInput

    for weak in ("short-pw1", "aaaaaaaaaaaa", "my-hong-password"):
        with pytest.raises(InvalidInput):
            check_password_policy(weak, "hong", AuthSettings())


def test_login_cookie_logout_and_idle_expiry(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        person(s, clock, "admin1", Role.SYSTEM_ADMIN, password=PASSWORD)
    response = client.post("/login", data={"username": "admin1", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert me(client)["username"] == "admin1"
    with ctx.transaction() as s:
        row = s.scalars(select(LoginSession)).one()
        assert row.token_hash not in response.headers["set-cookie"]  # only the hash is stored
    # Idle expiry: activity keeps it alive, silence past session_minutes ends it.
    clock.advance(timedelta(minutes=400))
    assert me(client)["username"] == "admin1"
    clock.advance(timedelta(minutes=481))
    assert me(client) == {"status": 401}
    assert login(client, "admin1") == 303
    token = csrf(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert me(client) == {"status": 401}
    with ctx.transaction() as s:
        reasons = sorted(r.end_reason or "" for r in s.scalars(select(LoginSession)))
        assert reasons == ["expired", "logout"]
        assert audit_count(s, "auth.logout") == 1
        assert audit_count(s, "auth.login_ok") == 2


def test_wrong_password_is_shown_in_korean_and_audited_without_password(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        person(s, clock, "kim", password=PASSWORD)
    response = client.post("/login", data={"username": "kim", "password": "wrong-password-1"})
    assert response.status_code == 401
    assert "비밀번호가 올바르지 않습니다" in response.text
    unknown = client.post("/login", data={"username": "nobody", "password": "wrong-password-1"})
    assert "비밀번호가 올바르지 않습니다" in unknown.text  # same message: no user probing
    with ctx.transaction() as s:
        rows = list(
            s.scalars(select(AuditEntry).where(AuditEntry.event_type == "auth.login_failed"))
        )
    assert [r.details.count("bad_password") + r.details.count("unknown_user") for r in rows] == [
        1,
        1,
    ]
    assert all("wrong-password" not in r.details for r in rows)


def test_lockout_and_unlock_after_time(ctx: Gwanje, clock: FakeClock, client: TestClient) -> None:
    with ctx.transaction() as s:
        person(s, clock, "lee", password=PASSWORD)
    for _ in range(5):
        assert login(client, "lee", "wrong-password-9") == 401
    locked = client.post("/login", data={"username": "lee", "password": PASSWORD})
    assert locked.status_code == 401
    assert "잠겼습니다" in locked.text
    clock.advance(timedelta(minutes=16))
    assert login(client, "lee") == 303
    with ctx.transaction() as s:
        assert audit_count(s, "auth.locked") == 1


def test_per_ip_rate_limit(ctx: Gwanje, clock: FakeClock, client: TestClient) -> None:
    ctx.settings.auth = AuthSettings(ip_login_attempts=3)
    with ctx.transaction() as s:
        person(s, clock, "park", password=PASSWORD)
    for name in ("a1x", "b2x", "c3x"):
        assert login(client, name, "wrong-password-9") == 401
    assert login(client, "park") == 429  # even the right password, from this address
    clock.advance(timedelta(minutes=16))
    assert login(client, "park") == 303


def test_csrf_refused_without_token_and_accepted_with_it(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        person(s, clock, "choi", password=PASSWORD)
    assert login(client, "choi") == 303
    refused = client.post("/logout")
    assert refused.status_code == 403
    assert client.post("/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert me(client)["username"] == "choi"  # still logged in: the handler never ran
    token = csrf(client)
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    with ctx.transaction() as s:
        assert audit_count(s, "auth.csrf_refused") == 2


def test_totp_required_for_video_and_verified(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        person(s, clock, "opr", Role.OPERATOR, password=PASSWORD)
    assert login(client, "opr") == 303
    before = me(client)
    assert "video.live" not in before["permissions"]
    assert "people.gate.no_totp" in before["video_blocked"]
    page = client.post("/account/totp/start", data={"csrf_token": csrf(client)}).text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)  # type: ignore[union-attr]
    totp = pyotp.TOTP(secret)
    wrong = client.post(
        "/account/totp/confirm", data={"csrf_token": csrf(client), "code": "000000"}
    )
    assert wrong.status_code == 422
    code = totp.at(clock.now())
    ok = client.post("/account/totp/confirm", data={"csrf_token": csrf(client), "code": code})
    assert ok.status_code == 303
    assert "video.live" in me(client)["permissions"]  # this session proved the factor
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert login(client, "opr") == 401  # enrolled: the code is now required
    assert login(client, "opr", totp=code) == 401  # a used code cannot be replayed
    clock.advance(timedelta(seconds=60))
    assert login(client, "opr", totp=totp.at(clock.now())) == 303
    assert "video.live" in me(client)["permissions"]
    with ctx.transaction() as s:
        assert audit_count(s, "auth.totp_enrolled") == 1


def test_api_token_auth_and_revocation(ctx: Gwanje, clock: FakeClock, client: TestClient) -> None:
    with ctx.transaction() as s:
        person(s, clock, "bridge", Role.AUDITOR, password=PASSWORD)
    assert login(client, "bridge") == 303
    created = client.post(
        "/api/me/tokens", json={"name": "VMS"}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert created.status_code == 201
    raw, token_id = created.json()["token"], created.json()["id"]
    bearer = TestClient(client.app, base_url="http://testserver")
    auth = {"Authorization": f"Bearer {raw}"}
    seen = bearer.get("/api/me", headers=auth).json()
    assert seen["kind"] == "token"
    assert "audit.read" in seen["permissions"]
    assert bearer.get("/api/me", headers={"Authorization": "Bearer gwj_forged"}).status_code == 401
    revoke = bearer.post(f"/api/me/tokens/{token_id}/revoke", headers=auth)  # no CSRF: bearer
    assert revoke.status_code == 200
    assert bearer.get("/api/me", headers=auth).status_code == 401
    with ctx.transaction() as s:
        assert audit_count(s, "auth.token_created") == 1
        assert audit_count(s, "auth.token_revoked") == 1
        assert raw not in "".join(r.details for r in s.scalars(select(AuditEntry)))


def test_disabling_a_person_ends_sessions_and_tokens(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        pid = person(s, clock, "gone", Role.AUDITOR, password=PASSWORD).id
    assert login(client, "gone") == 303
    raw = client.post(
        "/api/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf(client)}
    ).json()["token"]
    with ctx.transaction() as s:
        service.disable_person(s, clock, ADMIN, pid)
    assert me(client) == {"status": 401}
    bearer = TestClient(client.app, base_url="http://testserver")
    assert bearer.get("/api/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert login(client, "gone") == 401


def test_ending_an_appointment_removes_the_role_from_a_live_session(
    ctx: Gwanje, clock: FakeClock, client: TestClient
) -> None:
    with ctx.transaction() as s:
        head = post(s, clock, "HEAD_TRAFFIC", Role.OPERATIONS_MANAGER, departments(s)["TRAFFIC"])
        pid = person(s, clock, "traffic", password=PASSWORD).id
        appointment_id = service.appoint(s, clock, ADMIN, pid, head.id).id
    assert login(client, "traffic") == 303
    assert me(client)["roles"] == ["operations_manager"]
    with ctx.transaction() as s:
        service.end_appointment(s, clock, ADMIN, appointment_id)
    assert me(client)["roles"] == []  # same cookie, next request: the role is gone
