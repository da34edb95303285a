"""Builders shared by the data-subject request tests: a small city (a traffic camera, a
crime-prevention camera), the officers, and a request filed through the public form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.governance.requests import ItemInput
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.governance.subjects.service import PlaceInput, Receipt, SubjectInput, Subjects
from gwanje.registry.models import CameraStatus


def city(ctx: Gwanje) -> dict[str, int]:
    d = departments(ctx)
    return {
        "traffic": make_camera(ctx, "SR-T1", d["TRAFFIC"], CameraStatus.LINKED,
                               purposes=["traffic_info"]),
        "crime": make_camera(ctx, "SR-C1", d["SAFETY"], CameraStatus.LINKED),
        "TRAFFIC": d["TRAFFIC"], "SAFETY": d["SAFETY"],
        "officer": person(ctx, "kim"), "officer2": person(ctx, "lee"),
        "manager": person(ctx, "park"),
    }  # fmt: skip


def officer(c: dict[str, int], second: bool = False) -> Principal:
    name = "lee" if second else "kim"
    return principal_for(Role.PRIVACY_OFFICER, person_id=c["officer2" if second else "officer"],
                         username=name)  # fmt: skip


def manager(c: dict[str, int]) -> Principal:
    """The operations manager of TRAFFIC (department-scoped)."""
    return principal_for(Role.OPERATIONS_MANAGER, person_id=c["manager"], username="park",
                         department_scope=frozenset({c["TRAFFIC"]}))  # fmt: skip


def run(ctx: Gwanje, principal: Principal | None, job: Any) -> Any:
    with ctx.transaction() as session:
        return job(Subjects(session, ctx.settings, ctx.clock, principal, "10.0.0.9"))


def subject_input(clock: FakeClock, **change: Any) -> SubjectInput:
    end = clock.now() - timedelta(hours=1)
    values: dict[str, Any] = {
        "kind": "viewing", "applicant_name": "홍길동", "applicant_contact": "010-1234-5678",
        "purpose": "주차된 차량 파손 경위 확인", "details": "검은 패딩, 흰 모자",
        "places": (PlaceInput("여수시 학동 시청 앞 교차로", end - timedelta(minutes=30), end),),
    }  # fmt: skip
    values.update(change)
    return SubjectInput(**values)


def file(ctx: Gwanje, clock: FakeClock, **change: Any) -> Receipt:
    data = subject_input(clock, **change)
    receipt: Receipt = run(ctx, None, lambda s: s.receive(data))
    return receipt


def items(clock: FakeClock, *codes: str) -> tuple[ItemInput, ...]:
    end = clock.now() - timedelta(hours=1)
    return tuple(ItemInput(code, end - timedelta(minutes=30), end) for code in codes)


def ready(ctx: Gwanje, clock: FakeClock, c: dict[str, int], *codes: str, **change: Any) -> int:
    """A public request, identity verified (every document the request calls for),
    resolved to `codes` (default the traffic camera)."""
    request_id = file(ctx, clock, **change).request_id
    docs = ["id_card", "vehicle_registration", "power_of_attorney"]
    run(ctx, officer(c), lambda s: s.verify_identity(request_id, docs, "운전면허증 확인"))
    wanted = items(clock, *(codes or ("SR-T1",)))
    run(ctx, officer(c), lambda s: s.resolve(request_id, wanted))
    return request_id


def load(ctx: Gwanje, request_id: int) -> SubjectRequest:
    with ctx.sessions() as session:
        row = session.get(SubjectRequest, request_id)
        assert row is not None
        session.expunge(row)
        return row
