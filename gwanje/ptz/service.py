"""The PTZ policy: every PTZ command passes here (ORD-10.1, PIPA-3, PIPA-7).

Owns: `PtzControl` (moves, stop, presets, status, for holders of `ptz.control`),
`PtzSetup` (configuration, presets, tracking rules, for holders of `camera.write`),
`Command` and `ptz_transaction`.

Invariants:
- a command is allowed only to a holder of `ptz.control` over that very camera (role,
  department and camera scope), on a linked camera with a PTZ configuration (a camera
  without one is "not found"); anything else is refused and the refusal audited
  (`ptz.refused`, written after the refused transaction rolled back, so never lost);
- a target inside the purpose area moves freely; outside it, the command is refused
  unless it carries a lawful reason (crime prevention or another law) with text; relative
  moves are turned into absolute moves to the checked target, so the device cannot end
  up anywhere the policy did not see;
- a continuous move that starts inside the area runs at most until it would reach the
  area's edge (`geometry.continuous_budget`), unless a reason was given;
- the audit entry (`ptz.moved`, with the reason) commits before the command is sent, so
  no command reaches a camera unrecorded; a command the camera fails is `ptz.failed`;
- presets lie inside the area and serve one of the camera's own purposes; going to one
  is checked like any other target (the area may have shrunk since it was saved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor, AuditEvent
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.ptz.device import Endpoint, PtzConnector, PtzDevice
from gwanje.ptz.events import PtzFailed, PtzMoved, PtzRefused
from gwanje.ptz.geometry import Area, Position, continuous_budget
from gwanje.ptz.inputs import LawfulReason, MoveInput
from gwanje.ptz.models import PtzCamera, PtzPreset
from gwanje.registry.crypto import CredentialCipher
from gwanje.registry.models import Camera, CameraStatus
from gwanje.settings import Settings

MIN_CONTINUOUS_S = 0.05  # a bounded continuous move shorter than this is sent as a stop


class Refusal(Forbidden):
    """A refused PTZ command; `event` is its audit entry (see `ptz_transaction`)."""

    def __init__(self, event: AuditEvent, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.event = event


@contextmanager
def ptz_transaction(ctx: Gwanje) -> Iterator[Session]:
    """`ctx.transaction()`, plus: a refusal's audit entry is recorded in a fresh
    transaction once the refused one rolled back."""
    try:
        with ctx.transaction() as session:
            yield session
    except Refusal as exc:
        with ctx.transaction() as session:
            record(session, exc.event, ctx.clock)
        raise


@dataclass(frozen=True)
class Command:
    """A command the policy let through and recorded; `send` carries it out."""

    camera_id: int
    code: str
    mode: str
    endpoint: Endpoint
    action: Callable[[PtzDevice], None]
    actor: Actor
    source_ip: str | None
    details: dict[str, Any]  # what the API answers (target, inside, timeout ...)

    def send(self, ctx: Gwanje, connector: PtzConnector) -> None:
        """Send to the camera; a failure is recorded (`ptz.failed`) and re-raised."""
        from gwanje.ptz.device import DeviceFailed

        try:
            self.action(connector.device(self.endpoint))
        except DeviceFailed as exc:
            with ctx.transaction() as session:
                record(
                    session,
                    PtzFailed(
                        actor=self.actor,
                        source_ip=self.source_ip,
                        outcome=Outcome.FAILED,
                        camera_ids=(self.camera_id,),
                        code=self.code,
                        mode=self.mode,
                        error=exc.key,
                    ),
                    ctx.clock,
                )
            raise


def area_of(config: PtzCamera) -> Area:
    return Area(
        config.pan_min,
        config.pan_max,
        config.tilt_min,
        config.tilt_max,
        config.zoom_min,
        config.zoom_max,
    )


def endpoint_of(camera: Camera, config: PtzCamera, settings: Settings) -> Endpoint:
    if not camera.onvif_url:
        raise InvalidInput("ptz.error.no_endpoint", camera=camera.code)
    cipher = CredentialCipher(settings.secret())
    user = config.onvif_username_enc
    password = config.onvif_password_enc
    return Endpoint(
        camera.onvif_url,
        cipher.decrypt(user, "onvif_username") if user else None,
        cipher.decrypt(password, "onvif_password") if password else None,
        config.profile_token,
    )


class PtzControl:
    """PTZ commands of one principal in one transaction."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        clock: Clock,
        principal: Principal,
        connector: PtzConnector,
        source_ip: str | None = None,
    ) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.principal, self.connector, self.source_ip = principal, connector, source_ip

    # -- lookups ---------------------------------------------------------------------------

    def camera(
        self, camera_id: int, mode: str = "status", target: Position | None = None
    ) -> tuple[Camera, PtzCamera]:
        """The camera and its PTZ configuration, if this principal may steer it."""
        camera = self.session.get(Camera, camera_id)
        config = self.session.get(PtzCamera, camera_id)
        if camera is None or config is None:
            raise NotFound("ptz.error.not_ptz", camera=str(camera_id))
        allowed = camera.status == CameraStatus.LINKED and self.principal.may_use_on_camera(
            Permission.PTZ_CONTROL, camera.id, camera.department_id
        )
        if not allowed:
            raise self._refusal(
                camera_id, camera.code, mode, target, "not_allowed", "ptz.error.not_allowed"
            )
        return camera, config

    def _refusal(
        self, camera_id: int, code: str, mode: str, target: Position | None, why: str, key: str
    ) -> Refusal:
        event = PtzRefused(
            actor=self.principal.actor,
            source_ip=self.source_ip,
            outcome=Outcome.DENIED,
            camera_ids=(camera_id,) if code else (),
            code=code,
            mode=mode,
            target=target.as_json() if target else {},
            why=why,
        )
        return Refusal(event, key, camera=code or str(camera_id))

    def device(self, camera: Camera, config: PtzCamera) -> PtzDevice:
        return self.connector.device(endpoint_of(camera, config, self.settings))

    # -- commands ----------------------------------------------------------------------------

    def move(self, camera_id: int, data: MoveInput) -> Command:
        camera, config = self.camera(camera_id, data.mode, data.vector)
        if data.mode == "continuous":
            return self._continuous(camera, config, data)
        target = data.vector.clamped()
        if data.mode == "relative":
            here = self.device(camera, config).status().position
            target = here.plus(data.vector).clamped()
        inside = self._check_target(camera, config, data.mode, target, data.reason)
        return self._command(
            camera,
            config,
            "absolute" if data.mode == "absolute" else "relative",
            target,
            inside,
            data,
            lambda d: d.absolute_move(target),
        )

    def _check_target(
        self,
        camera: Camera,
        config: PtzCamera,
        mode: str,
        target: Position,
        reason: LawfulReason | None,
    ) -> bool:
        """Whether `target` is inside the area; outside without a reason is refused."""
        inside = area_of(config).inside(target)
        if not inside and reason is None:  # ORD-10.1, PIPA-7: not without a lawful reason
            raise self._refusal(
                camera.id, camera.code, mode, target, "outside_area", "ptz.error.reason_required"
            )
        return inside

    def _continuous(self, camera: Camera, config: PtzCamera, data: MoveInput) -> Command:
        velocity = Position(
            *(max(-1.0, min(1.0, v)) for v in (data.vector.pan, data.vector.tilt, data.vector.zoom))
        )
        here = self.device(camera, config).status().position
        limit = min(
            data.timeout_s or self.settings.ptz.max_continuous_s, self.settings.ptz.max_continuous_s
        )
        inside = area_of(config).inside(here)
        if not inside and data.reason is None:  # already outside: only with a reason
            raise self._refusal(
                camera.id,
                camera.code,
                "continuous",
                velocity,
                "outside_area",
                "ptz.error.reason_required",
            )
        speed = Position(config.speed_pan, config.speed_tilt, config.speed_zoom)
        budget = continuous_budget(area_of(config), here, velocity, speed) if inside else 0.0
        stays = inside and budget >= limit
        bounded = not stays and data.reason is None  # stop on the edge (ORD-10.1)
        seconds = budget if bounded else limit
        if seconds < MIN_CONTINUOUS_S:  # on the edge, pushing out: a stop, never PT0S
            return self._command(
                camera,
                config,
                "continuous",
                velocity,
                True,
                data,
                lambda d: d.stop(),
                timeout_s=0.0,
                bounded=True,
            )
        return self._command(
            camera,
            config,
            "continuous",
            velocity,
            stays or bounded,
            data,
            lambda d: d.continuous_move(velocity, seconds),
            timeout_s=round(seconds, 3),
            bounded=bounded,
        )

    def stop(self, camera_id: int) -> Command:
        camera, config = self.camera(camera_id, "stop")
        return self._command(camera, config, "stop", None, True, None, lambda d: d.stop())

    def goto_preset(self, camera_id: int, preset_id: int, data: MoveInput | None) -> Command:
        camera, config = self.camera(camera_id, "preset")
        preset = self.session.get(PtzPreset, preset_id)
        if preset is None or preset.camera_id != camera.id:
            raise NotFound("ptz.error.preset_not_found")
        target = Position(preset.pan, preset.tilt, preset.zoom)
        reason = data.reason if data else None
        inside = self._check_target(camera, config, "preset", target, reason)
        return self._command(
            camera,
            config,
            "preset",
            target,
            inside,
            data,
            lambda d: d.absolute_move(target),
            preset=preset.name,
        )

    def _command(
        self,
        camera: Camera,
        config: PtzCamera,
        mode: str,
        target: Position | None,
        inside: bool,
        data: MoveInput | None,
        action: Callable[[PtzDevice], None],
        timeout_s: float | None = None,
        bounded: bool = False,
        preset: str | None = None,
    ) -> Command:
        """Record the command (with its reason when outside) and hand it back to send."""
        reason = data.reason if data is not None and not inside else None
        reason_text = data.reason_text if reason is not None and data is not None else None
        now = self.clock.now()
        record(
            self.session,
            PtzMoved(
                actor=self.principal.actor,
                source_ip=self.source_ip,
                camera_ids=(camera.id,),
                range_start=now,
                code=camera.code,
                mode=mode,
                target=target.as_json() if target else {},
                inside=inside,
                preset=preset,
                reason=reason.value if reason else None,
                reason_text=reason_text,
                timeout_s=timeout_s,
            ),
            self.clock,
        )
        config.last_command_at = now
        config.away_from_home = True
        details = {
            "mode": mode,
            "inside": inside,
            "bounded": bounded,
            "timeout_s": timeout_s,
            "target": target.as_json() if target else None,
            "reason": reason.value if reason else None,
        }
        return Command(
            camera.id,
            camera.code,
            mode,
            endpoint_of(camera, config, self.settings),
            action,
            self.principal.actor,
            self.source_ip,
            details,
        )

    # -- reading ------------------------------------------------------------------------------

    def status(self, camera_id: int) -> tuple[dict[str, Any], Endpoint]:
        """Configuration and presets, and the endpoint to ask where it points now."""
        camera, config = self.camera(camera_id)
        area = area_of(config)
        presets = self.session.scalars(
            select(PtzPreset).where(PtzPreset.camera_id == camera.id).order_by(PtzPreset.name)
        ).all()
        data: dict[str, Any] = {
            "camera_id": camera.id,
            "code": camera.code,
            "area": area.as_json(),
            "purposes": [p.value for p in camera.purposes],
            "reasons": [r.value for r in LawfulReason],
            "idle_return_s": config.idle_return_s,
            "away_from_home": config.away_from_home,
            "presets": [_preset_json(p, area) for p in presets],
        }
        return data, endpoint_of(camera, config, self.settings)


def _preset_json(preset: PtzPreset, area: Area) -> dict[str, Any]:
    at = Position(preset.pan, preset.tilt, preset.zoom)
    return {
        "id": preset.id,
        "name": preset.name,
        "purpose": preset.purpose,
        "position": at.as_json(),
        "is_home": preset.is_home,
        "inside": area.inside(at),
    }
