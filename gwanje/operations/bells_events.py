"""Audit events of emergency bells, their call sessions (ORD-2.7, 10.2) and the response
manuals (ORD-18.2).

A press names the gateway account that reported it; wall and call actions name the
operator. A call's end records its durations: the use of an emergency communication
means is logged (ORD-10.2) even though nothing of it is recorded.
"""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class BellPressed(AuditEvent):
    """An emergency bell was pressed (reported by its gateway): an incident was opened
    and the bell's camera raised as an alarm on the walls."""

    event_type = "bell.pressed"
    description = "비상벨 호출 / emergency bell pressed"
    bell_code: str
    call_id: int
    incident_id: int
    via: str


class BellPressRefused(AuditEvent):
    """A bell press was refused: unknown or removed bell (the gateway is named)."""

    event_type = "bell.press_refused"
    description = "비상벨 호출 거부 / bell press refused"
    bell_code: str
    via: str
    reason: str


class BellAlarmAcknowledged(AuditEvent):
    """An operator acknowledged a bell's alarm on the wall."""

    event_type = "bell.alarm_acknowledged"
    description = "비상벨 알람 확인 / bell alarm acknowledged"
    call_id: int
    incident_id: int
    bell_code: str
    waited_s: float


class BellCallAnswered(AuditEvent):
    """An operator answered a bell's call session (the live voice link opens; ORD-10.2:
    it is never recorded)."""

    event_type = "bell.call_answered"
    description = "비상벨 통화 연결 / bell call answered"
    call_id: int
    incident_id: int
    bell_code: str
    rang_s: float


class BellCallEnded(AuditEvent):
    """A bell's call session ended: who ended it, how long it rang and talked (ORD-10.2:
    the use is logged, nothing of the audio is kept)."""

    event_type = "bell.call_ended"
    description = "비상벨 통화 종료 / bell call ended"
    call_id: int
    incident_id: int
    bell_code: str
    answered: bool
    duration_s: float
    talk_s: float
    note: str
    # The voice leg's figures, measured by the bell side when it hung up (none: no voice).
    voice: bool = False
    codec: str = ""
    to_bell_packets: int = 0
    to_bell_bytes: int = 0
    from_bell_packets: int = 0
    from_bell_bytes: int = 0
    voice_s: float = 0.0


class BellVoiceConnected(AuditEvent):
    """The answering operator's browser was put through to the bell's voice (WebRTC,
    signalled through Gwanje; ORD-10.2: live only, never recorded)."""

    event_type = "bell.voice_connected"
    description = "비상벨 통화 음성 연결 / bell call voice connected"
    call_id: int
    incident_id: int
    bell_code: str


class BellVoiceRefused(AuditEvent):
    """A voice connection for a bell call was refused: the call is not connected, the
    caller is not its answering operator or lacks incident.manage, the request came from
    another origin, or no voice gateway is configured (ORD-10.2, PIPA-7)."""

    event_type = "bell.voice_refused"
    description = "비상벨 통화 음성 연결 거부 / bell call voice refused"
    call_id: int
    reason: str


class ManualRevised(AuditEvent):
    """A response manual (업무매뉴얼) got a new version (ORD-18.2: continuously improved)."""

    event_type = "manual.revised"
    description = "업무매뉴얼 개정 / response manual revised"
    incident_type: str
    manual_version_id: int
    version: int
    steps: int
    change_note: str


class ChecklistTicked(AuditEvent):
    """An operator ticked a step of an incident's response manual checklist."""

    event_type = "incident.checklist_ticked"
    description = "대응 절차 수행 기록 / checklist step ticked"
    incident_id: int
    manual_version_id: int
    step: int
    text: str
