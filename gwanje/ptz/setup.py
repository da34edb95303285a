"""Setting PTZ up: a camera's configuration and area, its purpose presets, its
auto-tracking rules. Holders of `camera.write` over the camera (general and operations
managers) do this; credentials also need `camera.credentials`.

Invariants:
- ONVIF credentials are encrypted before they reach the session (AES-GCM, field name
  bound as associated data) and never returned or audited, only "changed: yes/no";
- a preset serves one of the camera's own purposes (ORD-7) and lies inside the area;
  at most one preset is home;
- a tracking rule serves one of the camera's own purposes, and following people is
  allowed only for crime prevention (ORD-27: no watching a person without a legal basis);
  a tracker has no way to give a reason, so it can never leave the purpose area;
- every change is audited in its own transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.ptz.device import PtzConnector
from gwanje.ptz.events import (
    PtzConfigured,
    PtzPresetRemoved,
    PtzPresetSaved,
    PtzTrackingRuleSaved,
)
from gwanje.ptz.inputs import ConfigInput, PresetInput, RuleInput
from gwanje.ptz.models import PtzCamera, PtzPreset, PtzTrackingRule
from gwanje.ptz.service import area_of, endpoint_of
from gwanje.registry.crypto import CredentialCipher
from gwanje.registry.models import Camera
from gwanje.registry.purposes import Purpose
from gwanje.settings import Settings


class PtzSetup:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        clock: Clock,
        principal: Principal,
        source_ip: str | None = None,
    ) -> None:
        self.session, self.settings, self.clock = session, settings, clock
        self.principal, self.source_ip = principal, source_ip

    def _camera(self, camera_id: int, permission: Permission = Permission.CAMERA_WRITE) -> Camera:
        camera = self.session.get(Camera, camera_id)
        if camera is None:
            raise NotFound("ptz.error.camera_not_found")
        if not self.principal.may_use_on_camera(permission, camera.id, camera.department_id):
            raise Forbidden("ptz.error.setup_not_allowed", camera=camera.code)
        return camera

    def _config(self, camera: Camera) -> PtzCamera:
        config = self.session.get(PtzCamera, camera.id)
        if config is None:
            raise NotFound("ptz.error.not_configured", camera=camera.code)
        return config

    def _audit(self, camera: Camera, event_type: type[Any], **fields: Any) -> None:
        record(
            self.session,
            event_type(
                actor=self.principal.actor,
                source_ip=self.source_ip,
                camera_ids=(camera.id,),
                code=camera.code,
                **fields,
            ),
            self.clock,
        )

    def configure(self, camera_id: int, data: ConfigInput) -> PtzCamera:
        camera = self._camera(camera_id)
        if not camera.onvif_url:
            raise InvalidInput("ptz.error.no_endpoint", camera=camera.code)
        changes_credentials = data.username is not None or data.password is not None
        if changes_credentials:
            self._camera(camera_id, Permission.CAMERA_CREDENTIALS)
        now = self.clock.now()
        config = self.session.get(PtzCamera, camera.id)
        if config is None:
            config = PtzCamera(camera_id=camera.id, created_at=now, away_from_home=False)
            self.session.add(config)
        area = data.area
        config.profile_token, config.idle_return_s = data.profile_token, data.idle_return_s
        config.pan_min, config.pan_max = area.pan_min, area.pan_max
        config.tilt_min, config.tilt_max = area.tilt_min, area.tilt_max
        config.zoom_min, config.zoom_max = area.zoom_min, area.zoom_max
        config.speed_pan, config.speed_tilt, config.speed_zoom = (
            data.speed.pan,
            data.speed.tilt,
            data.speed.zoom,
        )
        if changes_credentials:
            cipher = CredentialCipher(self.settings.secret())
            config.onvif_username_enc = (
                cipher.encrypt(data.username, "onvif_username") if data.username else None
            )
            config.onvif_password_enc = (
                cipher.encrypt(data.password, "onvif_password") if data.password else None
            )
        config.updated_at = now
        self.session.flush()
        self._audit(
            camera,
            PtzConfigured,
            area=area.as_json(),
            idle_return_s=data.idle_return_s,
            credentials_changed=changes_credentials,
        )
        return config

    def save_preset(
        self, camera_id: int, data: PresetInput, connector: PtzConnector | None = None
    ) -> PtzPreset:
        """Save (or replace) a purpose preset; without a position, where it points now."""
        camera = self._camera(camera_id)
        config = self._config(camera)
        if data.purpose not in camera.purposes:
            raise InvalidInput("ptz.error.purpose_not_camera", purpose=data.purpose.value)
        at = data.position
        if at is None:
            if connector is None:
                raise InvalidInput("ptz.error.invalid", detail="pan, tilt, zoom")
            at = connector.device(endpoint_of(camera, config, self.settings)).status().position
        if not area_of(config).inside(at):  # a purpose preset lies in the purpose area
            raise InvalidInput("ptz.error.preset_outside_area")
        preset = self.session.scalar(
            select(PtzPreset).where(PtzPreset.camera_id == camera.id, PtzPreset.name == data.name)
        )
        if data.is_home:
            self.session.execute(
                update(PtzPreset).where(PtzPreset.camera_id == camera.id).values(is_home=False)
            )
        if preset is None:
            preset = PtzPreset(
                camera_id=camera.id,
                name=data.name,
                created_at=self.clock.now(),
                created_by=self.principal.person_id,
            )
            self.session.add(preset)
        preset.purpose, preset.is_home = data.purpose.value, data.is_home
        preset.pan, preset.tilt, preset.zoom = at.pan, at.tilt, at.zoom
        self.session.flush()
        self._audit(
            camera,
            PtzPresetSaved,
            name=data.name,
            purpose=data.purpose.value,
            position=at.as_json(),
            is_home=data.is_home,
        )
        return preset

    def remove_preset(self, camera_id: int, preset_id: int) -> None:
        camera = self._camera(camera_id)
        preset = self.session.get(PtzPreset, preset_id)
        if preset is None or preset.camera_id != camera.id:
            raise NotFound("ptz.error.preset_not_found")
        self.session.delete(preset)
        self._audit(camera, PtzPresetRemoved, name=preset.name)

    def save_rule(self, camera_id: int, data: RuleInput) -> PtzTrackingRule:
        camera = self._camera(camera_id)
        self._config(camera)
        if data.purpose not in camera.purposes:
            raise InvalidInput("ptz.error.purpose_not_camera", purpose=data.purpose.value)
        if data.object_kind == "person" and data.purpose != Purpose.CRIME_PREVENTION:
            raise InvalidInput("ptz.error.person_tracking")  # ORD-27
        rule = self.session.scalar(
            select(PtzTrackingRule).where(
                PtzTrackingRule.camera_id == camera.id, PtzTrackingRule.name == data.name
            )
        )
        if rule is None:
            rule = PtzTrackingRule(
                camera_id=camera.id,
                name=data.name,
                created_at=self.clock.now(),
                created_by=self.principal.person_id,
            )
            self.session.add(rule)
        rule.purpose, rule.object_kind, rule.enabled = (
            data.purpose.value,
            data.object_kind,
            data.enabled,
        )
        self.session.flush()
        self._audit(
            camera,
            PtzTrackingRuleSaved,
            name=data.name,
            purpose=data.purpose.value,
            object_kind=data.object_kind,
            enabled=data.enabled,
        )
        return rule

    def rules(self, camera_id: int) -> list[PtzTrackingRule]:
        camera = self._camera(camera_id, Permission.CAMERA_READ)
        return list(
            self.session.scalars(
                select(PtzTrackingRule)
                .where(PtzTrackingRule.camera_id == camera.id)
                .order_by(PtzTrackingRule.name)
            )
        )


