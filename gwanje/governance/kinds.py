"""The closed vocabularies of access requests (ORD-28)."""

from __future__ import annotations

from enum import StrEnum


class LegalBasis(StrEnum):
    """ORD-28.1: the five bases for use beyond purpose or provision to others."""

    CONSENT = "consent"  # (1) the subject's consent, or provision to the subject
    OTHER_LAW = "other_law"  # (2) another law
    INVESTIGATION = "investigation"  # (3) crime investigation and prosecution
    COURT = "court"  # (4) court proceedings
    EMERGENCY = "emergency"  # (5) urgent disaster, rescue, other urgent public interest


class RequesterKind(StrEnum):
    POLICE = "police"
    PROSECUTOR = "prosecutor"
    COURT = "court"
    SUBJECT = "subject"
    DEPARTMENT = "department"
    OTHER_AGENCY = "other_agency"


class RequestKind(StrEnum):
    VIEW = "view"  # 열람
    COPY = "copy"  # 사본 제공
    BEYOND_PURPOSE = "beyond_purpose"  # 목적 외 이용


class RequestState(StrEnum):
    SUBMITTED = "submitted"  # waiting for the mayor's approval (ORD-28.2)
    APPROVED = "approved"  # approved; a grant exists
    REJECTED = "rejected"
    # ORD-28.3: approved at once by the operations manager on basis (5); the mayor's
    # approval must follow by the deadline, else everything provided is recalled.
    EMERGENCY_APPROVED = "emergency_approved"
    RECALLED = "recalled"  # follow-up refused or overdue: grant revoked, copies recalled


class GrantState(StrEnum):
    ACTIVE = "active"
    RECALLED = "recalled"


# ORD-28.4: for cameras linked to the center, the center may handle these bases itself.
CENTER_BASES = frozenset({LegalBasis.INVESTIGATION, LegalBasis.EMERGENCY})
