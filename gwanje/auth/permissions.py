"""Permissions and roles. Deny by default: nothing is allowed unless a role grants it.

Roles follow posts ex officio (ORD-5.1) or are assigned directly (operators, liaison
officers, auditors ...). `ROLE_PERMISSIONS` is the single source of truth, rendered into
docs/permissions.md by `gwanje docs permissions` and kept current by a test.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    # Camera registry
    CAMERA_READ = "camera.read"
    CAMERA_WRITE = "camera.write"
    CAMERA_LIFECYCLE = "camera.lifecycle"
    CAMERA_IMPORT = "camera.import"
    CAMERA_CREDENTIALS = "camera.credentials"
    BELL_WRITE = "bell.write"
    # Organisation and people
    PERSON_READ = "person.read"
    PERSON_MANAGE = "person.manage"
    DEPARTMENT_MANAGE = "department.manage"
    POST_APPOINT = "post.appoint"
    PLEDGE_RECORD = "pledge.record"
    TRAINING_RECORD = "training.record"
    # Audit ledger
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    # Video (issues 3-5). Every one of these also needs a valid pledge and training.
    VIDEO_LIVE = "video.live"
    VIDEO_PLAYBACK = "video.playback"
    VIDEO_EXPORT = "video.export"
    PTZ_CONTROL = "ptz.control"
    # Protection workflows (issue 5)
    REQUEST_CREATE = "request.create"
    REQUEST_APPROVE = "request.approve"
    REQUEST_APPROVE_EMERGENCY = "request.approve_emergency"
    LEDGER_READ = "ledger.read"
    # The protection and training plans of the privacy officer (ORD-5.2)
    PLAN_MANAGE = "plan.manage"
    # Visitors of the controlled area (ORD-22.2): register and check in/out; approve
    VISITOR_MANAGE = "visitor.manage"
    VISITOR_APPROVE = "visitor.approve"
    # Data-subject requests (ORD-29, PIPA-4): intake, identity, decisions, release
    SUBJECT_REQUEST_MANAGE = "subject_request.manage"
    # Deciding subject requests routed to review (crime-prevention cameras, ORD-29.1)
    SUBJECT_REQUEST_REVIEW = "subject_request.review"
    # Reports (issue 5): the self-inspection (ORD-13) and the monthly access review (PIPA-3)
    REPORT_READ = "report.read"
    REPORT_REVIEW = "report.review"
    # Retention and legal holds (ORD-31.1): no video access, only how long it is kept
    RETENTION_MANAGE = "retention.manage"
    LEGAL_HOLD_MANAGE = "retention.hold"
    # Maintenance (ORD-11, ORD-12)
    MAINTENANCE_TICKET = "maintenance.ticket"
    # Operations: incidents and notifications (ORD-18.2, 20.4)
    INCIDENT_READ = "incident.read"
    INCIDENT_MANAGE = "incident.manage"
    # Emergency bells (ORD-2.7, 10.2) and response manuals (ORD-18.2)
    BELL_PRESS = "bell.press"  # a bell gateway reports presses (its API token only)
    MANUAL_MANAGE = "manual.manage"  # revise the response manuals (업무매뉴얼)
    MAINTENANCE_MANAGE = "maintenance.manage"  # open, verify and close tickets; assign
    HEALTH_READ = "health.read"  # health dashboard, /metrics (no video)
    # Shifts and the room (ORD-19, 20.1, 20.3, 22.3, 22.4): read the roster, record and
    # sign handovers (own shift only), manage roster and schedule, switch tour mode
    SHIFT_READ = "shift.read"
    SHIFT_HANDOVER = "shift.handover"
    SHIFT_MANAGE = "shift.manage"
    TOUR_MANAGE = "tour.manage"
    # Sharing with agencies and other centers (ORD-14.2, 17, 21, 23, 24)
    SHARE_MANAGE = "share.manage"  # make, renew, revoke live shares; approve peer requests
    FEDERATION_MANAGE = "federation.manage"  # register peer centers and their agreements
    DELEGATION_MANAGE = "delegation.manage"  # record delegated cameras' terms (ORD-24)
    # System
    SETTINGS_MANAGE = "settings.manage"


class Role(StrEnum):
    """Roles (역할). The first three are ex officio by post (ORD-5.1)."""

    PRIVACY_OFFICER = "privacy_officer"  # 개인영상정보 보호책임자
    GENERAL_MANAGER = "general_manager"  # 총괄책임자
    OPERATIONS_MANAGER = "operations_manager"  # 운영책임자 (own department only)
    OPERATOR = "operator"  # 관제요원
    POLICE_LIAISON = "police_liaison"  # 경찰 연계 근무자
    APPROVER = "approver"  # 시장 권한 위임 승인권자
    AUDITOR = "auditor"  # 감사
    CONTRACTOR = "contractor"  # 유지보수 업체 (ORD-11: no video)
    SYSTEM_ADMIN = "system_admin"  # 시스템 관리자 (no video)
    BELL_GATEWAY = "bell_gateway"  # 비상벨 중계 장치 계정 (reports presses, nothing else)


P = Permission

VIDEO_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.VIDEO_LIVE, P.VIDEO_PLAYBACK, P.VIDEO_EXPORT, P.PTZ_CONTROL}
)

# Roles whose permissions apply only to their own department's cameras.
DEPARTMENT_SCOPED_ROLES: frozenset[Role] = frozenset({Role.OPERATIONS_MANAGER})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PRIVACY_OFFICER: frozenset(
        {
            P.CAMERA_READ,
            P.PERSON_READ,
            P.AUDIT_READ,
            P.AUDIT_VERIFY,
            P.LEDGER_READ,
            P.PLEDGE_RECORD,
            P.TRAINING_RECORD,
            P.RETENTION_MANAGE,
            P.LEGAL_HOLD_MANAGE,
            P.INCIDENT_READ,
            P.SUBJECT_REQUEST_MANAGE,
            P.SUBJECT_REQUEST_REVIEW,
            P.REPORT_READ,
            P.REPORT_REVIEW,
            P.PLAN_MANAGE,
            P.SHIFT_READ,
        }
    ),
    Role.GENERAL_MANAGER: frozenset(
        {
            P.CAMERA_READ,
            P.CAMERA_WRITE,
            P.CAMERA_LIFECYCLE,
            P.CAMERA_IMPORT,
            P.CAMERA_CREDENTIALS,
            P.BELL_WRITE,
            P.PERSON_READ,
            P.PLEDGE_RECORD,
            P.TRAINING_RECORD,
            P.VIDEO_LIVE,
            P.LEDGER_READ,
            P.VISITOR_MANAGE,
            P.VISITOR_APPROVE,
            P.RETENTION_MANAGE,
            P.LEGAL_HOLD_MANAGE,
            P.INCIDENT_READ,
            P.INCIDENT_MANAGE,
            P.MANUAL_MANAGE,
            P.SUBJECT_REQUEST_MANAGE,
            P.REPORT_READ,
            P.MAINTENANCE_TICKET,
            P.MAINTENANCE_MANAGE,
            P.HEALTH_READ,
            P.SHIFT_READ,
            P.SHIFT_HANDOVER,
            P.SHIFT_MANAGE,
            P.TOUR_MANAGE,
            P.SHARE_MANAGE,
            P.FEDERATION_MANAGE,
            P.DELEGATION_MANAGE,
        }
    ),
    Role.OPERATIONS_MANAGER: frozenset(
        {
            P.CAMERA_READ,
            P.CAMERA_WRITE,
            P.CAMERA_LIFECYCLE,
            P.CAMERA_CREDENTIALS,
            P.BELL_WRITE,
            P.VIDEO_LIVE,
            P.REQUEST_APPROVE_EMERGENCY,
            P.RETENTION_MANAGE,
            P.LEGAL_HOLD_MANAGE,
            P.INCIDENT_READ,
            P.SUBJECT_REQUEST_MANAGE,
            P.MAINTENANCE_TICKET,
            P.MAINTENANCE_MANAGE,
            P.HEALTH_READ,
            P.SHIFT_READ,
        }
    ),
    # Playback and export need the permission AND a grant naming the person for that
    # camera and time range (ORD-30.2); only people who handle stored footage hold them.
    Role.OPERATOR: frozenset(
        {
            P.CAMERA_READ,
            P.VIDEO_LIVE,
            P.VIDEO_PLAYBACK,
            P.VIDEO_EXPORT,
            P.PTZ_CONTROL,
            P.INCIDENT_READ,
            P.INCIDENT_MANAGE,
            P.VISITOR_MANAGE,
            P.HEALTH_READ,
            P.SHIFT_READ,
            P.SHIFT_HANDOVER,
            P.TOUR_MANAGE,
        }
    ),
    Role.POLICE_LIAISON: frozenset(
        {
            P.CAMERA_READ,
            P.VIDEO_LIVE,
            P.VIDEO_PLAYBACK,
            P.VIDEO_EXPORT,
            P.REQUEST_CREATE,
            P.INCIDENT_READ,
            P.INCIDENT_MANAGE,
            P.SHIFT_READ,
            P.SHIFT_HANDOVER,
        }
    ),
    Role.APPROVER: frozenset({P.CAMERA_READ, P.REQUEST_APPROVE, P.LEDGER_READ}),
    Role.AUDITOR: frozenset(
        {
            P.CAMERA_READ,
            P.PERSON_READ,
            P.AUDIT_READ,
            P.AUDIT_VERIFY,
            P.LEDGER_READ,
            P.REPORT_READ,
            P.REPORT_REVIEW,
            P.INCIDENT_READ,
            P.SHIFT_READ,
        }
    ),
    Role.CONTRACTOR: frozenset({P.MAINTENANCE_TICKET}),
    # A bell gateway's system account: its API token may report presses and nothing else.
    Role.BELL_GATEWAY: frozenset({P.BELL_PRESS}),
    Role.SYSTEM_ADMIN: frozenset(
        {
            P.CAMERA_READ,
            P.PERSON_READ,
            P.PERSON_MANAGE,
            P.DEPARTMENT_MANAGE,
            P.POST_APPOINT,
            P.SETTINGS_MANAGE,
            P.HEALTH_READ,
        }
    ),
}


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
