"""Audit events of sharing, federation and delegation (ORD-14.2, 17, 21, 23, 24).

Every use of a share is an entry: a view's start and end share a `view_id`; every refusal
(bad or missing token, revoked, expired, camera not shared, delegation terms) is one
entry with the share id and recipient. No event carries a token or a peer secret.
"""

from __future__ import annotations

from datetime import date

from gwanje.audit.events import AuditEvent


class ShareCreated(AuditEvent):
    """A live-view share was made for an agency: cameras in `camera_ids`, valid
    `range_start`..`range_end`; the token's prefix only."""

    event_type = "share.created"
    description = "실시간 영상 공유 생성 / live share created"
    share_id: int
    agency: str
    recipients: str
    purpose: str
    legal_basis: str
    watermark: str
    token_prefix: str
    peer: str | None = None


class ShareRenewed(AuditEvent):
    """A share's expiry was moved to `range_end`."""

    event_type = "share.renewed"
    description = "실시간 영상 공유 연장 / live share renewed"
    share_id: int
    agency: str


class ShareRevoked(AuditEvent):
    """A share was revoked; its open streams close within seconds."""

    event_type = "share.revoked"
    description = "실시간 영상 공유 철회 / live share revoked"
    share_id: int
    agency: str
    reason: str


class ShareViewStarted(AuditEvent):
    """A recipient started watching a shared camera (`channel`: web or hls)."""

    event_type = "share.view_started"
    description = "공유 영상 시청 시작 / shared live view started"
    share_id: int
    agency: str
    recipient: str
    view_id: str
    channel: str
    code: str


class ShareViewEnded(AuditEvent):
    """A shared view ended: `frames` sent, `reason` (viewer left, revoked, expired, idle)."""

    event_type = "share.view_ended"
    description = "공유 영상 시청 종료 / shared live view ended"
    share_id: int
    agency: str
    recipient: str
    view_id: str
    channel: str
    code: str
    frames: int
    reason: str


class ShareRefused(AuditEvent):
    """Use of a share was refused: `reason` is one of unknown_share, bad_token,
    not_recipient, revoked, not_started, expired, camera_not_shared, camera_unavailable,
    delegation."""

    event_type = "share.refused"
    description = "공유 영상 접근 거부 / shared view refused"
    share_id: int | None
    recipient: str
    channel: str
    reason: str


class PeerRegistered(AuditEvent):
    """A peer center was registered (its name, URL and the cameras the agreement covers)."""

    event_type = "federation.peer_registered"
    description = "연계 센터 등록 / peer center registered"
    peer: str
    base_url: str


class FederationRefused(AuditEvent):
    """A federation request was refused: unsigned, unknown peer, bad signature, stale
    timestamp or a replayed nonce (ORD-23)."""

    event_type = "federation.refused"
    description = "연계 요청 거부 / federation request refused"
    peer: str
    path: str
    reason: str


class FederationServed(AuditEvent):
    """A signed request of a peer was answered (camera list, status)."""

    event_type = "federation.served"
    description = "연계 센터 요청 응답 / federation request served"
    peer: str
    path: str
    count: int


class PeerEventReceived(AuditEvent):
    """A peer pushed an event (incident opened/closed) and it was stored."""

    event_type = "federation.event_received"
    description = "연계 센터 이벤트 수신 / peer event received"
    peer: str
    kind: str
    event_id: str


class PeerCamerasFetched(AuditEvent):
    """The camera list of a peer was fetched and stored."""

    event_type = "federation.cameras_fetched"
    description = "연계 센터 카메라 목록 수신 / peer camera list fetched"
    peer: str
    count: int


class ShareRequested(AuditEvent):
    """A peer asked for a live share of some of our cameras (a person decides)."""

    event_type = "federation.share_requested"
    description = "연계 센터 영상 공유 요청 / peer share requested"
    peer: str
    request_id: int
    purpose: str
    reason: str


class ShareRequestDecided(AuditEvent):
    """A person approved or refused a peer's share request."""

    event_type = "federation.share_decided"
    description = "연계 센터 공유 요청 결정 / peer share request decided"
    peer: str
    request_id: int
    approved: bool
    share_id: int | None
    note: str


class ShareTokenCollected(AuditEvent):
    """A peer collected the token of an approved share request (once)."""

    event_type = "federation.token_collected"
    description = "연계 센터 공유 토큰 수령 / peer collected share token"
    peer: str
    request_id: int
    share_id: int


class DelegationRecorded(AuditEvent):
    """Delegation terms were recorded (ORD-24) and cameras attached to them."""

    event_type = "delegation.recorded"
    description = "위탁 운영 조건 기록 / delegation recorded"
    delegation_id: int
    agency: str
    document_no: str
    purposes: str
    starts_on: date
    ends_on: date


class DelegationRefused(AuditEvent):
    """A use of a delegated camera outside its terms (purpose or period) was refused."""

    event_type = "delegation.refused"
    description = "위탁 조건 밖 사용 거부 / use outside delegation terms refused"
    delegation_id: int
    use: str
    reason: str
