"""Legal holds (법적 보존, ORD-31.1): placing, validating, releasing, listing, review dates,
camera scope and the audit trail; and the `gwanje holds` / `gwanje retention` commands."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from registry.helpers import audit_rows, departments
from retention_kit import camera, hold_input, person, place, release
from typer.testing import CliRunner
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, GwanjeError, InvalidInput, NotFound
from gwanje.i18n import translate
from gwanje.registry.service import registry_transaction, system_principal
from gwanje.retention.service import HoldInput, Retention

DAY = timedelta(days=1)


def _service(ctx: Gwanje, session: object, **who: object) -> Retention:
    principal = who.get("principal") or system_principal("test")
    return Retention(session, ctx.settings, ctx.clock, principal)  # type: ignore[arg-type]


def _valid(clock: FakeClock, code: str = "YS-L") -> HoldInput:
    now = clock.now()
    return hold_input(code, now - 3 * DAY, now - 2 * DAY, now + 30 * DAY)


def test_place_list_and_release_are_audited(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = camera(any_ctx, "YS-L")
    owner = person(any_ctx, "owner1")
    data = _valid(clock)
    hold_id = place(any_ctx, data)

    (placed,) = audit_rows(any_ctx, "legal_hold.placed")
    details = json.loads(placed.details)
    assert placed.camera_ids == str(cam)
    assert placed.range_start == data.start_at
    assert placed.range_end == data.end_at
    assert details["hold_id"] == hold_id
    assert details["ground"] == "investigation_material"
    assert details["owner_id"] == owner
    assert details["owner"] == "owner1"
    assert details["reason"] == data.reason
    assert details["source"] == "manual"

    with any_ctx.transaction() as session:
        (view,) = _service(any_ctx, session).active_holds()
        assert (view.id, view.camera_code, view.due) == (hold_id, "YS-L", False)
        assert _service(any_ctx, session).due_for_review() == []

    release(any_ctx, hold_id, "수사 종결 통보")
    (released,) = audit_rows(any_ctx, "legal_hold.released")
    assert json.loads(released.details)["reason"] == "수사 종결 통보"
    with any_ctx.transaction() as session:
        assert _service(any_ctx, session).active_holds() == []
    with pytest.raises(Conflict):
        release(any_ctx, hold_id)
    with pytest.raises(NotFound):
        release(any_ctx, hold_id + 100)


def test_due_for_review_once_the_review_date_comes(any_ctx: Gwanje, clock: FakeClock) -> None:
    camera(any_ctx, "YS-L")
    person(any_ctx, "owner1")
    now = clock.now()
    soon = place(any_ctx, hold_input("YS-L", now - 3 * DAY, now - 2 * DAY, now + 5 * DAY))
    later = place(any_ctx, hold_input("YS-L", now - 3 * DAY, now - DAY, now + 50 * DAY))
    clock.advance(6 * DAY)
    with any_ctx.transaction() as session:
        service = _service(any_ctx, session)
        assert [v.id for v in service.due_for_review()] == [soon]
        assert {v.id for v in service.active_holds()} == {soon, later}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"ground": "because"}, "retention.hold.error.ground"),
        ({"reason": "   "}, "retention.hold.error.reason_required"),
        ({"owner_username": "nobody"}, "retention.hold.error.owner_unknown"),
        ({"owner_username": "gone1"}, "retention.hold.error.owner_inactive"),
        ({"owner_username": ""}, "retention.hold.error.owner_required"),
        ({"source": "from the web!"}, "retention.hold.error.source"),
        ({"end_at": "start"}, "retention.hold.error.range"),
        ({"end_at": "future"}, "retention.hold.error.future"),
        ({"review_at": "past"}, "retention.hold.error.review_past"),
    ],
)
def test_invalid_holds_are_refused_with_a_clear_message(
    any_ctx: Gwanje, clock: FakeClock, change: dict[str, str], key: str
) -> None:
    camera(any_ctx, "YS-L")
    person(any_ctx, "owner1")
    person(any_ctx, "gone1", active=False)
    data = _valid(clock)
    moments = {"start": data.start_at, "future": clock.now() + DAY, "past": clock.now() - DAY}
    values = {k: moments.get(v, v) for k, v in change.items()}
    with pytest.raises(InvalidInput) as refused:
        place(any_ctx, replace(data, **values))  # type: ignore[arg-type]
    assert refused.value.key == key
    for lang in ("ko", "en"):
        message = translate(key, lang, **refused.value.params)
        assert message != key
        assert "{" not in message
    assert audit_rows(any_ctx, "legal_hold.placed") == []


def test_unknown_camera_and_blank_release_reason(any_ctx: Gwanje, clock: FakeClock) -> None:
    camera(any_ctx, "YS-L")
    person(any_ctx, "owner1")
    with pytest.raises(NotFound) as unknown:
        place(any_ctx, _valid(clock, "NO-SUCH"))
    assert "NO-SUCH" in str(unknown.value)
    hold_id = place(any_ctx, _valid(clock))
    with pytest.raises(InvalidInput) as blank:
        release(any_ctx, hold_id, " ")
    assert blank.value.key == "retention.hold.error.release_reason_required"


def test_operations_manager_acts_on_own_department_only(any_ctx: Gwanje, clock: FakeClock) -> None:
    dept = departments(any_ctx)
    camera(any_ctx, "YS-OWN", "SAFETY")
    other = camera(any_ctx, "YS-OTHER", "TRAFFIC")
    person(any_ctx, "owner1")
    manager = principal_for(Role.OPERATIONS_MANAGER, department_scope=frozenset({dept["SAFETY"]}))
    with registry_transaction(any_ctx) as session:
        _service(any_ctx, session, principal=manager).place_hold(_valid(clock, "YS-OWN"))
    with pytest.raises(NotFound), registry_transaction(any_ctx) as session:
        _service(any_ctx, session, principal=manager).place_hold(_valid(clock, "YS-OTHER"))
    (denied,) = audit_rows(any_ctx, "camera.access_denied")
    assert denied.camera_ids == str(other)
    assert denied.outcome == "denied"
    place(any_ctx, _valid(clock, "YS-OTHER"))  # the center itself may
    with any_ctx.transaction() as session:
        mine = _service(any_ctx, session, principal=manager).active_holds()
        everyone = _service(any_ctx, session).active_holds()
    assert [v.camera_code for v in mine] == ["YS-OWN"]
    assert len(everyone) == 2


def test_roles_without_the_permission_are_refused(any_ctx: Gwanje, clock: FakeClock) -> None:
    camera(any_ctx, "YS-L")
    person(any_ctx, "owner1")
    operator = principal_for(Role.OPERATOR)
    with pytest.raises(GwanjeError) as refused, any_ctx.transaction() as session:
        _service(any_ctx, session, principal=operator).place_hold(_valid(clock))
    assert refused.value.status == 403
    with pytest.raises(GwanjeError), any_ctx.transaction() as session:
        _service(any_ctx, session, principal=operator).set_camera_days("YS-L", 7)


def test_cli_holds_and_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gwanje.cli.main import app
    from gwanje.settings import Mode, Settings

    monkeypatch.setenv("GWANJE_MODE", "test")
    system = Gwanje.open(Settings(mode=Mode.TEST, data_dir=tmp_path / "data"))
    camera(system, "YS-CLI")
    person(system, "owner1")
    system.close()
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    now = datetime.now(UTC)
    placed = runner.invoke(
        app,
        [
            *data, "holds", "place", "--camera", "YS-CLI",
            "--start", (now - 3 * DAY).isoformat(), "--end", (now - 2 * DAY).isoformat(),
            "--ground", "other_law", "--reason", "형사소송법 제106조", "--owner", "owner1",
            "--review", (now + 10 * DAY).date().isoformat(),
        ],
    )  # fmt: skip
    assert placed.exit_code == 0, placed.output
    listed = runner.invoke(app, [*data, "holds", "list", "--json"])
    (hold,) = json.loads(listed.output)
    assert hold["camera_code"] == "YS-CLI"
    assert hold["ground"] == "other_law"
    bad = runner.invoke(app, [*data, "holds", "place", "--camera", "YS-CLI", "--start", "x",
                              "--end", "y", "--ground", "g", "--reason", "r", "--owner", "o",
                              "--review", "z"])  # fmt: skip
    assert bad.exit_code == 1
    assert "start" in bad.output
    released = runner.invoke(app, [*data, "holds", "release", str(hold["id"]), "--reason", "끝"])
    assert released.exit_code == 0, released.output
    assert json.loads(runner.invoke(app, [*data, "holds", "list", "--json"]).output) == []
    refused = runner.invoke(app, [*data, "retention", "set", "YS-CLI", "31"])
    assert refused.exit_code == 1
    assert "제31조" in refused.output
    accepted = runner.invoke(app, [*data, "retention", "set", "YS-CLI", "7"])
    assert accepted.exit_code == 0, accepted.output
    purge = runner.invoke(app, [*data, "retention", "purge", "--dry-run", "--json"])
    assert purge.exit_code == 0, purge.output
    assert json.loads(purge.output)["segments"] == 0
