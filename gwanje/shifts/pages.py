"""Web pages of shifts and the room (근무·인수인계): on duty now, the schedule, the
roster by staff kind, handovers with their checklist and signatures, tour mode, the
out-of-shift flags and the daily situation log (HTML and PDF).

Invariants: forms post back here (CSRF-checked by the middleware); the services check
the permission and the signer's shift again; user errors re-render the page with the
translated message; a GET never changes anything (except the audit entry that a
situation log or the flags were read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from gwanje.audit import record
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError
from gwanje.i18n import translate
from gwanje.reports.common import local_text
from gwanje.shifts import assignments, events, flags, roster, situation_log, tour
from gwanje.shifts.models import Handover, ShiftSlot, Staff
from gwanje.shifts.web import Manager, Reader, Signer, Touring, handing, handover_json
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip

router = APIRouter()
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _local(ctx: Ctx) -> Callable[[datetime | str | None], str]:
    zone = roster.zone(ctx.settings)

    def local(value: datetime | str | None) -> str:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return local_text(when, zone) or "—"

    return local


def _error(request: Request, exc: GwanjeError) -> str:
    return translate(exc.key, language_of(request), **exc.params)


def _overview(ctx: Ctx, principal: Principal) -> dict[str, Any]:
    now, zone = ctx.clock.now(), roster.zone(ctx.settings)
    today = now.astimezone(zone).date()
    with ctx.sessions() as session:
        slots = [
            s
            for d in (today, today + timedelta(days=1))
            for s in roster.slots_of_day(session, d.isoformat())
        ]
        mine = assignments.current(session, principal.person_id or 0, now)
        handovers = list(session.scalars(select(Handover).order_by(Handover.id.desc()).limit(20)))
        on_duty = roster.on_duty(session, now)
        return {
            "on_duty": on_duty,
            "slots": slots,
            "staff_of": {s.id: roster.slot_staff(session, s.id) for s in slots},
            "handover_of": {h.from_slot_id: h for h in handovers},
            "handovers": handovers,
            "kinds": Counter(k for k in session.scalars(select(Staff.kind))),
            "my_cameras": len(assignments.cameras_for(session, mine)),
            "tour": tour.state(session),
            "now_slot": _mine_now(session, principal, on_duty),
        }


def _mine_now(session: Any, principal: Principal,
              on_duty: list[roster.OnDuty]) -> ShiftSlot | None:  # fmt: skip
    for duty in on_duty:
        if duty.person_id == principal.person_id:
            return session.get(ShiftSlot, duty.slot_id)  # type: ignore[no-any-return]
    return None


def _index(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
) -> Response:
    return _render(
        request,
        "shifts/index.html",
        status_code,
        errors=list(errors),
        local=_local(ctx),
        **_overview(ctx, principal),
        may_handover=principal.can(P.SHIFT_HANDOVER),
        may_tour=principal.can(P.TOUR_MANAGE),
        may_manage=principal.can(P.SHIFT_MANAGE),
    )


@router.get("/shifts", response_class=HTMLResponse)
def shifts_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    return _index(request, ctx, principal)


@router.post("/shifts/handovers", response_class=HTMLResponse)
def open_form(request: Request, ctx: Ctx, principal: Signer, form: PostedForm) -> Response:
    slot = int(str(form.get("from_slot_id") or "0"))
    try:
        made = handing(ctx, request, principal, lambda h: h.open(slot).id)
    except GwanjeError as exc:
        return _index(request, ctx, principal, exc.status, (_error(request, exc),))
    return RedirectResponse(f"/shifts/handovers/{made}", status_code=303)


def _handover_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    handover_id: int,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
) -> Response:
    h = handover_json(ctx, handover_id)
    with ctx.sessions() as session:
        slots = {k: session.get(ShiftSlot, h[k]) for k in ("from_slot_id", "to_slot_id")}
        staff = {k: roster.slot_staff(session, h[k]) for k in ("from_slot_id", "to_slot_id")}
    names = {d.person_id: f"{d.display_name} ({d.username})" for v in staff.values() for d in v}
    return _render(
        request,
        "shifts/handover.html",
        status_code,
        h=h,
        slots=slots,
        staff=staff,
        names=names,
        local=_local(ctx),
        errors=list(errors),
        may_handover=principal.can(P.SHIFT_HANDOVER),
    )


@router.get("/shifts/handovers/{handover_id}", response_class=HTMLResponse)
def handover_page(request: Request, ctx: Ctx, principal: Reader, handover_id: int) -> Response:
    return _handover_page(request, ctx, principal, handover_id)


@router.post("/shifts/handovers/{handover_id}", response_class=HTMLResponse)
def handover_form(
    request: Request, ctx: Ctx, principal: Signer, handover_id: int, form: PostedForm
) -> Response:
    """The checklist form or a signature button; the service checks the signer again."""
    action = str(form.get("action") or "")
    version = int(str(form.get("version") or "0")) or None
    keys = [i["key"] for i in handover_json(ctx, handover_id)["checklist"]]
    checked = {k: form.get(f"item_{k}") == "on" for k in keys}
    notes = {k: str(form.get(f"note_{k}") or "") for k in keys}
    jobs: dict[str, Callable[[Any], object]] = {
        "check": lambda h: h.check(
            handover_id, checked, str(form.get("notes") or ""), notes, version
        ),
        "outgoing": lambda h: h.sign(handover_id, "outgoing", version),
        "incoming": lambda h: h.sign(handover_id, "incoming", version),
    }
    try:
        if action not in jobs:
            raise GwanjeError("shifts.error.invalid", detail="action")
        handing(ctx, request, principal, jobs[action])
    except GwanjeError as exc:
        errors = (_error(request, exc),)
        return _handover_page(request, ctx, principal, handover_id, exc.status, errors)
    return RedirectResponse(f"/shifts/handovers/{handover_id}", status_code=303)


@router.post("/shifts/tour", response_class=HTMLResponse)
def tour_form(request: Request, ctx: Ctx, principal: Touring, form: PostedForm) -> Response:
    visit = str(form.get("visit_id") or "").strip()
    try:
        with ctx.transaction() as session:
            tour.switch(
                session,
                ctx.clock,
                principal,
                form.get("active") == "on",
                str(form.get("reason") or ""),
                int(visit) if visit.isdigit() else None,
                client_ip(request),
            )
    except GwanjeError as exc:
        return _index(request, ctx, principal, exc.status, (_error(request, exc),))
    return RedirectResponse("/shifts", status_code=303)


@router.get("/shifts/flags", response_class=HTMLResponse)
def flags_page(
    request: Request, ctx: Ctx, principal: Manager, start: str = "", end: str = ""
) -> Response:
    zone = roster.zone(ctx.settings)
    today = ctx.clock.now().astimezone(zone).date()
    try:
        first = datetime.fromisoformat(start or (today - timedelta(days=7)).isoformat()).date()
        last = datetime.fromisoformat(end or today.isoformat()).date()
    except ValueError:
        first, last = today - timedelta(days=7), today
    lo = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    hi = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    with ctx.transaction() as session:
        found = flags.out_of_shift(session, ctx.settings, lo, hi)
        record(
            session,
            events.OutOfShiftViewed(
                actor=principal.actor,
                source_ip=client_ip(request),
                range_start=lo,
                range_end=hi,
                flags=len(found),
            ),
            ctx.clock,
        )
    return _render(
        request,
        "shifts/flags.html",
        flags=found,
        local=_local(ctx),
        start=first.isoformat(),
        end=last.isoformat(),
    )


def _log(
    request: Request, ctx: Ctx, principal: Principal, day: str, shift: str, fmt: str
) -> situation_log.SituationLog:
    with ctx.transaction() as session:
        log = situation_log.build(session, ctx.settings, ctx.clock, day, shift or None)
        situation_log.audit_generated(
            session, ctx.clock, log, shift or None, principal.actor, client_ip(request), fmt, "web"
        )
    return log


@router.get("/shifts/log", response_class=HTMLResponse)
def log_page(
    request: Request, ctx: Ctx, principal: Reader, day: str = "", shift: str = ""
) -> Response:
    day = day or ctx.clock.now().astimezone(roster.zone(ctx.settings)).date().isoformat()
    try:
        log = _log(request, ctx, principal, day, shift, "html")
    except GwanjeError as exc:
        return _render(
            request,
            "shifts/log.html",
            exc.status,
            log=None,
            day=day,
            shift=shift,
            errors=[_error(request, exc)],
            local=_local(ctx),
        )
    return _render(
        request, "shifts/log.html", log=log, day=day, shift=shift, errors=[], local=_local(ctx)
    )


@router.get("/shifts/log.pdf")
def log_pdf(request: Request, ctx: Ctx, principal: Reader, day: str, shift: str = "") -> Response:
    log = _log(request, ctx, principal, day, shift, "pdf")
    data = situation_log.render_pdf(log, ctx.settings, language_of(request))
    name = f"situation-log-{log.day}{'-' + shift if shift else ''}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
