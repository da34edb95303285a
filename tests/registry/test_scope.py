"""Department scope: an operations manager of TRAFFIC neither sees nor edits a SAFETY
camera; every attempt is refused as not found and audited."""

from __future__ import annotations

from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from registry.helpers import audit_rows, camera_values, departments, make_camera


def test_ops_manager_sees_only_own_department(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    safety = make_camera(ctx, "YS-S-1", depts["SAFETY"])
    traffic = make_camera(ctx, "YS-S-2", depts["TRAFFIC"], purposes=["traffic_info"])
    manager = principal_for(Role.OPERATIONS_MANAGER, department_scope=frozenset({depts["TRAFFIC"]}))
    client = client_as(app, manager)
    listed = [c["code"] for c in client.get("/api/cameras").json()]
    assert listed == ["YS-S-2"]
    assert "YS-S-1" not in client.get("/cameras").text
    assert client.get(f"/api/cameras/{traffic}").status_code == 200
    assert client.get(f"/api/cameras/{safety}").status_code == 404
    assert client.get(f"/cameras/{safety}").status_code == 404
    assert client.patch(f"/api/cameras/{safety}", json={"name": "x"}).status_code == 404
    moved = client.post(f"/api/cameras/{safety}/transition", json={"action": "consult"})
    assert moved.status_code == 404
    denied = audit_rows(ctx, "camera.access_denied")
    assert len(denied) == 4
    assert all(d.outcome == "denied" and d.camera_ids.strip("[]") == str(safety) for d in denied)


def test_ops_manager_cannot_create_in_other_department(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    manager = principal_for(Role.OPERATIONS_MANAGER, department_scope=frozenset({depts["TRAFFIC"]}))
    client = client_as(app, manager)
    other = camera_values("YS-S-3", depts["SAFETY"], CameraStatus.PLANNED)
    assert client.post("/api/cameras", json=other).status_code == 403
    own = camera_values("YS-S-4", depts["TRAFFIC"], CameraStatus.PLANNED)
    assert client.post("/api/cameras", json=own).status_code == 201


def test_general_manager_sees_all(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    make_camera(ctx, "YS-S-5", depts["SAFETY"])
    make_camera(ctx, "YS-S-6", depts["TRAFFIC"])
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    assert [c["code"] for c in client.get("/api/cameras").json()] == ["YS-S-5", "YS-S-6"]
