"""HTTP routes of the registry subsystem: HTML pages (/cameras, /cameras/map, /policy)
and the JSON API (/api/cameras, /api/bells).

Invariants:
- every route has a guard; camera-specific work goes through `Registry`, which checks
  scope (`may_touch_camera`), and `registry_transaction`, which audits out-of-scope
  attempts and refused transitions even though the request's transaction rolls back;
- responses are built from `CameraPublic` only, which has no credential fields;
- form fields carry the schema's names, so HTML forms and the JSON API validate alike.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import Conflict, GwanjeError, InvalidInput
from gwanje.i18n import translate
from gwanje.registry import importer
from gwanje.registry.lifecycle import Action, TransitionBlocked, localize
from gwanje.registry.models import Camera, CameraStatus
from gwanje.registry.policy import build_policy
from gwanje.registry.purposes import Purpose, effective_purposes_of
from gwanje.registry.schemas import (
    BellCreate,
    BellPublic,
    CameraCreate,
    CameraPublic,
    CameraUpdate,
    MaintenanceCreate,
    TransitionInput,
)
from gwanje.registry.service import CameraFilter, Registry, registry_transaction
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render
from gwanje.web.security import client_ip, public, requires

router = APIRouter()

Reader = Annotated[Principal, requires(P.CAMERA_READ)]
Writer = Annotated[Principal, requires(P.CAMERA_WRITE)]
Lifecycler = Annotated[Principal, requires(P.CAMERA_LIFECYCLE)]
Importer = Annotated[Principal, requires(P.CAMERA_IMPORT)]
BellWriter = Annotated[Principal, requires(P.BELL_WRITE)]
CREDENTIAL_FIELDS = ("stream_username", "stream_password")
BOOL_FIELDS = ("std_standard_product", "std_multi_purpose", "std_integrable")


def _registry(ctx: Ctx, session: Any, principal: Principal, request: Request) -> Registry:
    return Registry(session, ctx.settings, ctx.clock, principal, client_ip(request))


def _blocked(exc: TransitionBlocked, lang: str) -> Conflict:
    """The refusal with every missing item translated into the reader's language."""
    missing = ", ".join(translate(m, lang) for m in exc.missing)
    action = translate(f"registry.action.{exc.action.value}", lang)
    return Conflict("registry.error.transition_blocked", action=action, missing=missing)


def _filter(
    q: str | None,
    district: str | None,
    department: int | None,
    purpose: str | None,
    status: str | None,
    flag: str | None,
) -> CameraFilter:
    try:
        return CameraFilter(
            text=q or None,
            district=district or None,
            department_id=department,
            purpose=Purpose(purpose) if purpose else None,
            status=CameraStatus(status) if status else None,
            flag=flag or None,
        )
    except ValueError as exc:
        raise InvalidInput("registry.error.filter") from exc


# ---- HTML pages ----------------------------------------------------------------------
@router.get("/cameras", response_class=HTMLResponse)
def camera_list(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    q: str | None = None,
    district: str | None = None,
    department: Annotated[int | None, Query()] = None,
    purpose: str | None = None,
    status: str | None = None,
    flag: str | None = None,
) -> Response:
    flt = _filter(q, district, department, purpose, status, flag)
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        cameras = [reg.public(c) for c in reg.search(flt)]
        return render(
            request,
            "registry/list.html",
            cameras=cameras,
            flt=flt,
            districts=reg.districts(),
            departments=reg.departments(),
            purposes=list(Purpose),
            statuses=list(CameraStatus),
            flags=("no_signage", "unlinked", "unlinked_no_reason", "end_of_life"),
        )


@router.get("/cameras/map", response_class=HTMLResponse)
def camera_map(request: Request, ctx: Ctx, principal: Reader) -> Response:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        cameras = reg.search(CameraFilter(limit=5000))
        return render(
            request,
            "registry/map.html",
            map=map_layout(cameras),
            tile_url=ctx.settings.registry.map_tile_url,
            statuses=list(CameraStatus),
        )


@router.get("/cameras/new", response_class=HTMLResponse)
def camera_new_form(request: Request, ctx: Ctx, principal: Writer) -> Response:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        return _form(request, reg, None, {}, [])


@router.post("/cameras/new", response_class=HTMLResponse)
def camera_create(request: Request, ctx: Ctx, principal: Writer, form: PostedForm) -> Response:
    values = _form_values(form, editing=False)
    try:
        with registry_transaction(ctx) as session:
            camera = _registry(ctx, session, principal, request).create(
                CameraCreate.model_validate(values)
            )
            camera_id = camera.id
    except (ValidationError, InvalidInput) as exc:
        return _form_error(request, ctx, principal, None, values, exc)
    return RedirectResponse(f"/cameras/{camera_id}", status_code=303)


@router.get("/cameras/import", response_class=HTMLResponse)
def camera_import_form(request: Request, principal: Importer) -> Response:
    return render(request, "registry/import.html", report=None, columns=importer.COLUMNS)


@router.post("/cameras/import", response_class=HTMLResponse)
def camera_import(
    request: Request,
    ctx: Ctx,
    principal: Importer,
    file: UploadFile,
    form: PostedForm,
    dry_run: bool = False,
) -> Response:
    content = file.file.read(20 * 1024 * 1024 + 1)
    if len(content) > 20 * 1024 * 1024:
        raise InvalidInput("registry.import.too_large")
    report = importer.import_inventory(
        ctx,
        principal,
        file.filename or "upload.csv",
        content,
        dry_run=dry_run or form.get("dry_run") == "on",
        language=language_of(request),
    )
    status = 200 if report.ok else 422
    return render(
        request, "registry/import.html", status_code=status, report=report, columns=importer.COLUMNS
    )


@router.get("/cameras/bells", response_class=HTMLResponse)
def bell_list(request: Request, ctx: Ctx, principal: Reader) -> Response:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        return render(request, "registry/bells.html", bells=reg.bells(), errors=[])


@router.post("/cameras/bells", response_class=HTMLResponse)
def bell_create(request: Request, ctx: Ctx, principal: BellWriter, form: PostedForm) -> Response:
    values: dict[str, Any] = {
        k: _str(v) for k, v in form.items() if k not in ("csrf_token", "camera_codes")
    }
    values = {k: v for k, v in values.items() if v is not None}
    codes = [c.strip() for c in str(form.get("camera_codes") or "").split(",") if c.strip()]
    try:
        with registry_transaction(ctx) as session:
            reg = _registry(ctx, session, principal, request)
            values["camera_ids"] = [_camera_id(reg, code) for code in codes]
            reg.save_bell(BellCreate.model_validate(values))
    except (ValidationError, InvalidInput) as exc:
        with registry_transaction(ctx) as session:
            reg = _registry(ctx, session, principal, request)
            errors = (
                [_validation_text(exc)]
                if isinstance(exc, ValidationError)
                else [localize(exc, language_of(request))]
            )
            return render(
                request, "registry/bells.html", status_code=422, bells=reg.bells(), errors=errors
            )
    return RedirectResponse("/cameras/bells", status_code=303)


def _camera_id(reg: Registry, code: str) -> int:
    camera = reg.by_code(code)
    if camera is None:
        raise InvalidInput("registry.error.camera_code_unknown", code=code)
    return camera.id


@router.get("/cameras/{camera_id}", response_class=HTMLResponse)
def camera_detail(request: Request, ctx: Ctx, principal: Reader, camera_id: int) -> Response:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        camera = reg.get(camera_id)
        now = ctx.clock.now()
        exemption = (
            session.get(Camera, camera.exemption_camera_id) if camera.exemption_camera_id else None
        )
        return render(
            request,
            "registry/detail.html",
            camera=reg.public(camera),
            actions=reg.allowed_actions(camera),
            effective=effective_purposes_of(camera.purposes, now, ctx.settings.registry),
            settings=ctx.settings.registry,
            bells=reg.bells(camera),
            maintenance=reg.maintenance(camera),
            exemption=exemption,
            department=camera.department,
        )


@router.get("/cameras/{camera_id}/edit", response_class=HTMLResponse)
def camera_edit_form(request: Request, ctx: Ctx, principal: Writer, camera_id: int) -> Response:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        camera = reg.get(camera_id, action="update")
        return _form(request, reg, camera, _values_of(camera, reg), [])


@router.post("/cameras/{camera_id}/edit", response_class=HTMLResponse)
def camera_update(
    request: Request, ctx: Ctx, principal: Writer, camera_id: int, form: PostedForm
) -> Response:
    values = _form_values(form, editing=True)
    try:
        with registry_transaction(ctx) as session:
            _registry(ctx, session, principal, request).update(
                camera_id, CameraUpdate.model_validate(values)
            )
    except (ValidationError, InvalidInput) as exc:
        return _form_error(request, ctx, principal, camera_id, values, exc)
    return RedirectResponse(f"/cameras/{camera_id}", status_code=303)


@router.post("/cameras/{camera_id}/transition")
def camera_transition(
    request: Request, ctx: Ctx, principal: Lifecycler, camera_id: int, form: PostedForm
) -> Response:
    data = TransitionInput(
        action=str(form.get("action", "")),
        reason=_str(form.get("reason")),
        note=_str(form.get("note")),
    )
    _transition(request, ctx, principal, camera_id, data)
    return RedirectResponse(f"/cameras/{camera_id}", status_code=303)


@router.post("/cameras/{camera_id}/maintenance")
def camera_maintenance(
    request: Request, ctx: Ctx, principal: Writer, camera_id: int, form: PostedForm
) -> Response:
    values = {k: v for k, v in form.items() if k != "csrf_token" and v != ""}
    try:
        data = MaintenanceCreate.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput("error.invalid", detail=_validation_text(exc)) from exc
    with registry_transaction(ctx) as session:
        _registry(ctx, session, principal, request).add_maintenance(camera_id, data)
    return RedirectResponse(f"/cameras/{camera_id}", status_code=303)


@router.get("/policy", response_class=HTMLResponse, dependencies=[public()])
def policy_page(request: Request, ctx: Ctx, lang: str | None = None) -> Response:
    language = lang if lang in ("ko", "en") else language_of(request)
    with ctx.transaction() as session:
        document = build_policy(session, ctx.settings, ctx.clock.now(), language)
    return render(request, "registry/policy.html", policy=document, policy_lang=language)


# ---- JSON API ------------------------------------------------------------------------
@router.get("/api/cameras")
def api_list(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    q: str | None = None,
    district: str | None = None,
    department: int | None = None,
    purpose: str | None = None,
    status: str | None = None,
    flag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CameraPublic]:
    flt = _filter(q, district, department, purpose, status, flag)
    flt.limit, flt.offset = limit, offset
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        return [reg.public(c) for c in reg.search(flt)]


@router.get("/api/cameras/{camera_id}")
def api_detail(request: Request, ctx: Ctx, principal: Reader, camera_id: int) -> CameraPublic:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        return reg.public(reg.get(camera_id))


@router.post("/api/cameras", status_code=201)
def api_create(request: Request, ctx: Ctx, principal: Writer, data: CameraCreate) -> CameraPublic:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        return reg.public(reg.create(data))


@router.patch("/api/cameras/{camera_id}")
def api_update(
    request: Request, ctx: Ctx, principal: Writer, camera_id: int, data: CameraUpdate
) -> CameraPublic:
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        camera, _ = reg.update(camera_id, data)
        return reg.public(camera)


@router.post("/api/cameras/{camera_id}/transition")
def api_transition(
    request: Request,
    ctx: Ctx,
    principal: Lifecycler,
    camera_id: int,
    data: Annotated[TransitionInput, Body()],
) -> Response:
    try:
        camera = _transition(request, ctx, principal, camera_id, data)
    except Conflict as exc:
        missing = getattr(exc, "missing_keys", [])
        lang = language_of(request)
        return JSONResponse(
            {
                "error": exc.key,
                "message": translate(exc.key, lang, **exc.params),
                "missing": missing,
            },
            status_code=409,
        )
    return JSONResponse(camera.model_dump(mode="json"))


@router.get("/api/bells")
def api_bells(request: Request, ctx: Ctx, principal: Reader) -> list[BellPublic]:
    with registry_transaction(ctx) as session:
        return [BellPublic.of(b) for b in _registry(ctx, session, principal, request).bells()]


@router.post("/api/bells", status_code=201)
def api_bell_create(
    request: Request, ctx: Ctx, principal: BellWriter, data: BellCreate
) -> BellPublic:
    with registry_transaction(ctx) as session:
        return BellPublic.of(_registry(ctx, session, principal, request).save_bell(data))


@router.put("/api/bells/{bell_id}")
def api_bell_update(
    request: Request, ctx: Ctx, principal: BellWriter, bell_id: int, data: BellCreate
) -> BellPublic:
    with registry_transaction(ctx) as session:
        return BellPublic.of(_registry(ctx, session, principal, request).save_bell(data, bell_id))


# ---- helpers -------------------------------------------------------------------------
def _transition(
    request: Request, ctx: Ctx, principal: Principal, camera_id: int, data: TransitionInput
) -> CameraPublic:
    try:
        action = Action(data.action)
    except ValueError as exc:
        raise InvalidInput("registry.error.action_unknown", action=data.action) from exc
    try:
        with registry_transaction(ctx) as session:
            reg = _registry(ctx, session, principal, request)
            return reg.public(reg.transition(camera_id, action, data.reason, data.note))
    except TransitionBlocked as exc:
        error = _blocked(exc, language_of(request))
        error.missing_keys = exc.missing  # type: ignore[attr-defined]
        raise error from exc


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _form_values(form: Any, editing: bool) -> dict[str, Any]:
    """Form fields → schema input: blanks are null, checkboxes are booleans; blank
    credential fields on an edit mean "keep" and are dropped."""
    values: dict[str, Any] = {}
    for key in set(form.keys()) - {"csrf_token"}:
        if key == "purposes":
            values[key] = [v for v in form.getlist(key) if v]
        elif key == "privacy_masks":
            values[key] = _masks(form.get(key))
        elif key not in BOOL_FIELDS:
            values[key] = _str(form.get(key))
    for key in BOOL_FIELDS:
        values[key] = form.get(key) in ("on", "true", "1")
    if "department_id" in values and values["department_id"] is not None:
        values["department_id"] = (
            int(values["department_id"]) if str(values["department_id"]).isdigit() else -1
        )
    values.setdefault("purposes", [])
    if editing:
        for key in CREDENTIAL_FIELDS:
            if values.get(key) is None:
                values.pop(key, None)
        values.pop("code", None)
    return values


def _masks(raw: Any) -> Any:
    import json

    text = _str(raw)
    if text is None:
        return []
    try:
        return json.loads(text)
    except ValueError:
        return text  # the schema refuses it with a clear message


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _form_error(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    camera_id: int | None,
    values: dict[str, Any],
    exc: Exception,
) -> Response:
    lang = language_of(request)
    if isinstance(exc, ValidationError):
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    else:
        assert isinstance(exc, GwanjeError)
        errors = [localize(exc, lang)]
    for key in CREDENTIAL_FIELDS:  # never echo a credential back into the page
        values.pop(key, None)
    with registry_transaction(ctx) as session:
        reg = _registry(ctx, session, principal, request)
        camera = reg.get(camera_id, action="update") if camera_id is not None else None
        return _form(request, reg, camera, values, errors, status_code=422)


def _form(
    request: Request,
    reg: Registry,
    camera: Camera | None,
    values: dict[str, Any],
    errors: list[str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/form.html",
        status_code=status_code,
        camera=camera,
        values=values,
        errors=errors,
        departments=reg.departments(),
        purposes=list(Purpose),
    )


def _values_of(camera: Camera, reg: Registry) -> dict[str, Any]:
    import json

    public = reg.public(camera).model_dump(mode="json")
    public["privacy_masks"] = json.dumps(public["privacy_masks"]) if public["privacy_masks"] else ""
    if camera.exemption_camera_id:
        other = reg.session.get(Camera, camera.exemption_camera_id)
        public["exemption_camera_code"] = other.code if other else None
    return public


def map_layout(cameras: list[Camera], width: int = 960, height: int = 640) -> dict[str, Any]:
    """Project cameras onto an SVG canvas from their bounding box (equirectangular,
    longitude scaled by cos(latitude)); district labels sit at their cameras' centroid."""
    placed = [c for c in cameras if c.latitude is not None and c.longitude is not None]
    if not placed:
        return {"width": width, "height": height, "points": [], "labels": [], "grid": []}
    lats = [c.latitude for c in placed if c.latitude is not None]
    lons = [c.longitude for c in placed if c.longitude is not None]
    pad = 0.01
    south, north, west, east = min(lats) - pad, max(lats) + pad, min(lons) - pad, max(lons) + pad
    kx = math.cos(math.radians((south + north) / 2))
    scale = min((width - 40) / ((east - west) * kx), (height - 40) / (north - south))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 20 + (lon - west) * kx * scale, 20 + (north - lat) * scale

    points = []
    for camera in placed:
        x, y = xy(camera.latitude or 0.0, camera.longitude or 0.0)
        points.append(
            {
                "id": camera.id,
                "code": camera.code,
                "name": camera.name,
                "x": round(x, 1),
                "y": round(y, 1),
                "status": camera.status,
            }
        )
    labels = []
    for district in sorted({c.district for c in placed}):
        group = [c for c in placed if c.district == district]
        lat = sum(c.latitude or 0.0 for c in group) / len(group)
        lon = sum(c.longitude or 0.0 for c in group) / len(group)
        x, y = xy(lat, lon)
        labels.append({"name": district, "x": round(x, 1), "y": round(y - 10, 1)})
    grid = [round(xy(south + (north - south) * i / 6, west)[1], 1) for i in range(7)]
    return {
        "width": width,
        "height": height,
        "points": points,
        "labels": labels,
        "grid": grid,
        "bounds": [round(v, 4) for v in (south, west, north, east)],
    }
