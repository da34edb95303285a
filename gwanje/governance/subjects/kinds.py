"""The closed vocabularies of data-subject requests (ORD-29, PIPA-4)."""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    """ORD-29.1: what the subject asks for."""

    EXISTENCE = "existence"  # 존재확인
    VIEWING = "viewing"  # 열람 (or a copy)
    CORRECTION = "correction"  # 정정
    DELETION = "deletion"  # 삭제


class SubjectState(StrEnum):
    RECEIVED = "received"  # 접수: identity not yet verified
    VERIFIED = "verified"  # 본인확인 완료: awaiting the decision
    POSTPONED = "postponed"  # 연기: decision due by the new date (e.g. to mask)
    GRANTED = "granted"  # 허용: viewing awaits its masked clip; others are carried out
    RELEASED = "released"  # 제공: the masked clip was released
    REFUSED = "refused"  # 거부: on an ORD-29.3 ground, with how to appeal
    CLOSED = "closed"  # 종결: holds released


# The decision clock runs in these states (PIPA-4: decide within 10 days).
UNDECIDED = frozenset({SubjectState.RECEIVED, SubjectState.VERIFIED, SubjectState.POSTPONED})
# A decision needs verified identity (PIPA-4): these are the states one may decide in.
DECIDABLE = frozenset({SubjectState.VERIFIED, SubjectState.POSTPONED})


class Channel(StrEnum):
    PUBLIC = "public"  # the subject, through the public web form
    STAFF = "staff"  # staff, from a visit, a letter or a call


class Route(StrEnum):
    """Who decides: any holder of subject_request.manage in scope, or the privacy
    officer's review (crime-prevention cameras: ORD-29.1 excludes them, PIPA does not)."""

    STANDARD = "standard"
    REVIEW = "review"


class IdentityDocument(StrEnum):
    """PIPA-4: how identity is checked."""

    ID_CARD = "id_card"  # 신분증
    VEHICLE_REGISTRATION = "vehicle_registration"  # 차량등록증 (the footage is of a vehicle)
    POWER_OF_ATTORNEY = "power_of_attorney"  # 위임장 (an agent files for the subject)


class RefusalGround(StrEnum):
    """ORD-29.3: the only grounds on which a request may be refused."""

    INVESTIGATION = "investigation"  # (1) serious harm to investigation, prosecution, trial
    DELETION_INFEASIBLE = "deletion_infeasible"  # (2) deleting only theirs is very hard
    OTHERS_PRIVACY = "others_privacy"  # (3) others' privacy would be infringed
    PUBLIC_INTEREST = "public_interest"  # (4) another legitimate public interest


GROUND_NUMBER: dict[RefusalGround, int] = {g: n for n, g in enumerate(RefusalGround, start=1)}


class GrantMode(StrEnum):
    VIEW = "view"  # 열람 (at the center)
    COPY = "copy"  # 사본 교부


class NoticeMethod(StrEnum):
    """How the subject was told of a decision (the status page always shows it too)."""

    STATUS_PAGE = "status_page"
    IN_PERSON = "in_person"
    MAIL = "mail"
    EMAIL = "email"
    PHONE = "phone"


class MaskingState(StrEnum):
    """A masking job's progress (docs/design/subject-requests.md, "Masked clip")."""

    PREPARING = "preparing"  # cutting the clip from the recording, detecting faces
    PLANNED = "planned"  # the officer reviews and edits the plan
    APPLYING = "applying"  # reviewed: pixelating and re-encoding
    APPLIED = "applied"  # the masked clip exists; not yet handed over
    RELEASED = "released"  # handed over (the request is `released`)
    FAILED = "failed"  # the error says why; start again
