"""Two Gwanje centers on this machine (two uvicorn servers on loopback, separate SQLite
databases and data directories) federate (ORD-14.2, 21, 23): camera lists both ways,
incident events pushed both ways by the background pusher, a share requested by one and
approved by a person at the other; unsigned, forged and replayed requests are refused
and audited. Done-when of issue 6 (federation)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser.live import LiveServer
from registry.helpers import audit_rows
from share_live_kit import manager
from sqlalchemy import select

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.settings import Mode, Settings
from gwanje.sharing import federation
from gwanje.sharing.federation import API, PeerClient, PeerInput
from gwanje.sharing.models import Peer, PeerEvent

pytestmark = pytest.mark.slow
SECRET = "yeosu-suncheon-agreement-2026-0042-shared-secret"


def _center(base: Path, template: Path, name: str) -> LiveServer:
    from gwanje.cli.demo import seed_demo

    data_dir = base / name
    data_dir.mkdir()
    shutil.copyfile(template, data_dir / "gwanje.db")
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir,
                        sharing={"center_name": name, "push_interval_s": 0.5})  # fmt: skip
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=3))
    ctx.settings.sharing.public_url = server.url
    server.start()
    return server


@pytest.fixture(scope="module")
def centers(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, LiveServer]]:
    base = tmp_path_factory.mktemp("federation")
    yeosu, suncheon = _center(base, sqlite_template, "yeosu"), _center(base, sqlite_template,
                                                                          "suncheon")  # fmt: skip
    _link(yeosu, suncheon, ("YS-CAM-0001",))
    _link(suncheon, yeosu, ("YS-CAM-0002",))
    yield yeosu, suncheon
    for server in (yeosu, suncheon):
        server.stop()
        server.ctx.close()


def _link(here: LiveServer, there: LiveServer, covered: tuple[str, ...]) -> None:
    name = there.ctx.settings.sharing.center_name
    data = PeerInput(name=name, display_name=f"{name} 통합관제센터", base_url=there.url,
                     secret=SECRET, camera_codes=covered, agreement="협약 2026-0042")  # fmt: skip
    with here.ctx.transaction() as session:
        federation.register_peer(session, here.ctx.clock, here.ctx.settings.secret(),
                                 manager(here.ctx), data)  # fmt: skip


def _peer(server: LiveServer, name: str) -> Peer:
    with server.ctx.sessions() as session:
        peer = session.scalar(select(Peer).where(Peer.name == name))
        assert peer is not None
        return peer


def test_two_centers_exchange_camera_lists(centers: tuple[LiveServer, LiveServer]) -> None:
    yeosu, suncheon = centers
    assert federation.fetch_cameras(yeosu.ctx, _peer(yeosu, "suncheon").id) == 1
    assert federation.fetch_cameras(suncheon.ctx, _peer(suncheon, "yeosu").id) == 1
    theirs = federation.remote_cameras(_peer(yeosu, "suncheon"))
    ours = federation.remote_cameras(_peer(suncheon, "yeosu"))
    assert [c["code"] for c in theirs] == ["YS-CAM-0002"]  # only what the agreement covers
    assert [c["code"] for c in ours] == ["YS-CAM-0001"]
    assert set(theirs[0]) == {"code", "name", "district", "address", "latitude", "longitude",
                              "purposes", "status"}  # never credentials or stream URLs  # fmt: skip
    status = PeerClient(yeosu.ctx, _peer(yeosu, "suncheon")).request("GET", f"{API}/status")
    assert status.status_code == 200
    assert [c["code"] for c in status.json()["cameras"]] == ["YS-CAM-0002"]
    served = [json.loads(r.details) for r in audit_rows(suncheon.ctx, "federation.served")]
    assert {(d["peer"], d["path"]) for d in served} >= {("yeosu", f"{API}/cameras")}


def _incident(server: LiveServer, code: str, title: str) -> int:
    ctx = server.ctx
    with ctx.transaction() as session:
        data = IncidentInput(type="missing_person", severity="high", title=title,
                             camera_codes=(code,), location="여수 중앙동")  # fmt: skip
        return Incidents(session, ctx.settings, ctx.clock, manager(ctx)).open(data).id


def _events(server: LiveServer, timeout: float = 20) -> list[dict[str, Any]]:
    deadline, rows = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        with server.ctx.sessions() as session:
            rows = [json.loads(e.payload) for e in session.scalars(select(PeerEvent))]
        if rows:
            return rows
        time.sleep(0.2)
    return rows


def test_incident_events_are_pushed_both_ways(centers: tuple[LiveServer, LiveServer]) -> None:
    yeosu, suncheon = centers
    incident_id = _incident(yeosu, "YS-CAM-0001", "실종 아동 수색")
    got = _events(suncheon)
    assert [e["kind"] for e in got] == ["incident.opened"]
    assert got[0]["incident"]["title"] == "실종 아동 수색"
    assert got[0]["incident"]["cameras"] == ["YS-CAM-0001"]
    with yeosu.ctx.transaction() as session:
        Incidents(session, yeosu.ctx.settings, yeosu.ctx.clock, manager(yeosu.ctx)).close(
            incident_id, "아동 발견, 귀가"
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(_events(suncheon)) < 2:
        time.sleep(0.2)
    assert sorted(e["kind"] for e in _events(suncheon)) == ["incident.closed", "incident.opened"]
    _incident(suncheon, "YS-CAM-0003", "하천 범람 우려")
    back = _events(yeosu)
    assert [e["kind"] for e in back] == ["incident.opened"]
    assert back[0]["incident"]["cameras"] == []  # YS-CAM-0003 is outside the agreement
    # A retried push (same event id) is stored once.
    client = PeerClient(yeosu.ctx, _peer(yeosu, "suncheon"))
    body = {"id": "yeosu-retry-1", "kind": "incident.opened", "incident": {"id": 1}}
    assert client.request("POST", f"{API}/events", body).json() == {"stored": True}
    assert client.request("POST", f"{API}/events", body).json() == {"stored": False}


def test_unsigned_forged_and_replayed_requests_are_refused_and_audited(
    centers: tuple[LiveServer, LiveServer],
) -> None:
    _, suncheon = centers
    url = f"{suncheon.url}{API}/cameras"
    forged = federation.signed_headers("yeosu", b"not-the-agreed-secret-at-all-0000", "GET",
                                       f"{API}/cameras", b"", time.time())  # fmt: skip
    stale = federation.signed_headers("yeosu", SECRET.encode(), "GET", f"{API}/cameras", b"",
                                      time.time() - 3600)  # fmt: skip
    good = federation.signed_headers("yeosu", SECRET.encode(), "GET", f"{API}/cameras", b"",
                                     time.time())  # fmt: skip
    moved = federation.signed_headers("yeosu", SECRET.encode(), "GET", f"{API}/status", b"",
                                      time.time())  # fmt: skip
    with httpx.Client(timeout=30) as client:
        assert client.get(url).status_code == 401
        assert client.get(url, headers=forged).status_code == 401
        assert client.get(url, headers=stale).status_code == 401
        assert client.get(url, headers={**good, "X-Gwanje-Peer": "busan"}).status_code == 401
        assert client.get(url, headers=good).status_code == 200
        assert client.get(url, headers=good).status_code == 401  # the same nonce again
        assert client.get(url, headers=moved).status_code == 401  # signed for another path
    refused = [json.loads(r.details) for r in audit_rows(suncheon.ctx, "federation.refused")]
    assert [d["reason"] for d in refused][-6:] == [
        "unsigned", "bad_signature", "bad_signature", "unknown_peer", "replayed",
        "bad_signature",
    ]  # fmt: skip


def test_a_peer_requests_a_share_and_a_person_approves_it(
    centers: tuple[LiveServer, LiveServer],
) -> None:
    yeosu, suncheon = centers
    client = PeerClient(suncheon.ctx, _peer(suncheon, "yeosu"))
    asked = client.request("POST", f"{API}/share-requests", {
        "cameras": ["YS-CAM-0001"], "purpose": "crime_prevention", "hours": 2,
        "reason": "순천-여수 경계 실종자 합동 수색", "requester": "순천센터 상황팀장",
    })  # fmt: skip
    assert asked.status_code == 202
    request_id = asked.json()["id"]
    outside = client.request("POST", f"{API}/share-requests", {
        "cameras": ["YS-CAM-0002"], "purpose": "crime_prevention", "reason": "범위 밖 요청",
    })  # fmt: skip
    assert outside.status_code == 422  # not covered by the agreement
    pending = client.request("GET", f"{API}/share-requests/{request_id}").json()
    assert pending["state"] == "pending"
    assert "share" not in pending
    with yeosu.ctx.transaction() as session:
        federation.decide_share_request(session, yeosu.ctx, manager(yeosu.ctx), request_id,
                                        True, "합동 대응 승인 (ORD-14.2)")  # fmt: skip
    answer = client.request("GET", f"{API}/share-requests/{request_id}").json()
    assert answer["state"] == "approved"
    token = answer["share"]["token"]
    assert answer["share"]["viewer"].startswith(f"{yeosu.url}/share/")
    again = client.request("GET", f"{API}/share-requests/{request_id}").json()
    assert "share" not in again  # the token is handed over once
    with httpx.Client(timeout=30) as http:
        assert http.get(answer["share"]["viewer"]).status_code == 200
        assert http.get(answer["share"]["viewer"].replace(token, token[:-2])).status_code == 403
    assert audit_rows(yeosu.ctx, "federation.token_collected")
