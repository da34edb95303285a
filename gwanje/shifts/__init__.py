"""Shifts and the room (근무 편성과 관제실 운영, ORD-19, 20.1, 20.3, 22.3, 22.4):
roster, schedule, purpose assignments, out-of-shift flags, handovers, the daily
situation log and tour mode (docs/design/shifts.md)."""
