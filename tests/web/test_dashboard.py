"""The home page's work list: each person sees the cards of what they may act on, with
live counts; overdue or ringing things come first, marked urgent; nobody sees a card of
another role's work."""

from __future__ import annotations

from datetime import timedelta

from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app


def test_each_role_sees_its_own_work_with_live_counts(ctx: Gwanje, clock: FakeClock) -> None:
    make_camera(ctx, "DB-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    police = principal_for(Role.POLICE_LIAISON, person_id=person(ctx, "kang"), username="kang")
    operator = principal_for(Role.OPERATOR, person_id=person(ctx, "choi"), username="choi")
    end = clock.now() - timedelta(hours=1)
    data = RequestInput(
        requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
        kind="view", legal_basis="investigation", purpose="폭행 사건", letter_no="형사-1",
        crime_type="폭행", items=(ItemInput("DB-1", end - timedelta(hours=1), end),),
    )  # fmt: skip
    with ctx.transaction() as session:
        Requests(session, ctx.settings, clock, police).submit(data)
        incidents = Incidents(session, ctx.settings, clock, operator)
        for title in ("시장 앞 폭행", "교차로 사고"):
            incidents.open(IncidentInput("crime", "high", title, ("DB-1",)))
    app = create_app(ctx)
    approver_home = client_as(app, principal_for(Role.APPROVER, username="yoon")).get("/").text
    assert 'data-testid="count-requests_waiting">1<' in approver_home
    assert "card-incidents_open" not in approver_home  # not the approver's work
    operator_home = client_as(app, operator).get("/").text
    assert 'data-testid="count-incidents_open">2<' in operator_home
    assert 'data-testid="count-bells_ringing">0<' in operator_home
    assert "card-requests_waiting" not in operator_home
    auditor_home = client_as(app, principal_for(Role.AUDITOR, username="han")).get("/").text
    assert 'data-testid="count-incidents_open">2<' in auditor_home  # reads, acts on none
    assert "card-bells_ringing" not in auditor_home


def test_overdue_work_comes_first_marked_urgent(ctx: Gwanje, clock: FakeClock) -> None:
    from governance.subject_kit import file

    file(ctx, clock)  # a citizen's request, undecided
    officer = client_as(create_app(ctx), principal_for(Role.PRIVACY_OFFICER, username="kim"))
    before = officer.get("/").text
    assert 'data-testid="count-subjects_undecided">1<' in before
    assert 'class="work-card" data-testid="card-subjects_undecided"' in before
    clock.advance(timedelta(days=11))  # past the 10-day decision
    after = officer.get("/").text
    assert 'class="work-card urgent" data-testid="card-subjects_undecided"' in after
    first = after.index('data-testid="card-')
    assert after[first:].startswith('data-testid="card-subjects_undecided"')
    assert 'href="/subjects?overdue=1"' in after
