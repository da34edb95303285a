"""Schema of the camera registry (CCTV 대장): cameras, their purposes, contractors,
maintenance history and emergency bells (비상벨).

Invariants:
- a camera's purposes come only from the closed ORD-7 list (CHECK constraint here,
  validation in `purposes.py` and the schemas);
- a camera's lifecycle status is one of `CameraStatus` (CHECK constraint) and changes
  only through `lifecycle.py`, which enforces each step's preconditions;
- stream credentials are stored only as AES-GCM ciphertext (`crypto.py`); no column
  ever holds a plaintext camera username or password, and stream URLs are stored with
  any embedded credentials removed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gwanje.db.base import Base, UTCDateTime, one_of
from gwanje.people.models import Department
from gwanje.registry.purposes import Purpose


class CameraStatus(StrEnum):
    """Lifecycle of a camera (see lifecycle.py for the checks of each step)."""

    PLANNED = "planned"  # 설치 계획
    CONSULTED = "consulted"  # 의견수렴 완료 (ORD-8)
    INSTALLED = "installed"  # 설치 완료 (ORD-6)
    LINKED = "linked"  # 관제센터 연계 (ORD-15)
    DECOMMISSIONED = "decommissioned"  # 철거·폐기


class UnlinkedReason(StrEnum):
    """The only lawful reasons a camera may stay unlinked from the center (ORD-15)."""

    INEFFICIENCY = "inefficiency"  # 연계 비효율
    NATIONAL_SECURITY = "national_security"  # 국가안보


class BellStatus(StrEnum):
    ACTIVE = "active"
    FAULTY = "faulty"
    REMOVED = "removed"


class Camera(Base):
    """One city camera and everything the ordinance requires us to know about it."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Management number (관리번호), unique city-wide, e.g. "YS-CAM-0001".
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Display name, e.g. "중앙동 이순신광장 1".
    name: Mapped[str] = mapped_column(String(128))
    # Administrative district (읍면동) the camera stands in.
    district: Mapped[str] = mapped_column(String(32), index=True)
    # Street address or description of the installation place (설치장소).
    address: Mapped[str] = mapped_column(String(256))
    # WGS84 latitude in degrees (None until surveyed).
    latitude: Mapped[float | None] = mapped_column(Float)
    # WGS84 longitude in degrees (None until surveyed).
    longitude: Mapped[float | None] = mapped_column(Float)
    # Owning department (관리부서); scopes operations managers (ORD-5).
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # ORD-3: the body that installed the camera (설치 주체), e.g. "여수시 교통과".
    installer_body: Mapped[str] = mapped_column(String(128))
    # ORD-3: why it was installed (설치 사유), free text.
    installer_reason: Mapped[str] = mapped_column(Text, default="")
    # Lifecycle status (CameraStatus); changed only by lifecycle.py.
    status: Mapped[str] = mapped_column(String(16), default=CameraStatus.PLANNED, index=True)
    # When the status last changed (UTC).
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Reason recorded when the camera was decommissioned.
    decommission_reason: Mapped[str | None] = mapped_column(Text)

    # ORD-6 standard: a standardized product fit for its purpose.
    std_standard_product: Mapped[bool] = mapped_column(Boolean, default=False)
    # ORD-6 standard: capable of serving several purposes.
    std_multi_purpose: Mapped[bool] = mapped_column(Boolean, default=False)
    # ORD-6 standard: can be integrated with the center.
    std_integrable: Mapped[bool] = mapped_column(Boolean, default=False)
    # ORD-6: installing contractor (정보통신공사업 등록업체) company name.
    install_contractor: Mapped[str | None] = mapped_column(String(128))
    # ORD-6: that contractor's information-and-communication registration number.
    install_contractor_reg_no: Mapped[str | None] = mapped_column(String(64))

    # ORD-8: date the expert and resident opinions were collected.
    consultation_date: Mapped[date | None] = mapped_column(Date)
    # ORD-8: summary of the experts' opinions.
    consultation_experts: Mapped[str | None] = mapped_column(Text)
    # ORD-8: summary of the residents' opinions.
    consultation_residents: Mapped[str | None] = mapped_column(Text)
    # ORD-8 exemption: the nearby existing camera with the same purpose.
    exemption_camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL")
    )

    # ORD-9/PIPA-1: date the signage board (안내판) was installed; None = no signage.
    signage_installed_on: Mapped[date | None] = mapped_column(Date)
    # PIPA-1: purpose as written on the board.
    signage_purpose: Mapped[str | None] = mapped_column(String(256))
    # PIPA-1: location as written on the board.
    signage_location: Mapped[str | None] = mapped_column(String(256))
    # PIPA-1: filming range as written on the board.
    signage_range: Mapped[str | None] = mapped_column(String(256))
    # PIPA-1: filming hours as written on the board.
    signage_hours: Mapped[str | None] = mapped_column(String(128))
    # PIPA-1: manager (관리책임자) name on the board.
    signage_manager_name: Mapped[str | None] = mapped_column(String(128))
    # PIPA-1: manager contact on the board.
    signage_manager_contact: Mapped[str | None] = mapped_column(String(64))
    # PIPA-1: contractor name when operation is outsourced (else None).
    signage_contractor_name: Mapped[str | None] = mapped_column(String(128))
    # PIPA-1: contractor contact when operation is outsourced (else None).
    signage_contractor_contact: Mapped[str | None] = mapped_column(String(64))

    # ORD-15: why an installed camera is not linked (UnlinkedReason) or None.
    unlinked_reason: Mapped[str | None] = mapped_column(String(32))
    # ORD-15: the recorded explanation of that reason.
    unlinked_note: Mapped[str | None] = mapped_column(Text)

    # Main stream URL without credentials (rtsp://host:port/path).
    main_stream_url: Mapped[str | None] = mapped_column(String(512))
    # Sub (low resolution) stream URL without credentials.
    sub_stream_url: Mapped[str | None] = mapped_column(String(512))
    # Stream username, AES-GCM ciphertext (crypto.py); never plaintext.
    stream_username_enc: Mapped[str | None] = mapped_column(Text)
    # Stream password, AES-GCM ciphertext (crypto.py); never plaintext.
    stream_password_enc: Mapped[str | None] = mapped_column(Text)
    # ONVIF device service endpoint, e.g. http://10.0.0.5/onvif/device_service.
    onvif_url: Mapped[str | None] = mapped_column(String(512))

    # Manufacturer model name.
    model: Mapped[str | None] = mapped_column(String(128))
    # Firmware version reported by the device or the installer.
    firmware_version: Mapped[str | None] = mapped_column(String(64))
    # KC (전파인증) certification number.
    kc_cert_no: Mapped[str | None] = mapped_column(String(64))
    # Security certification (보안인증) number.
    security_cert_no: Mapped[str | None] = mapped_column(String(64))
    # Installation date (ORD-6; required to become installed).
    installed_on: Mapped[date | None] = mapped_column(Date)
    # Planned end of life (내용연수 만료일); past it the camera is flagged.
    end_of_life_on: Mapped[date | None] = mapped_column(Date)
    # Privacy mask polygons, JSON [[[x, y], ...], ...] in normalized 0..1 coordinates.
    privacy_masks_json: Mapped[str] = mapped_column(Text, default="[]")
    # Days its video is kept; NULL = the center's default. ORD-31.1: 1..30, DB-enforced.
    retention_days: Mapped[int | None] = mapped_column(Integer)

    # When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the row was last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship(lazy="joined")
    purpose_rows: Mapped[list[CameraPurpose]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CameraPurpose.purpose"
    )

    __table_args__ = (
        CheckConstraint(one_of("status", CameraStatus), name="status"),
        CheckConstraint(
            f"unlinked_reason IS NULL OR {one_of('unlinked_reason', UnlinkedReason)}",
            name="unlinked_reason",
        ),
        CheckConstraint("retention_days BETWEEN 1 AND 30", name="retention_at_most_30_days"),
    )

    @property
    def purposes(self) -> list[Purpose]:
        order = list(Purpose)
        return sorted((Purpose(r.purpose) for r in self.purpose_rows), key=order.index)

    @property
    def privacy_masks(self) -> list[list[list[float]]]:
        value: list[list[list[float]]] = json.loads(self.privacy_masks_json or "[]")
        return value

    @property
    def has_signage(self) -> bool:
        return self.signage_installed_on is not None

    def __repr__(self) -> str:
        # Never include stream credentials or URLs: reprs end up in logs.
        return f"<Camera id={self.id} code={self.code!r} status={self.status}>"

    __str__ = __repr__


class CameraPurpose(Base):
    """One lawful purpose of one camera (ORD-7)."""

    __tablename__ = "camera_purposes"

    # The camera.
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    # A purpose code from the closed ORD-7 list.
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)

    __table_args__ = (CheckConstraint(one_of("purpose", Purpose), name="purpose"),)


class Contractor(Base):
    """A registered information-and-communication contractor (정보통신공사업 등록업체)."""

    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Company name.
    name: Mapped[str] = mapped_column(String(128))
    # Registration number under the Information and Communication Construction Business Act.
    registration_number: Mapped[str] = mapped_column(String(64), unique=True)
    # Phone or e-mail of the company's contact.
    contact: Mapped[str | None] = mapped_column(String(128))


class MaintenanceRecord(Base):
    """One maintenance intervention on a camera (유지보수 이력)."""

    __tablename__ = "camera_maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The camera worked on.
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    # Date of the work (local date).
    performed_on: Mapped[date] = mapped_column(Date)
    # The contractor company that did it.
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"))
    # Kind of work: inspection, repair, replacement, firmware, cleaning, other.
    kind: Mapped[str] = mapped_column(String(32))
    # What was done.
    notes: Mapped[str] = mapped_column(Text, default="")
    # When the record was entered (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contractor: Mapped[Contractor] = relationship(lazy="joined")


class EmergencyBell(Base):
    """An emergency bell (비상벨), an emergency communication means of ORD-2.7."""

    __tablename__ = "emergency_bells"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Management number, e.g. "YS-BELL-001".
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Where it stands (address or description).
    location: Mapped[str] = mapped_column(String(256))
    # WGS84 latitude.
    latitude: Mapped[float | None] = mapped_column(Float)
    # WGS84 longitude.
    longitude: Mapped[float | None] = mapped_column(Float)
    # Gateway that relays its calls (host or device id).
    gateway: Mapped[str | None] = mapped_column(String(128))
    # Call protocol, e.g. "SIP", "vendor-TCP".
    protocol: Mapped[str | None] = mapped_column(String(32))
    # BellStatus.
    status: Mapped[str] = mapped_column(String(16), default=BellStatus.ACTIVE)
    # When created (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    camera_links: Mapped[list[BellCamera]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (CheckConstraint(one_of("status", BellStatus), name="status"),)

    @property
    def camera_ids(self) -> list[int]:
        return sorted(link.camera_id for link in self.camera_links)


class BellCamera(Base):
    """A camera that pops up when a bell rings (ORD-2.7)."""

    __tablename__ = "bell_cameras"

    # The bell.
    bell_id: Mapped[int] = mapped_column(
        ForeignKey("emergency_bells.id", ondelete="CASCADE"), primary_key=True
    )
    # The linked camera.
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True, index=True
    )
