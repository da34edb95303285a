"""The PTZ policy (ORD-10.1, PIPA-3, PIPA-7) on both databases, steering the simulator's
PTZ camera through real ONVIF: inside the purpose area moves freely, outside is refused
without a lawful reason (and the refusal audited), with one it moves and the entry
carries the reason; continuous moves stop at the area's edge; idle cameras go home;
people without `ptz.control` over the camera are refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from ptz_kit import endpoint, entries, setup_camera
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.ptz.geometry import Position
from gwanje.ptz.inputs import MoveInput, PresetInput, RuleInput
from gwanje.ptz.jobs import return_idle_home
from gwanje.ptz.onvif import OnvifConnector
from gwanje.ptz.service import PtzControl, Refusal, ptz_transaction
from gwanje.ptz.setup import PtzSetup
from gwanje.registry.service import system_principal

OPERATOR = principal_for(Role.OPERATOR, username="op1")


def _move(
    ctx: Gwanje,
    connector: OnvifConnector,
    camera_id: int,
    principal=OPERATOR,  # type: ignore[no-untyped-def]
    **data: object,
) -> dict[str, object]:
    with ptz_transaction(ctx) as session:
        command = PtzControl(
            session, ctx.settings, ctx.clock, principal, connector, "10.0.0.7"
        ).move(camera_id, MoveInput.parse(data))
    command.send(ctx, connector)
    return command.details


@pytest.fixture
def camera(any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector) -> int:
    connector.device(endpoint(ptz_sim)).absolute_move(Position(0.0, 0.0, 0.0))
    camera_id, _ = setup_camera(any_ctx, ptz_sim)
    return camera_id


def test_inside_the_area_moves_and_is_audited(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    details = _move(any_ctx, connector, camera, mode="absolute", pan=0.4, tilt=-0.2, zoom=0.5)
    assert details["inside"] is True
    assert ptz_sim.ptz_position(1) == pytest.approx((0.4, -0.2, 0.5))
    _move(any_ctx, connector, camera, mode="relative", pan=-0.1, tilt=0.0, zoom=0.0)
    assert ptz_sim.ptz_position(1)[0] == pytest.approx(0.3)
    moved = entries(any_ctx, "ptz.moved")
    assert [m["mode"] for m in moved] == ["absolute", "relative"]
    assert moved[0]["actor"] == "op1"
    assert moved[0]["inside"] is True
    assert moved[0]["reason"] is None
    assert moved[0]["target"]["pan"] == 0.4
    assert moved[1]["target"]["pan"] == pytest.approx(0.3)  # the checked absolute target


def test_outside_without_a_reason_is_refused_and_audited(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    with pytest.raises(Refusal) as refused:
        _move(any_ctx, connector, camera, mode="absolute", pan=0.9, tilt=0.0, zoom=0.0)
    assert refused.value.key == "ptz.error.reason_required"
    with pytest.raises(Refusal):  # a relative move that would leave the area, too
        _move(any_ctx, connector, camera, mode="relative", pan=0.0, tilt=0.0, zoom=0.9)
    assert ptz_sim.ptz_position(1) == pytest.approx((0.0, 0.0, 0.0))  # never sent
    refusals = entries(any_ctx, "ptz.refused")
    assert [(r["why"], r["outcome"]) for r in refusals] == [("outside_area", "denied")] * 2
    assert refusals[0]["target"]["pan"] == 0.9
    assert entries(any_ctx, "ptz.moved") == []


def test_outside_with_a_lawful_reason_moves_and_the_entry_carries_it(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    with pytest.raises(InvalidInput):  # a ground the ordinance does not name
        MoveInput.parse(
            {"pan": 0.9, "tilt": 0, "zoom": 0, "reason": "curiosity", "reason_text": "just looking"}
        )
    with pytest.raises(InvalidInput):  # a lawful ground, but no explanation
        MoveInput.parse({"pan": 0.9, "tilt": 0, "zoom": 0, "reason": "crime_prevention"})
    details = _move(
        any_ctx,
        connector,
        camera,
        mode="absolute",
        pan=0.9,
        tilt=0.0,
        zoom=0.0,
        reason="crime_prevention",
        reason_text="112 신고: 폭행 현행범 추적",
    )
    assert details["inside"] is False
    assert details["reason"] == "crime_prevention"
    assert ptz_sim.ptz_position(1)[0] == pytest.approx(0.9)
    (entry,) = entries(any_ctx, "ptz.moved")
    assert entry["inside"] is False
    assert entry["reason"] == "crime_prevention"
    assert entry["reason_text"] == "112 신고: 폭행 현행범 추적"
    assert str(camera) in entry["camera_ids"]


def test_continuous_moves_stop_at_the_edge_of_the_area(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    _move(any_ctx, connector, camera, mode="absolute", pan=0.4, tilt=0.0, zoom=0.0)
    details = _move(
        any_ctx, connector, camera, mode="continuous", pan=1.0, tilt=0.0, zoom=0.0, timeout_s=5
    )
    assert details["bounded"] is True
    assert details["timeout_s"] == pytest.approx(0.2, abs=0.01)  # 0.1 units at 0.5 units/s
    time.sleep(0.5)
    pan = ptz_sim.ptz_position(1)[0]
    assert pan == pytest.approx(0.5, abs=0.02)
    assert pan <= 0.5 + 0.02
    # On the edge, pushing out: a stop, not a move.
    details = _move(any_ctx, connector, camera, mode="continuous", pan=1.0, tilt=0.0, zoom=0.0)
    assert details["timeout_s"] == 0.0
    time.sleep(0.2)
    assert ptz_sim.ptz_position(1)[0] == pytest.approx(pan, abs=0.001)


def test_presets_serve_the_cameras_purposes_and_stay_in_the_area(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    manager = system_principal("test")
    with any_ctx.transaction() as session, pytest.raises(InvalidInput) as wrong_purpose:
        PtzSetup(session, any_ctx.settings, any_ctx.clock, manager).save_preset(
            camera,
            PresetInput.parse(
                {"name": "주차장", "purpose": "parking", "pan": 0, "tilt": 0, "zoom": 0}
            ),
        )
    assert wrong_purpose.value.key == "ptz.error.purpose_not_camera"
    with any_ctx.transaction() as session, pytest.raises(InvalidInput):
        PtzSetup(session, any_ctx.settings, any_ctx.clock, manager).save_preset(
            camera,
            PresetInput.parse(
                {
                    "name": "담장 너머",
                    "purpose": "crime_prevention",
                    "pan": 0.9,
                    "tilt": 0,
                    "zoom": 0,
                }
            ),
        )
    with any_ctx.transaction() as session:
        preset = PtzSetup(session, any_ctx.settings, any_ctx.clock, manager).save_preset(
            camera,
            PresetInput.parse(
                {
                    "name": "정문",
                    "purpose": "crime_prevention",
                    "pan": -0.45,
                    "tilt": 0.25,
                    "zoom": 0.3,
                }
            ),
        )
        preset_id = preset.id
    with ptz_transaction(any_ctx) as session:
        command = PtzControl(
            session, any_ctx.settings, any_ctx.clock, OPERATOR, connector
        ).goto_preset(camera, preset_id, None)
    command.send(any_ctx, connector)
    assert ptz_sim.ptz_position(1) == pytest.approx((-0.45, 0.25, 0.3))
    assert entries(any_ctx, "ptz.moved")[-1]["preset"] == "정문"
    assert [e["name"] for e in entries(any_ctx, "ptz.preset_saved")] == ["교차로", "정문"]


def test_tracking_rules_carry_a_purpose(any_ctx: Gwanje, camera: int) -> None:
    manager = system_principal("test")
    with any_ctx.transaction() as session:
        setup = PtzSetup(session, any_ctx.settings, any_ctx.clock, manager)
        setup.save_rule(
            camera,
            RuleInput.parse(
                {"name": "차량 추적", "purpose": "traffic_info", "object_kind": "vehicle"}
            ),
        )
        with pytest.raises(InvalidInput) as person:  # ORD-27: people only for crime prevention
            setup.save_rule(
                camera,
                RuleInput.parse(
                    {"name": "보행자", "purpose": "traffic_info", "object_kind": "person"}
                ),
            )
        assert person.value.key == "ptz.error.person_tracking"
        with pytest.raises(InvalidInput):
            setup.save_rule(
                camera,
                RuleInput.parse({"name": "주차", "purpose": "parking", "object_kind": "vehicle"}),
            )
    (saved,) = entries(any_ctx, "ptz.tracking_rule_saved")
    assert (saved["purpose"], saved["object_kind"]) == ("traffic_info", "vehicle")


def test_an_idle_camera_returns_home(
    any_ctx: Gwanje,
    ptz_sim: CamsimHandle,
    connector: OnvifConnector,
    camera: int,
    clock: FakeClock,
) -> None:
    _move(any_ctx, connector, camera, mode="absolute", pan=0.3, tilt=0.1, zoom=0.2)
    clock.advance(timedelta(seconds=59))
    assert return_idle_home(any_ctx, connector) == []  # idle_return_s is 60
    assert ptz_sim.ptz_position(1) == pytest.approx((0.3, 0.1, 0.2))
    clock.advance(timedelta(seconds=2))
    assert return_idle_home(any_ctx, connector) == ["PTZ-001"]
    assert ptz_sim.ptz_position(1) == pytest.approx((0.0, 0.0, 0.0))
    (home,) = entries(any_ctx, "ptz.returned_home")
    assert home["preset"] == "교차로"
    assert home["actor"] == "ptz"
    assert home["idle_s"] == 60
    clock.advance(timedelta(hours=1))
    assert return_idle_home(any_ctx, connector) == []  # at home: nothing more to do


def test_people_without_ptz_control_over_the_camera_are_refused(
    any_ctx: Gwanje, ptz_sim: CamsimHandle, connector: OnvifConnector, camera: int
) -> None:
    traffic_manager = principal_for(Role.OPERATIONS_MANAGER, username="mgr")  # no ptz.control
    other_scope = principal_for(Role.OPERATOR, username="op2", camera_scope=frozenset({999}))
    for who in (traffic_manager, other_scope):
        with pytest.raises(Refusal) as refused:
            _move(any_ctx, connector, camera, who, mode="absolute", pan=0.1, tilt=0, zoom=0)
        assert refused.value.key == "ptz.error.not_allowed"
    assert ptz_sim.ptz_position(1) == pytest.approx((0.0, 0.0, 0.0))
    refusals = entries(any_ctx, "ptz.refused")
    assert [(r["actor"], r["why"]) for r in refusals] == [
        ("mgr", "not_allowed"),
        ("op2", "not_allowed"),
    ]
