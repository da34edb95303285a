"""The rules of data-subject requests that need no database: the deadline (PIPA-4), the
refusal grounds (ORD-29.3) and the reasons that are never grounds, the receipt secret.

Deadline rule: the day of receipt is not counted (민법 제157조); the decision is due by
the end of the `days`-th day after it, local time. `due_at` stores the first instant that
is late (local midnight after that day), so "overdue" is simply `now >= due_at`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gwanje.errors import InvalidInput
from gwanje.governance.subjects.kinds import GROUND_NUMBER, RefusalGround, SubjectKind

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - no 0/O, 1/I
SECRET_LENGTH = 10  # 50 bits, and failed look-ups are rate limited

# PIPA-4 (standard guideline): footage showing other people is masked, not refused; the
# subject views it without conditions such as a police officer's presence. Free text
# saying either is refused as a reason, whatever ground code it comes with.
_THIRD_PARTY = (
    re.compile(r"(제3자|제삼자|타인|다른사람|행인|주변인)(이|가|들이|도|의모습이)?"
               r"(함께)?(찍|촬영|나와|나오|보이|보임|포함|노출)"),
    re.compile(r"third[- ]?part(y|ies)\W+(is|are)?\W*(visible|shown|recorded|in\W+the)"),
    re.compile(r"(other|another)\W+(people|persons?)\W+(is|are)?\W*(visible|shown|recorded)"),
)  # fmt: skip
_POLICE = (
    re.compile(r"경찰(관|공무원)?(의)?(입회|참관|동석|동행|참여|입석)"),
    re.compile(r"in\W+the\W+presence\W+of\W+(a\W+|the\W+)?police"),
    re.compile(r"police\W+(officers?\W+)?(is\W+|are\W+)?(present|presence|attend)"),
)  # fmt: skip


def decision_due(received_at: datetime, days: int, timezone: str) -> datetime:
    """The first late instant for a request received at `received_at` (see above)."""
    local_day = received_at.astimezone(ZoneInfo(timezone)).date()
    return end_of_day(local_day + timedelta(days=days), timezone)


def end_of_day(day: date, timezone: str) -> datetime:
    """Local midnight after `day`, in UTC: the first instant past that day."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(timezone)).astimezone(UTC)


def last_day(due_at: datetime, timezone: str) -> date:
    """The last local day on which a decision due at `due_at` is on time."""
    return (due_at - timedelta(microseconds=1)).astimezone(ZoneInfo(timezone)).date()


def refusal_ground(value: str, kind: str) -> RefusalGround:
    """ORD-29.3: one of the grounds (1)-(4), by name or number; (2) concerns deletion
    (and correction) only."""
    raw = value.strip().strip("()")
    by_number = {str(n): g for g, n in GROUND_NUMBER.items()}
    ground = by_number.get(raw) or next((g for g in RefusalGround if g.value == raw), None)
    if ground is None:
        raise InvalidInput("subjects.error.ground", value=value[:40])
    deleting = kind in (SubjectKind.DELETION, SubjectKind.CORRECTION)
    if ground is RefusalGround.DELETION_INFEASIBLE and not deleting:
        raise InvalidInput("subjects.error.ground_kind")
    return ground


def screen_refusal_reason(reason: str) -> None:
    """Refuse reasons PIPA-4 says are never grounds for refusing access."""
    squeezed = re.sub(r"\s+", "", reason)
    spaced = " ".join(reason.lower().split())
    if any(p.search(squeezed) for p in _THIRD_PARTY[:1]) or any(
        p.search(spaced) for p in _THIRD_PARTY[1:]
    ):
        raise InvalidInput("subjects.error.reason_third_party")
    if _POLICE[0].search(squeezed) or any(p.search(spaced) for p in _POLICE[1:]):
        raise InvalidInput("subjects.error.reason_police")


def new_secret() -> str:
    raw = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_secret(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()[:32]


def secret_hash(key: bytes, receipt_no: str, secret: str) -> str:
    """HMAC of the receipt and its secret: a leaked table does not reveal secrets."""
    message = f"subject-request:{receipt_no}:{normalise_secret(secret)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def receipt_number(request_id: int, received_at: datetime, timezone: str) -> str:
    year = received_at.astimezone(ZoneInfo(timezone)).year
    return f"SR-{year}-{request_id:05d}"
