"""Shift patterns (근무 형태) as pure data: validation, the presets of common Korean
centers, and which team works which shift on a local day.

A pattern is a list of shifts (code, label, local start, hours), a cycle of N days (each
day a shift code, or "" for a day off: 비번/휴무) and each team's offset into the cycle
on the anchor day. Team `t` on local day `d` works `cycle[(d - anchor + offset_t) mod N]`.
Invariant: on any day, a shift is worked by at most one team (checked when the pattern is
validated, over one whole cycle), so a slot has exactly one team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gwanje.errors import InvalidInput

CODE = re.compile(r"^[a-z0-9_]{1,16}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class ShiftDef:
    code: str
    label: str
    start: str  # local "HH:MM"
    hours: float

    def bounds(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC start and end of this shift starting on local `day` (the zone's offset
        on that day; Asia/Seoul has no DST, other zones still get a correct instant)."""
        hour, minute = (int(x) for x in self.start.split(":"))
        local = datetime.combine(day, time(hour, minute), tzinfo=zone)
        start = local.astimezone(ZoneInfo("UTC"))
        return start, start + timedelta(hours=self.hours)


@dataclass(frozen=True)
class PatternSpec:
    code: str
    name: str
    shifts: tuple[ShiftDef, ...]
    cycle: tuple[str, ...]
    offsets: dict[str, int]  # team code → offset
    anchor: date

    def shift(self, code: str) -> ShiftDef:
        return next(s for s in self.shifts if s.code == code)

    def on_day(self, day: date) -> dict[str, str]:
        """Shift code → team code working it on local `day`."""
        base = (day - self.anchor).days
        found: dict[str, str] = {}
        for team, offset in sorted(self.offsets.items()):
            code = self.cycle[(base + offset) % len(self.cycle)]
            if code:
                found[code] = team
        return found


def _bad(detail: str) -> InvalidInput:
    return InvalidInput("shifts.error.pattern", detail=detail)


def _shift(raw: object) -> ShiftDef:
    if not isinstance(raw, dict):
        raise _bad("shift: object")
    code, label = str(raw.get("code", "")), str(raw.get("label", "")).strip()
    start, hours = str(raw.get("start", "")), raw.get("hours")
    if not CODE.match(code) or not label or not HHMM.match(start):
        raise _bad(f"shift {code!r}: code, label, start HH:MM")
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not 1 <= hours <= 24:
        raise _bad(f"shift {code!r}: hours 1-24")
    return ShiftDef(code, label[:64], start, float(hours))


def parse(
    code: str, name: str, shifts: object, cycle: object, offsets: object, anchor: str
) -> PatternSpec:
    """Validate a pattern given as JSON-like data (API, settings, presets)."""
    if not CODE.match(code) or not name.strip():
        raise _bad("code, name")
    if not isinstance(shifts, list) or not shifts:
        raise _bad("shifts: a non-empty list")
    defs = tuple(_shift(s) for s in shifts)
    codes = {s.code for s in defs}
    if len(codes) != len(defs):
        raise _bad("shift codes must be unique")
    if not isinstance(cycle, list) or not 1 <= len(cycle) <= 56:
        raise _bad("cycle: 1-56 days")
    if any(c not in codes and c != "" for c in cycle):
        raise _bad("cycle: shift codes or '' (off)")
    if not isinstance(offsets, dict) or not offsets:
        raise _bad("offsets: team code → days")
    if any(not isinstance(v, int) or isinstance(v, bool) for v in offsets.values()):
        raise _bad("offsets: whole days")
    try:
        day = date.fromisoformat(anchor)
    except ValueError:
        raise _bad("anchor: YYYY-MM-DD") from None
    spec = PatternSpec(
        code,
        name.strip()[:128],
        defs,
        tuple(str(c) for c in cycle),
        {str(k): v % len(cycle) for k, v in offsets.items()},
        day,
    )
    _one_team_per_shift(spec)
    return spec


def _one_team_per_shift(spec: PatternSpec) -> None:
    for n in range(len(spec.cycle)):
        base = n
        seen = [spec.cycle[(base + o) % len(spec.cycle)] for o in spec.offsets.values()]
        worked = [c for c in seen if c]
        if len(worked) != len(set(worked)):
            raise _bad("two teams would work the same shift on one day")


# Common Korean center patterns (the anchor is set when one is installed).
PRESETS: dict[str, dict[str, object]] = {
    # 4조 2교대: 주간 09–18, 야간 18–09, then 비번 and 휴무.
    "4x2": {
        "name": "4조 2교대 (주·야·비·휴)",
        "shifts": [
            {"code": "day", "label": "주간", "start": "09:00", "hours": 9},
            {"code": "night", "label": "야간", "start": "18:00", "hours": 15},
        ],
        "cycle": ["day", "night", "", ""],
        "offsets": {"1": 0, "2": 3, "3": 2, "4": 1},
    },
    # 4조 3교대: 06–14, 14–22, 22–06, two days each, then two days off.
    "4x3": {
        "name": "4조 3교대",
        "shifts": [
            {"code": "morning", "label": "오전", "start": "06:00", "hours": 8},
            {"code": "evening", "label": "오후", "start": "14:00", "hours": 8},
            {"code": "night", "label": "야간", "start": "22:00", "hours": 8},
        ],
        "cycle": ["morning", "morning", "evening", "evening", "night", "night", "", ""],
        "offsets": {"1": 0, "2": 6, "3": 4, "4": 2},
    },
}


def preset(name: str, anchor: str) -> PatternSpec:
    raw = PRESETS.get(name)
    if raw is None:
        raise _bad(f"unknown preset {name!r}")
    return parse(name, str(raw["name"]), raw["shifts"], raw["cycle"], raw["offsets"], anchor)
