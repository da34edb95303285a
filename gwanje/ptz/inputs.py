"""What callers may ask of PTZ control, parsed and validated (user errors become
translated `InvalidInput`, never crashes).

Owns: `LawfulReason`, `MoveInput`, `ConfigInput`, `PresetInput`, `RuleInput`.
Invariant: a reason for leaving the purpose area is one of the public-interest grounds
ORD-10.1 names (crime prevention, another law) and always carries a written explanation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gwanje.errors import InvalidInput
from gwanje.ptz.geometry import Area, Position
from gwanje.ptz.models import OBJECT_KINDS
from gwanje.registry.purposes import Purpose

MODES = ("absolute", "relative", "continuous")
MIN_REASON_TEXT = 4


class LawfulReason(StrEnum):
    """Public-interest grounds for pointing outside the purpose area (ORD-10.1)."""

    CRIME_PREVENTION = "crime_prevention"  # 범죄예방
    OTHER_LAW = "other_law"  # 다른 법령에 근거


def _obj(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("ptz.error.invalid", detail="not an object")
    return data


def _num(data: dict[str, Any], name: str, default: float | None = None) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("ptz.error.invalid", detail=f"{name}: a number")
    return float(value)


def _text(data: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = str(data.get(name) or "").strip()
    if (required and not value) or len(value) > limit:
        raise InvalidInput("ptz.error.invalid", detail=f"{name}: 1-{limit} characters")
    return value


def _purpose(data: dict[str, Any]) -> Purpose:
    try:
        return Purpose(str(data.get("purpose", "")))
    except ValueError:
        raise InvalidInput("ptz.error.invalid", detail="purpose: an ORD-7 purpose") from None


@dataclass(frozen=True)
class MoveInput:
    mode: str  # absolute: target; relative: delta; continuous: velocity (-1..1)
    vector: Position
    timeout_s: float | None
    reason: LawfulReason | None
    reason_text: str

    @classmethod
    def parse(cls, raw: object) -> MoveInput:
        data = _obj(raw)
        mode = str(data.get("mode", "absolute"))
        if mode not in MODES:
            raise InvalidInput("ptz.error.invalid", detail=f"mode: one of {', '.join(MODES)}")
        base = 0.0 if mode != "absolute" else None
        vector = Position(
            _num(data, "pan", base), _num(data, "tilt", base), _num(data, "zoom", base)
        )
        timeout = _num(data, "timeout_s") if data.get("timeout_s") is not None else None
        if timeout is not None and not 0 < timeout <= 3600:
            raise InvalidInput("ptz.error.invalid", detail="timeout_s: 0-3600")
        reason, text = parse_reason(data)
        return cls(mode, vector, timeout, reason, text)


def parse_reason(data: dict[str, Any]) -> tuple[LawfulReason | None, str]:
    raw = data.get("reason")
    if raw in (None, ""):
        return None, ""
    try:
        reason = LawfulReason(str(raw))
    except ValueError:
        raise InvalidInput("ptz.error.reason_unknown") from None
    text = str(data.get("reason_text") or "").strip()
    if len(text) < MIN_REASON_TEXT or len(text) > 500:
        raise InvalidInput("ptz.error.reason_text")
    return reason, text


@dataclass(frozen=True)
class ConfigInput:
    profile_token: str
    area: Area
    idle_return_s: int
    speed: Position
    username: str | None  # None: keep the stored credentials
    password: str | None

    @classmethod
    def parse(cls, raw: object) -> ConfigInput:
        data = _obj(raw)
        area = _obj(data.get("area"))
        try:
            box = Area(
                *(
                    _num(area, k)
                    for k in ("pan_min", "pan_max", "tilt_min", "tilt_max", "zoom_min", "zoom_max")
                )
            )
        except ValueError:
            raise InvalidInput("ptz.error.area_invalid") from None
        idle = int(_num(data, "idle_return_s", 300))
        if not 10 <= idle <= 86400:
            raise InvalidInput("ptz.error.invalid", detail="idle_return_s: 10-86400")
        speed = Position(
            _num(data, "speed_pan", 0.5),
            _num(data, "speed_tilt", 0.5),
            _num(data, "speed_zoom", 0.25),
        )
        if min(speed.pan, speed.tilt, speed.zoom) <= 0:
            raise InvalidInput("ptz.error.invalid", detail="speeds: positive")
        user = data.get("username")
        password = data.get("password")
        return cls(
            _text(data, "profile_token", 64),
            box,
            idle,
            speed,
            None if user is None else str(user),
            None if password is None else str(password),
        )

    def __repr__(self) -> str:
        return f"ConfigInput(profile_token={self.profile_token!r}, area={self.area!r}, ...)"


@dataclass(frozen=True)
class PresetInput:
    name: str
    purpose: Purpose
    position: Position | None  # None: where the camera points now
    is_home: bool

    @classmethod
    def parse(cls, raw: object) -> PresetInput:
        data = _obj(raw)
        position = None
        if data.get("pan") is not None:
            position = Position(_num(data, "pan"), _num(data, "tilt"), _num(data, "zoom"))
        return cls(
            _text(data, "name", 64), _purpose(data), position, bool(data.get("is_home", False))
        )


@dataclass(frozen=True)
class RuleInput:
    name: str
    purpose: Purpose
    object_kind: str
    enabled: bool

    @classmethod
    def parse(cls, raw: object) -> RuleInput:
        data = _obj(raw)
        kind = str(data.get("object_kind", ""))
        if kind not in OBJECT_KINDS:
            raise InvalidInput(
                "ptz.error.invalid", detail=f"object_kind: one of {', '.join(OBJECT_KINDS)}"
            )
        return cls(_text(data, "name", 64), _purpose(data), kind, bool(data.get("enabled", True)))
