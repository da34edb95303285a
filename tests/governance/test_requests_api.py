"""The access-request API: JSON in and out, who may see what, clear errors, 409 on a
stale decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from querycount import queries_of
from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app


@pytest.fixture
def web(ctx: Gwanje) -> FastAPI:
    return create_app(ctx)


@pytest.fixture
def people(ctx: Gwanje) -> dict[str, int]:
    make_camera(ctx, "API-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    return {name: person(ctx, name) for name in ("kang", "yoon", "choi")}


def body(clock: FakeClock) -> dict[str, object]:
    end = clock.now() - timedelta(hours=1)
    return {
        "requester_kind": "police", "requester_org": "여수경찰서", "requester_name": "강경찰",
        "kind": "view", "legal_basis": "investigation", "purpose": "폭행 사건",
        "letter_no": "수사-77", "crime_type": "폭행",
        "items": [{"camera_code": "API-1", "start_at": (end - timedelta(hours=1)).isoformat(),
                   "end_at": end.isoformat()}],
    }  # fmt: skip


def test_submit_see_and_approve_through_the_api(
    web: FastAPI, clock: FakeClock, people: dict[str, int]
) -> None:
    police = client_as(web, principal_for(Role.POLICE_LIAISON, person_id=people["kang"],
                                          username="kang"))  # fmt: skip
    approver = client_as(web, principal_for(Role.APPROVER, person_id=people["yoon"],
                                            username="yoon"))  # fmt: skip
    operator = client_as(web, principal_for(Role.OPERATOR, person_id=people["choi"],
                                            username="choi"))  # fmt: skip
    created = police.post("/api/requests", json=body(clock))
    assert created.status_code == 201, created.text
    request = created.json()
    assert (request["state"], request["handler"], request["version"]) == ("submitted", "center", 1)
    assert request["items"][0]["camera_code"] == "API-1"
    url = f"/api/requests/{request['id']}"
    assert police.get(url).status_code == 200  # their own
    assert operator.get(url).status_code == 404  # neither theirs nor theirs to decide
    assert [r["id"] for r in approver.get("/api/requests").json()["requests"]] == [request["id"]]
    assert operator.get("/api/requests").json()["requests"] == []
    decided = approver.post(f"{url}/approve", json={"grantees": ["kang", "choi"], "version": 1})
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved"
    assert decided.json()["grant"]["grantees"] == ["choi", "kang"]
    assert operator.get(url).status_code == 200  # now named by its grant
    assert [r["id"] for r in operator.get("/api/requests").json()["requests"]] == [request["id"]]
    stale = approver.post(f"{url}/reject", json={"reason": "늦은 거부", "version": 1})
    assert stale.status_code == 409
    assert "approved" in stale.json()["message"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"items": "API-1"}, 422),
        ({"items": [{"camera_code": "API-1", "start_at": "yesterday", "end_at": "now"}]}, 422),
        (
            {
                "items": [
                    {
                        "camera_code": "API-1",
                        "start_at": "2026-11-20T10:00:00",
                        "end_at": "2026-11-20T11:00:00",
                    }
                ]
            },
            422,
        ),  # naive times
        ({"legal_basis": "curiosity"}, 422),
        ({"requester_org": None}, 422),
    ],
)
def test_bad_requests_get_clear_errors(
    web: FastAPI, clock: FakeClock, people: dict[str, int], change: dict[str, object], status: int
) -> None:
    police = client_as(web, principal_for(Role.POLICE_LIAISON, person_id=people["kang"],
                                          username="kang"))  # fmt: skip
    response = police.post("/api/requests", json={**body(clock), **change})
    assert response.status_code == status
    assert response.json()["error"].startswith("governance.error.")
    not_json = police.post(
        "/api/requests", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


def test_the_request_list_reads_a_fixed_number_of_queries(
    ctx: Gwanje, web: FastAPI, clock: FakeClock, people: dict[str, int]
) -> None:
    # Each listed request used to read its cameras, grant, grantees and attachments itself.
    make_camera(ctx, "API-2", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    police = client_as(web, principal_for(Role.POLICE_LIAISON, person_id=people["kang"],
                                          username="kang"))  # fmt: skip
    approver = client_as(web, principal_for(Role.APPROVER, person_id=people["yoon"],
                                            username="yoon"))  # fmt: skip

    def submit(code: str, grantees: list[str] | None) -> int:
        data = body(clock)
        data["items"][0]["camera_code"] = code  # type: ignore[index]
        made = police.post("/api/requests", json=data).json()
        if grantees is not None:
            url = f"/api/requests/{made['id']}/approve"
            decided = approver.post(url, json={"grantees": grantees, "version": 1})
            assert decided.status_code == 200, decided.text
        return int(made["id"])

    submit("API-1", ["kang"])
    submit("API-2", None)
    few = queries_of(ctx.engine, lambda: approver.get("/api/requests"))
    expected = {submit("API-2", ["choi", "kang"]): ("API-2", ["choi", "kang"])}
    for n in range(6):
        code, grantees = ("API-1", ["yoon"]) if n % 2 else ("API-2", None)
        expected[submit(code, grantees)] = (code, grantees or [])
    listed = approver.get("/api/requests").json()["requests"]
    assert len(listed) == 9
    many = queries_of(ctx.engine, lambda: approver.get("/api/requests"))
    assert many == few
    for row in listed:
        if row["id"] in expected:
            code, grantees = expected[row["id"]]
            assert row["items"][0]["camera_code"] == code
            assert (row["grant"] or {"grantees": []})["grantees"] == grantees
    police_view = [r["id"] for r in police.get("/api/requests").json()["requests"]]
    assert len(police_view) == 9  # all theirs
