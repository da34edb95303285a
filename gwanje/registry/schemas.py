"""Create / Update / Public shapes of registry records.

Invariants: `CameraPublic` has no credential field at all (only `has_credentials`), so
no API or page built from it can leak one; inputs refuse unknown fields, purposes off
the ORD-7 list, coordinates out of range and privacy masks outside 0..1.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from gwanje.registry.models import BellStatus, Camera, EmergencyBell, UnlinkedReason
from gwanje.registry.purposes import Purpose, parse_purposes

Text128 = Annotated[str, Field(min_length=1, max_length=128)]
OptText = Annotated[str | None, Field(default=None, max_length=256)]
Point = tuple[float, float]
Polygon = list[Point]

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$"


def _check_masks(value: list[Polygon]) -> list[Polygon]:
    """Each polygon has 3..64 points, every coordinate within 0..1 (normalized)."""
    for polygon in value:
        if not 3 <= len(polygon) <= 64:
            raise ValueError("a privacy mask polygon needs 3 to 64 points")
        for x, y in polygon:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError("privacy mask coordinates must be within 0..1")
    if len(value) > 32:
        raise ValueError("at most 32 privacy masks per camera")
    return value


class _CameraFields(BaseModel):
    """Fields shared by create and update (all optional here; create tightens)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text128 | None = None
    district: Annotated[str | None, Field(default=None, min_length=1, max_length=32)] = None
    address: Annotated[str | None, Field(default=None, min_length=1, max_length=256)] = None
    latitude: Annotated[float | None, Field(default=None, ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(default=None, ge=-180, le=180)] = None
    department_id: int | None = None
    installer_body: Text128 | None = None
    installer_reason: str | None = None
    purposes: list[Purpose] | None = None
    std_standard_product: bool | None = None
    std_multi_purpose: bool | None = None
    std_integrable: bool | None = None
    install_contractor: OptText = None
    install_contractor_reg_no: Annotated[str | None, Field(default=None, max_length=64)] = None
    consultation_date: date | None = None
    consultation_experts: str | None = None
    consultation_residents: str | None = None
    exemption_camera_code: Annotated[str | None, Field(default=None, max_length=32)] = None
    signage_installed_on: date | None = None
    signage_purpose: OptText = None
    signage_location: OptText = None
    signage_range: OptText = None
    signage_hours: OptText = None
    signage_manager_name: OptText = None
    signage_manager_contact: OptText = None
    signage_contractor_name: OptText = None
    signage_contractor_contact: OptText = None
    main_stream_url: Annotated[str | None, Field(default=None, max_length=512)] = None
    sub_stream_url: Annotated[str | None, Field(default=None, max_length=512)] = None
    stream_username: SecretStr | None = None
    stream_password: SecretStr | None = None
    onvif_url: Annotated[str | None, Field(default=None, max_length=512)] = None
    model: OptText = None
    firmware_version: Annotated[str | None, Field(default=None, max_length=64)] = None
    kc_cert_no: Annotated[str | None, Field(default=None, max_length=64)] = None
    security_cert_no: Annotated[str | None, Field(default=None, max_length=64)] = None
    installed_on: date | None = None
    end_of_life_on: date | None = None
    privacy_masks: list[Polygon] | None = None

    @field_validator("purposes", mode="before")
    @classmethod
    def _purposes(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = value.replace(";", ",").split(",")
        try:
            return parse_purposes(str(v) for v in value)
        except Exception as exc:  # the i18n error becomes a field error here
            raise ValueError(str(exc)) from exc

    @field_validator("privacy_masks")
    @classmethod
    def _masks(cls, value: list[Polygon] | None) -> list[Polygon] | None:
        return None if value is None else _check_masks(value)


class CameraCreate(_CameraFields):
    """A new camera. Required: code, name, district, address, department, installer,
    purposes (ORD-3, ORD-7)."""

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    name: Text128
    district: Annotated[str, Field(min_length=1, max_length=32)]
    address: Annotated[str, Field(min_length=1, max_length=256)]
    department_id: int
    installer_body: Text128
    purposes: list[Purpose]


class CameraUpdate(_CameraFields):
    """An edit: only the fields sent are changed; sending null clears a field."""


class CameraPublic(BaseModel):
    """What any reader may see. Deliberately has no credential fields."""

    id: int
    code: str
    name: str
    district: str
    address: str
    latitude: float | None
    longitude: float | None
    department_id: int
    department_code: str
    installer_body: str
    installer_reason: str
    status: str
    purposes: list[Purpose]
    std_standard_product: bool
    std_multi_purpose: bool
    std_integrable: bool
    install_contractor: str | None
    install_contractor_reg_no: str | None
    consultation_date: date | None
    consultation_experts: str | None
    consultation_residents: str | None
    exemption_camera_id: int | None
    signage_installed_on: date | None
    signage_purpose: str | None
    signage_location: str | None
    signage_range: str | None
    signage_hours: str | None
    signage_manager_name: str | None
    signage_manager_contact: str | None
    signage_contractor_name: str | None
    signage_contractor_contact: str | None
    unlinked_reason: str | None
    unlinked_note: str | None
    main_stream_url: str | None
    sub_stream_url: str | None
    has_credentials: bool
    onvif_url: str | None
    model: str | None
    firmware_version: str | None
    kc_cert_no: str | None
    security_cert_no: str | None
    installed_on: date | None
    end_of_life_on: date | None
    privacy_masks: list[list[list[float]]]
    decommission_reason: str | None
    flags: list[str]
    updated_at: datetime

    @classmethod
    def of(cls, camera: Camera, flags: list[str]) -> CameraPublic:
        values = {name: getattr(camera, name) for name in cls.model_fields if hasattr(camera, name)}
        values.pop("flags", None)
        return cls(
            **values,
            department_code=camera.department.code,
            has_credentials=camera.stream_password_enc is not None
            or camera.stream_username_enc is not None,
            flags=flags,
        )


class UnlinkInput(BaseModel):
    """ORD-15: the reason an installed camera stays unlinked."""

    model_config = ConfigDict(extra="forbid")
    reason: UnlinkedReason
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class TransitionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str
    reason: str | None = None
    note: str | None = None


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    performed_on: date
    contractor_name: Text128
    contractor_registration: Annotated[str, Field(min_length=1, max_length=64)]
    contractor_contact: Annotated[str | None, Field(default=None, max_length=128)] = None
    kind: Annotated[str, Field(pattern="^(inspection|repair|replacement|firmware|cleaning|other)$")]
    notes: str = ""


class BellCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    location: Annotated[str, Field(min_length=1, max_length=256)]
    latitude: Annotated[float | None, Field(default=None, ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(default=None, ge=-180, le=180)] = None
    gateway: Annotated[str | None, Field(default=None, max_length=128)] = None
    protocol: Annotated[str | None, Field(default=None, max_length=32)] = None
    status: BellStatus = BellStatus.ACTIVE
    camera_ids: list[int] = []


class BellPublic(BaseModel):
    id: int
    code: str
    location: str
    latitude: float | None
    longitude: float | None
    gateway: str | None
    protocol: str | None
    status: str
    camera_ids: list[int]

    @classmethod
    def of(cls, bell: EmergencyBell) -> BellPublic:
        return cls(
            id=bell.id,
            code=bell.code,
            location=bell.location,
            latitude=bell.latitude,
            longitude=bell.longitude,
            gateway=bell.gateway,
            protocol=bell.protocol,
            status=bell.status,
            camera_ids=bell.camera_ids,
        )
