"""Lifecycle state machine: each transition allowed with its records, refused with the
full list of what is missing; exemption validation; refusals and transitions audited."""

from __future__ import annotations

import json

import pytest

from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.registry.lifecycle import Action, TransitionBlocked
from gwanje.registry.models import CameraStatus
from gwanje.registry.schemas import CameraCreate, CameraUpdate
from gwanje.registry.service import Registry, registry_transaction, system_principal
from registry.helpers import audit_rows, camera_values, departments, make_camera


def _transition(
    ctx: Gwanje, camera_id: int, action: Action, reason: str | None = None, note: str | None = None
) -> str:
    with registry_transaction(ctx) as session:
        registry = Registry(session, ctx.settings, ctx.clock, system_principal("test"))
        return registry.transition(camera_id, action, reason, note).status


def _blocked(ctx: Gwanje, camera_id: int, action: Action, **kw: str) -> list[str]:
    with pytest.raises(TransitionBlocked) as info:
        _transition(ctx, camera_id, action, **kw)
    return info.value.missing


def test_full_happy_path_planned_to_linked(any_ctx: Gwanje) -> None:
    dept = departments(any_ctx)["SAFETY"]
    values = camera_values("YS-T-1", dept, CameraStatus.LINKED)
    camera_id = make_camera(any_ctx, "YS-T-1", dept)
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        registry.update(
            camera_id, CameraUpdate.model_validate({k: v for k, v in values.items() if k != "code"})
        )
    assert _transition(any_ctx, camera_id, Action.CONSULT) == "consulted"
    assert _transition(any_ctx, camera_id, Action.INSTALL) == "installed"
    assert _transition(any_ctx, camera_id, Action.LINK) == "linked"
    moves = [json.loads(r.details) for r in audit_rows(any_ctx, "camera.transitioned")]
    assert [(m["from_status"], m["to_status"]) for m in moves] == [
        ("planned", "consulted"),
        ("consulted", "installed"),
        ("installed", "linked"),
    ]


def test_consult_refused_lists_every_missing_item(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-T-2", departments(any_ctx)["SAFETY"])
    missing = _blocked(any_ctx, camera_id, Action.CONSULT)
    assert missing == [
        "registry.req.consultation_date",
        "registry.req.consultation_experts",
        "registry.req.consultation_residents",
    ]
    refused = audit_rows(any_ctx, "camera.transition_refused")
    assert len(refused) == 1
    assert refused[0].outcome == "denied"
    assert json.loads(refused[0].details)["missing"] == missing


def test_install_refused_lists_standards_contractor_and_date(any_ctx: Gwanje) -> None:
    camera_id = make_camera(
        any_ctx, "YS-T-3", departments(any_ctx)["SAFETY"], CameraStatus.CONSULTED
    )
    missing = _blocked(any_ctx, camera_id, Action.INSTALL)
    assert set(missing) == {
        "registry.req.std_standard_product",
        "registry.req.std_multi_purpose",
        "registry.req.std_integrable",
        "registry.req.install_contractor",
        "registry.req.install_contractor_reg_no",
        "registry.req.installed_on",
    }


def test_link_refused_without_signage_and_stream(any_ctx: Gwanje) -> None:
    camera_id = make_camera(
        any_ctx, "YS-T-4", departments(any_ctx)["SAFETY"], CameraStatus.INSTALLED
    )
    missing = _blocked(any_ctx, camera_id, Action.LINK)
    assert "registry.req.signage_installed_on" in missing
    assert "registry.req.signage_manager_contact" in missing
    assert "registry.req.main_stream" in missing


def test_skipping_steps_is_refused(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-T-5", departments(any_ctx)["SAFETY"])
    assert _blocked(any_ctx, camera_id, Action.LINK) == ["registry.req.not_from_planned"]
    assert _blocked(any_ctx, camera_id, Action.INSTALL) == ["registry.req.not_from_planned"]


def test_unlink_needs_reason_and_note_then_link_clears_it(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-T-6", departments(any_ctx)["SAFETY"], CameraStatus.LINKED)
    assert set(_blocked(any_ctx, camera_id, Action.UNLINK, reason="too_costly")) == {
        "registry.req.unlinked_reason",
        "registry.req.unlinked_note",
    }
    assert (
        _transition(any_ctx, camera_id, Action.UNLINK, "national_security", "군사시설")
        == "installed"
    )
    assert len(audit_rows(any_ctx, "camera.unlinked")) == 1
    assert _transition(any_ctx, camera_id, Action.LINK) == "linked"


def test_decommission_from_any_state_needs_reason_and_is_final(any_ctx: Gwanje) -> None:
    dept = departments(any_ctx)["SAFETY"]
    for level in (
        CameraStatus.PLANNED,
        CameraStatus.CONSULTED,
        CameraStatus.INSTALLED,
        CameraStatus.LINKED,
    ):
        camera_id = make_camera(any_ctx, f"YS-D-{level.value}", dept, level)
        assert _blocked(any_ctx, camera_id, Action.DECOMMISSION) == [
            "registry.req.decommission_reason"
        ]
        assert (
            _transition(any_ctx, camera_id, Action.DECOMMISSION, reason="노후 교체")
            == "decommissioned"
        )
        assert _blocked(any_ctx, camera_id, Action.CONSULT) == [
            "registry.req.not_from_decommissioned"
        ]


def test_exemption_must_name_existing_camera_with_shared_purpose(any_ctx: Gwanje) -> None:
    dept = departments(any_ctx)["SAFETY"]
    make_camera(any_ctx, "YS-E-1", dept, CameraStatus.LINKED, purposes=["parking"])
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        base = camera_values("YS-E-2", dept, CameraStatus.PLANNED)
        with pytest.raises(InvalidInput) as info:
            registry.create(
                CameraCreate.model_validate({**base, "exemption_camera_code": "YS-NOPE"})
            )
        assert info.value.key == "registry.error.exemption_unknown"
        with pytest.raises(InvalidInput) as info:
            registry.create(
                CameraCreate.model_validate({**base, "exemption_camera_code": "YS-E-1"})
            )
        assert info.value.key == "registry.error.exemption_purpose"
    exempt = make_camera(
        any_ctx,
        "YS-E-3",
        dept,
        purposes=["parking", "crime_prevention"],
        exemption_camera_code="YS-E-1",
    )
    assert _transition(any_ctx, exempt, Action.CONSULT) == "consulted"  # no consultation needed


def test_edit_that_breaks_current_status_is_refused(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-T-7", departments(any_ctx)["SAFETY"], CameraStatus.LINKED)
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        with pytest.raises(InvalidInput) as info:
            registry.update(camera_id, CameraUpdate(signage_installed_on=None))
    assert info.value.key == "registry.error.status_requirements"


def test_edit_is_audited_with_changed_field_names(any_ctx: Gwanje) -> None:
    camera_id = make_camera(any_ctx, "YS-T-8", departments(any_ctx)["SAFETY"])
    with any_ctx.transaction() as session:
        registry = Registry(session, any_ctx.settings, any_ctx.clock, system_principal("t"))
        _, changed = registry.update(camera_id, CameraUpdate(name="새 이름", purposes=["parking"]))
    assert changed == ["name", "purposes"]
    details = json.loads(audit_rows(any_ctx, "camera.updated")[-1].details)
    assert details["changed_fields"] == ["name", "purposes"]


def test_privacy_masks_validated(ctx: Gwanje) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        CameraUpdate(privacy_masks=[[(0.1, 0.1), (1.2, 0.1), (0.5, 0.5)]])
    with pytest.raises(ValueError, match="3 to 64 points"):
        CameraUpdate(privacy_masks=[[(0.1, 0.1), (0.2, 0.1)]])
    ok = CameraUpdate(privacy_masks=[[(0.1, 0.1), (0.2, 0.1), (0.2, 0.3)]])
    assert ok.privacy_masks is not None
