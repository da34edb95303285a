"""Web pages and JSON API: allowed and denied roles, the create → link flow through the
HTML forms, lifecycle refusals with reasons, map and bells."""

from __future__ import annotations

import re

from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from registry.helpers import camera_values, departments, make_camera


def _form(values: dict[str, object]) -> dict[str, object]:
    form: dict[str, object] = {
        k: ("on" if v is True else str(v)) for k, v in values.items() if k != "purposes"
    }
    form["purposes"] = values["purposes"]
    form["csrf_token"] = "x"
    return form


def test_create_edit_and_link_through_html_forms(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    dept = departments(ctx)["SAFETY"]
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    page = client.get("/cameras/new")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text
    created = client.post(
        "/cameras/new",
        data=_form(camera_values("YS-W-1", dept, CameraStatus.PLANNED)),
        follow_redirects=False,
    )
    assert created.status_code == 303
    url = created.headers["location"]
    camera_id = int(url.rsplit("/", 1)[1])
    detail = client.get(url)
    assert 'data-testid="blocked-consult"' in detail.text
    full = camera_values("YS-W-1", dept, CameraStatus.LINKED)
    full.pop("code")
    edited = client.post(f"{url}/edit", data=_form(full), follow_redirects=False)
    assert edited.status_code == 303
    for action in ("consult", "install", "link"):
        moved = client.post(
            f"{url}/transition", data={"action": action, "csrf_token": "x"}, follow_redirects=False
        )
        assert moved.status_code == 303, moved.text
    final = client.get(url)
    assert 'data-status="linked"' in final.text
    assert client.get(f"/api/cameras/{camera_id}").json()["status"] == "linked"


def test_form_errors_rerender_with_422(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    dept = departments(ctx)["SAFETY"]
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    values = camera_values("YS-W-2", dept, CameraStatus.PLANNED, purposes=[])
    response = client.post("/cameras/new", data=_form(values))
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.text


def test_transition_refusal_lists_missing_items_in_language(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    camera_id = make_camera(ctx, "YS-W-3", departments(ctx)["SAFETY"], CameraStatus.CONSULTED)
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    response = client.post(f"/api/cameras/{camera_id}/transition", json={"action": "install"})
    assert response.status_code == 409
    body = response.json()
    assert "registry.req.installed_on" in body["missing"]
    assert "설치일" in body["message"]
    assert "정보통신공사업 등록번호" in body["message"]
    client.cookies.set("lang", "en")
    english = client.post(f"/api/cameras/{camera_id}/transition", json={"action": "install"})
    assert "installation date" in english.json()["message"]


def test_read_only_roles_cannot_write(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    dept = departments(ctx)["SAFETY"]
    camera_id = make_camera(ctx, "YS-W-4", dept)
    operator = client_as(app, principal_for(Role.OPERATOR))
    assert operator.get("/cameras").status_code == 200
    assert operator.get(f"/cameras/{camera_id}").status_code == 200
    assert operator.get("/cameras/new").status_code == 403
    assert (
        operator.post(
            "/api/cameras", json=camera_values("YS-W-5", dept, CameraStatus.PLANNED)
        ).status_code
        == 403
    )
    assert (
        operator.post(
            f"/api/cameras/{camera_id}/transition", json={"action": "consult"}
        ).status_code
        == 403
    )
    assert operator.get("/cameras/import").status_code == 403
    contractor = client_as(app, principal_for(Role.CONTRACTOR))
    assert contractor.get("/cameras").status_code == 403
    assert contractor.get("/api/cameras").status_code == 403
    anonymous = client_as(app, None)
    assert anonymous.get("/api/cameras").status_code == 401


def test_list_filters_and_flags(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    make_camera(ctx, "YS-F-1", depts["SAFETY"], CameraStatus.LINKED)
    make_camera(
        ctx,
        "YS-F-2",
        depts["TRAFFIC"],
        CameraStatus.INSTALLED,
        district="여서동",
        purposes=["traffic_info"],
    )
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))

    def codes(query: str) -> list[str]:
        return [c["code"] for c in client.get(f"/api/cameras?{query}").json()]

    assert codes("district=여서동") == ["YS-F-2"]
    assert codes("purpose=traffic_info") == ["YS-F-2"]
    assert codes("status=linked") == ["YS-F-1"]
    assert codes(f"department={depts['SAFETY']}") == ["YS-F-1"]
    assert codes("q=F-2") == ["YS-F-2"]
    assert codes("flag=no_signage") == ["YS-F-2"]
    assert client.get("/api/cameras?purpose=marketing").status_code == 422
    html = client.get("/cameras?flag=unlinked_no_reason").text
    assert 'data-testid="camera-row-YS-F-2"' in html
    assert "YS-F-1" not in html


def test_map_plots_cameras_offline(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    first = make_camera(ctx, "YS-M-1", depts["SAFETY"], latitude=34.70, longitude=127.60)
    make_camera(ctx, "YS-M-2", depts["SAFETY"], latitude=34.80, longitude=127.75)
    html = client_as(app, principal_for(Role.OPERATOR)).get("/cameras/map").text
    assert f'href="/cameras/{first}"' in html
    assert "<svg" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org", ""
    )
    xs = [float(x) for x in re.findall(r'cx="([\d.]+)"', html)]
    assert len(xs) == 2
    assert xs[0] < xs[1]


def test_bells_api(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    depts = departments(ctx)
    camera_id = make_camera(ctx, "YS-BL-1", depts["SAFETY"])
    other = make_camera(ctx, "YS-BL-2", depts["TRAFFIC"])
    gm = client_as(app, principal_for(Role.GENERAL_MANAGER))
    bell = {
        "code": "YS-BELL-9",
        "location": "공원 입구",
        "camera_ids": [camera_id],
        "protocol": "SIP",
    }
    created = gm.post("/api/bells", json=bell)
    assert created.status_code == 201
    assert created.json()["camera_ids"] == [camera_id]
    assert gm.post("/api/bells", json=bell).status_code == 422  # duplicate code
    assert "YS-BELL-9" in gm.get(f"/cameras/{camera_id}").text
    scoped = principal_for(Role.OPERATIONS_MANAGER, department_scope=frozenset({depts["TRAFFIC"]}))
    manager = client_as(app, scoped)
    moved = {**bell, "camera_ids": [camera_id, other]}
    assert manager.put(f"/api/bells/{created.json()['id']}", json=moved).status_code == 404
    assert (
        client_as(app, principal_for(Role.OPERATOR)).post("/api/bells", json=bell).status_code
        == 403
    )


def test_maintenance_form(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    camera_id = make_camera(ctx, "YS-MT-1", departments(ctx)["SAFETY"])
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    form = {
        "csrf_token": "x",
        "performed_on": "2026-01-02",
        "contractor_name": "남도정보통신",
        "contractor_registration": "전남-2019-0132",
        "kind": "repair",
        "notes": "렌즈 교체",
    }
    assert (
        client.post(
            f"/cameras/{camera_id}/maintenance", data=form, follow_redirects=False
        ).status_code
        == 303
    )
    assert "렌즈 교체" in client.get(f"/cameras/{camera_id}").text


def test_import_page_uploads_all_or_nothing(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    departments(ctx)
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    header = "관리번호,명칭,읍면동,설치장소,관리부서,설치주체,설치목적\n"
    bad = header + "YS-U-1,a,중앙동,c,SAFETY,d,방범\nYS-U-2,a,중앙동,c,SAFETY,d,광고\n"
    files = {"file": ("bad.csv", bad.encode("cp949"), "text/csv")}
    refused = client.post("/cameras/import", files=files, data={"csrf_token": "x"})
    assert refused.status_code == 422
    assert 'data-testid="import-errors"' in refused.text
    assert client.get("/api/cameras").json() == []
    good = header + "YS-U-1,a,중앙동,c,SAFETY,d,방범\n"
    files = {"file": ("good.csv", good.encode(), "text/csv")}
    done = client.post("/cameras/import", files=files, data={"csrf_token": "x"})
    assert done.status_code == 200
    assert [c["code"] for c in client.get("/api/cameras").json()] == ["YS-U-1"]


def test_bell_page_create_and_refuse_unknown_camera(app, ctx: Gwanje) -> None:  # type: ignore[no-untyped-def]
    make_camera(ctx, "YS-BP-1", departments(ctx)["SAFETY"])
    client = client_as(app, principal_for(Role.GENERAL_MANAGER))
    form = {"csrf_token": "x", "code": "YS-BELL-77", "location": "공원", "camera_codes": "YS-BP-1"}
    assert client.post("/cameras/bells", data=form, follow_redirects=False).status_code == 303
    assert 'data-testid="bell-row-YS-BELL-77"' in client.get("/cameras/bells").text
    bad = {**form, "code": "YS-BELL-78", "camera_codes": "YS-NOPE"}
    refused = client.post("/cameras/bells", data=bad)
    assert refused.status_code == 422
    assert "YS-NOPE" in refused.text
    operator = client_as(app, principal_for(Role.OPERATOR))
    assert operator.get("/cameras/bells").status_code == 200
    assert operator.post("/cameras/bells", data=form).status_code == 403
