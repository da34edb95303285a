"""The registry's service layer, shared by the web pages, the JSON API, the CLI and the
importer: validation, scope, lifecycle and audit in one place.

Invariants:
- every change and its audit event are written in the caller's one transaction;
- a principal only sees and changes cameras within `may_touch_camera` (department and
  camera scope); out-of-scope cameras answer "not found" and the attempt is audited by
  `registry_transaction` after the failed transaction rolls back;
- credentials are encrypted before they reach the session and are never put in an
  event, a log line or a `CameraPublic`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gwanje.audit import AuditEvent, Outcome, record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.people.models import Department
from gwanje.registry import events, lifecycle
from gwanje.registry.crypto import CredentialCipher, split_stream_url
from gwanje.registry.lifecycle import Action, RequirementsMissing, TransitionBlocked
from gwanje.registry.models import (
    BellCamera,
    Camera,
    CameraPurpose,
    CameraStatus,
    Contractor,
    EmergencyBell,
    MaintenanceRecord,
)
from gwanje.registry.purposes import Purpose
from gwanje.registry.schemas import (
    BellCreate,
    CameraCreate,
    CameraPublic,
    CameraUpdate,
    MaintenanceCreate,
    _CameraFields,
)
from gwanje.settings import Settings

# Schema fields copied to the model as they are.
PLAIN_FIELDS = tuple(
    name
    for name in _CameraFields.model_fields
    if name
    not in {
        "purposes",
        "exemption_camera_code",
        "main_stream_url",
        "sub_stream_url",
        "stream_username",
        "stream_password",
        "privacy_masks",
    }
)
REQUIRED_FIELDS = ("name", "district", "address", "department_id", "installer_body", "purposes")


class OutOfScope(NotFound):
    """A camera exists but is outside the principal's scope; answered as not found."""

    def __init__(self, event: AuditEvent) -> None:
        super().__init__("registry.error.not_found")
        self.event = event


@contextmanager
def registry_transaction(ctx: Gwanje) -> Iterator[Session]:
    """`ctx.transaction()`, plus: refusals that carry an audit event are recorded in a
    fresh transaction after the failed one rolled back (so denials are never lost)."""
    try:
        with ctx.transaction() as session:
            yield session
    except (OutOfScope, TransitionBlocked) as exc:
        event = getattr(exc, "event", None)
        if isinstance(event, AuditEvent):
            with ctx.transaction() as session:
                record(session, event, ctx.clock)
        raise


@dataclass
class CameraFilter:
    """Search and filter options of the camera list."""

    text: str | None = None
    district: str | None = None
    department_id: int | None = None
    purpose: Purpose | None = None
    status: CameraStatus | None = None
    flag: str | None = None
    limit: int = 500
    offset: int = 0


@dataclass
class Registry:
    """The registry as seen by one principal, inside one transaction."""

    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None
    _cipher: CredentialCipher | None = field(default=None, repr=False)

    # ---- helpers -------------------------------------------------------------------
    @property
    def cipher(self) -> CredentialCipher:
        if self._cipher is None:
            self._cipher = CredentialCipher(self.settings.secret())
        return self._cipher

    def today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.settings.registry.timezone)).date()

    def _audit(
        self, event_type: type[AuditEvent], camera_ids: tuple[int, ...], **details: Any
    ) -> None:
        event = event_type(
            actor=self.principal.actor,
            source_ip=self.source_ip,
            camera_ids=camera_ids,
            **details,
        )
        record(self.session, event, self.clock)

    def _require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise Forbidden("error.forbidden", permission=permission.value)

    def public(self, camera: Camera) -> CameraPublic:
        return CameraPublic.of(camera, lifecycle.flags(camera, self.today()))

    # ---- reading -------------------------------------------------------------------
    def get(self, camera_id: int, action: str = "read") -> Camera:
        """One camera in scope; out of scope reads as not found (and is audited)."""
        camera = self.session.get(Camera, camera_id)
        if camera is None:
            raise NotFound("registry.error.not_found")
        if not self.principal.may_touch_camera(camera.id, camera.department_id):
            denied = events.CameraAccessDenied(
                actor=self.principal.actor,
                source_ip=self.source_ip,
                outcome=Outcome.DENIED,
                camera_ids=(camera.id,),
                action=action,
            )
            raise OutOfScope(denied)
        return camera

    def by_code(self, code: str) -> Camera | None:
        return self.session.scalar(select(Camera).where(Camera.code == code))

    def search(self, flt: CameraFilter | None = None) -> list[Camera]:
        """Cameras in scope matching the filter, ordered by code."""
        flt = flt or CameraFilter()
        query = select(Camera).order_by(Camera.code)
        if self.principal.department_scope is not None:
            query = query.where(Camera.department_id.in_(self.principal.department_scope))
        if self.principal.camera_scope is not None:
            query = query.where(Camera.id.in_(self.principal.camera_scope))
        if flt.text:
            like = f"%{flt.text.strip()}%"
            query = query.where(
                or_(Camera.code.ilike(like), Camera.name.ilike(like), Camera.address.ilike(like))
            )
        if flt.district:
            query = query.where(Camera.district == flt.district)
        if flt.department_id is not None:
            query = query.where(Camera.department_id == flt.department_id)
        if flt.status is not None:
            query = query.where(Camera.status == flt.status.value)
        if flt.purpose is not None:
            has = select(CameraPurpose.camera_id).where(CameraPurpose.purpose == flt.purpose.value)
            query = query.where(Camera.id.in_(has))
        cameras = list(self.session.scalars(query).unique())
        if flt.flag:
            today = self.today()
            cameras = [c for c in cameras if flt.flag in lifecycle.flags(c, today)]
        return cameras[flt.offset : flt.offset + max(1, min(flt.limit, 5000))]

    def districts(self) -> list[str]:
        return sorted({c.district for c in self.search(CameraFilter(limit=5000))})

    def departments(self) -> list[Department]:
        query = select(Department).order_by(Department.code)
        if self.principal.department_scope is not None:
            query = query.where(Department.id.in_(self.principal.department_scope))
        return list(self.session.scalars(query))

    # ---- writing -------------------------------------------------------------------
    def create(self, data: CameraCreate, status: CameraStatus = CameraStatus.PLANNED) -> Camera:
        """Register a camera; `status` other than planned (import of an existing
        inventory) must meet every requirement up to that status."""
        self._require(Permission.CAMERA_WRITE)
        if self.by_code(data.code) is not None:
            raise InvalidInput("registry.error.code_taken", code=data.code)
        now = self.clock.now()
        camera = Camera(
            code=data.code,
            status=status.value,
            status_changed_at=now,
            created_at=now,
            updated_at=now,
            privacy_masks_json="[]",
        )
        self._apply(camera, data, data.model_fields_set | set(REQUIRED_FIELDS))
        self._check_department(camera.department_id)
        self.session.add(camera)
        self.session.flush()
        self._check_status(camera, status)
        self._audit(events.CameraCreated, (camera.id,), code=camera.code, status=camera.status)
        return camera

    def update(self, camera_id: int, data: CameraUpdate) -> tuple[Camera, list[str]]:
        """Edit the fields sent; returns the camera and the names of changed fields.
        An edit that would break the camera's current status is refused."""
        self._require(Permission.CAMERA_WRITE)
        camera = self.get(camera_id, action="update")
        for name in REQUIRED_FIELDS:
            if name in data.model_fields_set and getattr(data, name) is None:
                raise InvalidInput("registry.error.required", field=name)
        before = _snapshot(camera)
        self._apply(camera, data, data.model_fields_set)
        self._check_department(camera.department_id)
        self.session.flush()
        self._check_status(camera, CameraStatus(camera.status))
        changed = sorted(k for k, v in _snapshot(camera).items() if before.get(k) != v)
        if changed:
            camera.updated_at = self.clock.now()
            self._audit(
                events.CameraUpdated, (camera.id,), code=camera.code, changed_fields=changed
            )
        return camera, changed

    def _check_department(self, department_id: int) -> None:
        if self.session.get(Department, department_id) is None:
            raise InvalidInput("registry.error.department_unknown", department=department_id)
        scope = self.principal.department_scope
        if scope is not None and department_id not in scope:
            raise Forbidden("registry.error.department_scope")

    def _check_status(self, camera: Camera, status: CameraStatus) -> None:
        """Refuse records that do not meet what their status requires."""
        missing = lifecycle.missing_for(camera, status, self._exemption_ok(camera))
        if missing:
            raise RequirementsMissing(status.value, missing)

    def _apply(self, camera: Camera, data: _CameraFields, fields: set[str]) -> None:
        for name in PLAIN_FIELDS:
            if name in fields:
                value = getattr(data, name)
                setattr(camera, name, "" if value is None and name == "installer_reason" else value)
        if "purposes" in fields and data.purposes is not None:
            _set_purposes(camera, data.purposes)
        if "privacy_masks" in fields:
            camera.privacy_masks_json = json.dumps(data.privacy_masks or [])
        if "exemption_camera_code" in fields:
            camera.exemption_camera_id = self._exemption_id(camera, data.exemption_camera_code)
        self._apply_streams(camera, data, fields)

    def _exemption_id(self, camera: Camera, code: str | None) -> int | None:
        """ORD-8 exemption: the named camera must exist and share a purpose."""
        if not code:
            return None
        other = self.by_code(code)
        if other is None or other.code == camera.code:
            raise InvalidInput("registry.error.exemption_unknown", code=code)
        if other.status == CameraStatus.DECOMMISSIONED:
            raise InvalidInput("registry.error.exemption_decommissioned", code=code)
        if not set(other.purposes) & set(camera.purposes):
            raise InvalidInput("registry.error.exemption_purpose", code=code)
        return other.id

    def _exemption_ok(self, camera: Camera) -> bool:
        if camera.exemption_camera_id is None:
            return True
        other = self.session.get(Camera, camera.exemption_camera_id)
        return (
            other is not None
            and other.status != CameraStatus.DECOMMISSIONED
            and bool(set(other.purposes) & set(camera.purposes))
        )

    def _apply_streams(self, camera: Camera, data: _CameraFields, fields: set[str]) -> None:
        """Split credentials out of URLs and encrypt them (explicit fields win)."""
        user: str | None = None
        password: str | None = None
        for name in ("main_stream_url", "sub_stream_url"):
            if name not in fields:
                continue
            raw = getattr(data, name)
            if not raw:
                setattr(camera, name, None)
                continue
            split = split_stream_url(raw)
            setattr(camera, name, split.url)
            user = user or split.username
            password = password or split.password
        if "stream_username" in fields:
            user = data.stream_username.get_secret_value() if data.stream_username else None
            camera.stream_username_enc = self._seal(user, "stream_username")
        elif user is not None:
            camera.stream_username_enc = self._seal(user, "stream_username")
        if "stream_password" in fields:
            password = data.stream_password.get_secret_value() if data.stream_password else None
            camera.stream_password_enc = self._seal(password, "stream_password")
        elif password is not None:
            camera.stream_password_enc = self._seal(password, "stream_password")

    def _seal(self, value: str | None, name: str) -> str | None:
        return self.cipher.encrypt(value, name) if value else None

    def stream_credentials(self, camera_id: int) -> tuple[str | None, str | None]:
        """Decrypted (username, password) for the recorder; needs CAMERA_CREDENTIALS."""
        self._require(Permission.CAMERA_CREDENTIALS)
        camera = self.get(camera_id, action="credentials")
        user = camera.stream_username_enc
        password = camera.stream_password_enc
        return (
            self.cipher.decrypt(user, "stream_username") if user else None,
            self.cipher.decrypt(password, "stream_password") if password else None,
        )

    # ---- lifecycle -----------------------------------------------------------------
    def allowed_actions(self, camera: Camera) -> dict[Action, list[str]]:
        """Every action with what blocks it now (empty list: allowed). Reasons for
        unlink/decommission are asked at the time, so they are not counted here."""
        result: dict[Action, list[str]] = {}
        for action in Action:
            missing = lifecycle.action_missing(
                camera, action, self._exemption_ok(camera), "inefficiency", "-"
            )
            result[action] = missing
        return result

    def transition(
        self, camera_id: int, action: Action, reason: str | None = None, note: str | None = None
    ) -> Camera:
        """Move a camera through its lifecycle, or refuse listing all that is missing."""
        self._require(Permission.CAMERA_LIFECYCLE)
        camera = self.get(camera_id, action=f"transition:{action.value}")
        source = camera.status
        missing = lifecycle.action_missing(camera, action, self._exemption_ok(camera), reason, note)
        if missing:
            blocked = TransitionBlocked(action, missing)
            blocked.event = events.CameraTransitionRefused(  # type: ignore[attr-defined]
                actor=self.principal.actor,
                source_ip=self.source_ip,
                outcome=Outcome.DENIED,
                camera_ids=(camera.id,),
                code=camera.code,
                from_status=source,
                to_status=lifecycle.TARGET[action].value,
                missing=missing,
            )
            raise blocked
        self._do_transition(camera, action, reason, note)
        self._audit(
            events.CameraTransitioned,
            (camera.id,),
            code=camera.code,
            from_status=source,
            to_status=camera.status,
            reason=reason if action is Action.DECOMMISSION else None,
        )
        if action is Action.UNLINK:
            self._audit(events.CameraUnlinked, (camera.id,), code=camera.code, reason=reason or "")
        return camera

    def _do_transition(
        self, camera: Camera, action: Action, reason: str | None, note: str | None
    ) -> None:
        camera.status = lifecycle.TARGET[action].value
        camera.status_changed_at = camera.updated_at = self.clock.now()
        if action is Action.UNLINK:
            camera.unlinked_reason, camera.unlinked_note = reason, note
        elif action is Action.LINK:
            camera.unlinked_reason = camera.unlinked_note = None
        elif action is Action.DECOMMISSION:
            camera.decommission_reason = reason

    # ---- maintenance ---------------------------------------------------------------
    def add_maintenance(self, camera_id: int, data: MaintenanceCreate) -> MaintenanceRecord:
        self._require(Permission.CAMERA_WRITE)
        camera = self.get(camera_id, action="maintenance")
        contractor = self.contractor(
            data.contractor_name, data.contractor_registration, data.contractor_contact
        )
        item = MaintenanceRecord(
            camera_id=camera.id,
            performed_on=data.performed_on,
            contractor_id=contractor.id,
            kind=data.kind,
            notes=data.notes,
            created_at=self.clock.now(),
        )
        self.session.add(item)
        self.session.flush()
        self._audit(
            events.MaintenanceRecorded,
            (camera.id,),
            code=camera.code,
            kind=data.kind,
            contractor_registration=contractor.registration_number,
        )
        return item

    def contractor(self, name: str, registration: str, contact: str | None = None) -> Contractor:
        found = self.session.scalar(
            select(Contractor).where(Contractor.registration_number == registration)
        )
        if found is None:
            found = Contractor(name=name, registration_number=registration, contact=contact)
            self.session.add(found)
            self.session.flush()
        return found

    def maintenance(self, camera: Camera) -> list[MaintenanceRecord]:
        query = select(MaintenanceRecord).where(MaintenanceRecord.camera_id == camera.id)
        return list(self.session.scalars(query.order_by(MaintenanceRecord.performed_on.desc())))

    # ---- bells ---------------------------------------------------------------------
    def bells(self, camera: Camera | None = None) -> list[EmergencyBell]:
        query = select(EmergencyBell).order_by(EmergencyBell.code)
        if camera is not None:
            linked = select(BellCamera.bell_id).where(BellCamera.camera_id == camera.id)
            query = query.where(EmergencyBell.id.in_(linked))
        bells = list(self.session.scalars(query))
        scoped = (
            self.principal.department_scope is not None or self.principal.camera_scope is not None
        )
        if not scoped:
            return bells
        # A scoped principal sees bells of its cameras, and bells not tied to any camera.
        visible = {c.id for c in self.search(CameraFilter(limit=5000))}
        return [b for b in bells if not b.camera_ids or set(b.camera_ids) & visible]

    def save_bell(self, data: BellCreate, bell_id: int | None = None) -> EmergencyBell:
        """Create or edit a bell; every linked camera must exist and be in scope."""
        self._require(Permission.BELL_WRITE)
        for camera_id in data.camera_ids:
            self.get(camera_id, action="bell")
        now = self.clock.now()
        bell = self._bell_for(data, bell_id, now)
        before = _bell_snapshot(bell)
        for name in ("code", "location", "latitude", "longitude", "gateway", "protocol"):
            setattr(bell, name, getattr(data, name))
        bell.status = data.status.value
        bell.camera_links = [BellCamera(camera_id=c) for c in sorted(set(data.camera_ids))]
        bell.updated_at = now
        self.session.flush()
        changed = sorted(k for k, v in _bell_snapshot(bell).items() if before.get(k) != v)
        self._audit(
            events.BellSaved,
            tuple(bell.camera_ids),
            code=bell.code,
            created=bell_id is None,
            changed_fields=changed,
        )
        return bell

    def _bell_for(self, data: BellCreate, bell_id: int | None, now: Any) -> EmergencyBell:
        same_code = self.session.scalar(
            select(EmergencyBell).where(EmergencyBell.code == data.code)
        )
        if bell_id is None:
            if same_code is not None:
                raise InvalidInput("registry.error.code_taken", code=data.code)
            fresh = EmergencyBell(created_at=now, updated_at=now, code=data.code)
            self.session.add(fresh)
            return fresh
        found = self.session.get(EmergencyBell, bell_id)
        if found is None:
            raise NotFound("registry.error.not_found")
        if same_code is not None and same_code.id != found.id:
            raise InvalidInput("registry.error.code_taken", code=data.code)
        return found


def _set_purposes(camera: Camera, purposes: list[Purpose]) -> None:
    wanted = {p.value for p in purposes}
    camera.purpose_rows = [r for r in camera.purpose_rows if r.purpose in wanted] + [
        CameraPurpose(purpose=p) for p in sorted(wanted - {r.purpose for r in camera.purpose_rows})
    ]


def _snapshot(camera: Camera) -> dict[str, Any]:
    """Field values to diff; credentials appear only as a fingerprint-free marker."""
    values: dict[str, Any] = {name: getattr(camera, name) for name in PLAIN_FIELDS}
    values["purposes"] = sorted(r.purpose for r in camera.purpose_rows)
    values["privacy_masks"] = camera.privacy_masks_json
    values["exemption_camera"] = camera.exemption_camera_id
    values["main_stream_url"] = camera.main_stream_url
    values["sub_stream_url"] = camera.sub_stream_url
    # Ciphertexts differ on every write (random nonce); only their presence is compared
    # unless the value was re-sealed, which `_apply_streams` only does when sent.
    values["stream_username"] = camera.stream_username_enc
    values["stream_password"] = camera.stream_password_enc
    return values


def _bell_snapshot(bell: EmergencyBell) -> dict[str, Any]:
    names = ("code", "location", "latitude", "longitude", "gateway", "protocol", "status")
    values: dict[str, Any] = {n: getattr(bell, n) for n in names}
    values["camera_ids"] = bell.camera_ids
    return values


def system_principal(name: str = "cli") -> Principal:
    """The principal of local administrative commands (CLI, demo seed): full scope."""
    return Principal(
        person_id=None,
        username=name,
        display_name=name,
        roles=frozenset(),
        permissions=frozenset(Permission),
        kind="system",
    )
