"""The camera lifecycle state machine: planned → consulted → installed → linked, and
decommissioned from any state; an installed or linked camera may be recorded as
unlinked with an ORD-15 reason (it then stays `installed`).

Invariants:
- requirements are cumulative: a camera is `linked` only if it also meets everything
  `installed` and `consulted` need, so editing a record cannot hollow out an earlier step;
- a refusal lists every missing item (i18n keys), never just the first;
- `decommissioned` is final.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from gwanje.errors import Conflict, GwanjeError, InvalidInput
from gwanje.i18n import translate
from gwanje.registry.models import Camera, CameraStatus


class Action(StrEnum):
    CONSULT = "consult"
    INSTALL = "install"
    LINK = "link"
    UNLINK = "unlink"
    DECOMMISSION = "decommission"


# Which actions each status allows, and the status each action leads to.
ALLOWED: dict[CameraStatus, tuple[Action, ...]] = {
    CameraStatus.PLANNED: (Action.CONSULT, Action.DECOMMISSION),
    CameraStatus.CONSULTED: (Action.INSTALL, Action.DECOMMISSION),
    CameraStatus.INSTALLED: (Action.LINK, Action.UNLINK, Action.DECOMMISSION),
    CameraStatus.LINKED: (Action.UNLINK, Action.DECOMMISSION),
    CameraStatus.DECOMMISSIONED: (),
}
TARGET: dict[Action, CameraStatus] = {
    Action.CONSULT: CameraStatus.CONSULTED,
    Action.INSTALL: CameraStatus.INSTALLED,
    Action.LINK: CameraStatus.LINKED,
    Action.UNLINK: CameraStatus.INSTALLED,
    Action.DECOMMISSION: CameraStatus.DECOMMISSIONED,
}
ORDER = [CameraStatus.PLANNED, CameraStatus.CONSULTED, CameraStatus.INSTALLED, CameraStatus.LINKED]


def _joined(keys: list[str], language: str = "ko") -> str:
    return ", ".join(translate(k, language) for k in keys)


class TransitionBlocked(Conflict):
    """A transition is refused; `missing` holds the i18n keys of every missing item."""

    def __init__(self, action: Action, missing: list[str]) -> None:
        super().__init__(
            "registry.error.transition_blocked",
            action=translate(f"registry.action.{action.value}"),
            missing=_joined(missing),
        )
        self.action = action
        self.missing = missing


class RequirementsMissing(InvalidInput):
    """A record does not meet what its lifecycle status requires (edit or import)."""

    def __init__(self, status: str, missing: list[str]) -> None:
        super().__init__(
            "registry.error.status_requirements",
            status=translate(f"registry.status.{status}"),
            missing=_joined(missing),
        )
        self.status_value = status
        self.missing = missing


def localize(exc: GwanjeError, language: str) -> str:
    """The error's message in `language`, with listed requirements translated too."""
    params = dict(exc.params)
    missing = getattr(exc, "missing", None)
    if isinstance(missing, list):
        params["missing"] = _joined(missing, language)
    if isinstance(exc, TransitionBlocked):
        params["action"] = translate(f"registry.action.{exc.action.value}", language)
    if isinstance(exc, RequirementsMissing):
        params["status"] = translate(f"registry.status.{exc.status_value}", language)
    return translate(exc.key, language, **params)


def _consulted_missing(camera: Camera, exemption_ok: bool) -> list[str]:
    """ORD-8: a consultation record (date + both summaries) or a valid exemption."""
    if camera.exemption_camera_id is not None:
        return [] if exemption_ok else ["registry.req.exemption_invalid"]
    missing = []
    if camera.consultation_date is None:
        missing.append("registry.req.consultation_date")
    if not (camera.consultation_experts or "").strip():
        missing.append("registry.req.consultation_experts")
    if not (camera.consultation_residents or "").strip():
        missing.append("registry.req.consultation_residents")
    return missing


def _installed_missing(camera: Camera) -> list[str]:
    """ORD-6 standards, contractor registration, install date, a lawful purpose."""
    checks = [
        (camera.std_standard_product, "registry.req.std_standard_product"),
        (camera.std_multi_purpose, "registry.req.std_multi_purpose"),
        (camera.std_integrable, "registry.req.std_integrable"),
        (bool((camera.install_contractor or "").strip()), "registry.req.install_contractor"),
        (
            bool((camera.install_contractor_reg_no or "").strip()),
            "registry.req.install_contractor_reg_no",
        ),
        (camera.installed_on is not None, "registry.req.installed_on"),
        (bool(camera.purpose_rows), "registry.req.purpose"),
    ]
    return [key for ok, key in checks if not ok]


SIGNAGE_FIELDS = (
    "signage_installed_on",
    "signage_purpose",
    "signage_location",
    "signage_range",
    "signage_hours",
    "signage_manager_name",
    "signage_manager_contact",
)


def _linked_missing(camera: Camera) -> list[str]:
    """ORD-9/PIPA-1 signage with every item, and a main stream (ORD-15)."""
    missing = [f"registry.req.{f}" for f in SIGNAGE_FIELDS if not getattr(camera, f)]
    if bool(camera.signage_contractor_name) != bool(camera.signage_contractor_contact):
        missing.append("registry.req.signage_contractor")
    if not camera.main_stream_url:
        missing.append("registry.req.main_stream")
    return missing


def missing_for(camera: Camera, target: CameraStatus, exemption_ok: bool = True) -> list[str]:
    """Everything `camera` lacks to be in `target` (cumulative over earlier steps)."""
    if target not in ORDER:
        return []
    steps = ORDER[1 : ORDER.index(target) + 1]
    missing: list[str] = []
    if CameraStatus.CONSULTED in steps:
        missing += _consulted_missing(camera, exemption_ok)
    if CameraStatus.INSTALLED in steps:
        missing += _installed_missing(camera)
    if CameraStatus.LINKED in steps:
        missing += _linked_missing(camera)
    return missing


def action_missing(
    camera: Camera, action: Action, exemption_ok: bool, reason: str | None, note: str | None
) -> list[str]:
    """What blocks `action` now: a wrong state, missing records, or a missing reason."""
    status = CameraStatus(camera.status)
    if action not in ALLOWED[status]:
        return [f"registry.req.not_from_{status.value}"]
    if action is Action.DECOMMISSION:
        return [] if (reason or "").strip() else ["registry.req.decommission_reason"]
    if action is Action.UNLINK:
        missing = (
            []
            if reason in {"inefficiency", "national_security"}
            else ["registry.req.unlinked_reason"]
        )
        return missing + ([] if (note or "").strip() else ["registry.req.unlinked_note"])
    return missing_for(camera, TARGET[action], exemption_ok)


def flags(camera: Camera, today: date) -> list[str]:
    """Warnings shown as badges: no signage (ORD-9), unlinked (ORD-15), end of life."""
    found: list[str] = []
    if camera.status == CameraStatus.DECOMMISSIONED:
        return found
    if camera.status in (CameraStatus.INSTALLED, CameraStatus.LINKED) and not camera.has_signage:
        found.append("no_signage")
    if camera.status == CameraStatus.INSTALLED:
        found.append("unlinked" if camera.unlinked_reason else "unlinked_no_reason")
    if camera.end_of_life_on is not None and camera.end_of_life_on < today:
        found.append("end_of_life")
    return found
