"""Pages and API of masked clips (제3자 마스킹) for granted data-subject viewings.

- `POST /subjects/{id}/masking` (form `item_id`): start a job for one camera item.
- `GET /subjects/{id}/masking/{job}`: the review page — frames with the boxes, the tracks
  with remove/restore, a form to add a box the officer draws by numbers (followed across
  frames), "검토 완료" (apply this plan), then the masked frames, the report, the
  download and "제공" (release to the subject).
- `GET /subjects/{id}/masking/{job}/frame/{n}.jpg?masked=1`: one frame for the page.
- `GET /subjects/{id}/masking/{job}/clip.mp4`: the masked clip (audited).
- `GET /api/subjects/{id}/masking/{job}`: the job as JSON (state, plan, report).

All need `subject_request.manage` and the request in the officer's scope; the service
checks again. The CPU work runs in `MaskingRunner` (one per web app, created on first
use, closed by the app's lifespan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, NotFound
from gwanje.governance.subjects.kinds import MaskingState
from gwanje.governance.subjects.masking import (
    ManualBox,
    MaskingJobs,
    MaskingRunner,
    job_dir,
    load_plan,
)
from gwanje.governance.subjects.models import MaskingJob
from gwanje.governance.subjects.pages import Manager, message
from gwanje.media.masking import Box, preview
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip

router = APIRouter()
TEMPLATES = Jinja2Templates(directory=[
    Path(__file__).parent / "templates", Path(__file__).parents[2] / "web" / "templates",
])  # fmt: skip
PREVIEWS = 6


def runner_of(app: FastAPI) -> MaskingRunner:
    runner = getattr(app.state, "masking", None)
    if runner is None:
        runner = MaskingRunner(app.state.ctx)
        app.state.masking = runner
    return runner


def close_runner(app: FastAPI) -> None:
    runner = getattr(app.state, "masking", None)
    if runner is not None:
        runner.close()
        app.state.masking = None


def _with(ctx: Gwanje, request: Request, principal: Principal, job: Any) -> Any:
    with ctx.transaction() as session:
        return job(MaskingJobs(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def describe_job(ctx: Gwanje, job: MaskingJob) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id, "request_id": job.request_id, "item_id": job.item_id,
        "camera_id": job.camera_id, "stream": job.stream, "state": job.state,
        "version": job.version, "frames": job.frames, "seconds": round(job.seconds, 2),
        "auto_tracks": job.auto_tracks, "plan_digest": job.plan_digest,
        "source_sha256": job.source_sha256, "output_sha256": job.output_sha256,
        "output_bytes": job.output_bytes, "masked_frames": job.masked_frames,
        "boxes": job.boxes, "cpu_seconds": round(job.cpu_seconds, 2),
        "cost_won": job.cost_won, "error": job.error, "tracks": [],
    }  # fmt: skip
    if job.plan_digest and (job_dir(ctx.settings, job.id) / "plan.json").exists():
        plan = load_plan(ctx.settings, job)
        data["tracks"] = [{"id": t.id, "origin": t.origin.value, "kind": t.kind,
                           "first": t.first, "last": t.last, "score": t.score,
                           "removed": t.removed} for t in plan.tracks]  # fmt: skip
    return data


def _checked(ctx: Gwanje, request: Request, principal: Principal, request_id: int,
             job_id: int) -> MaskingJob:  # fmt: skip
    """The job, if it belongs to this request and the principal may see the request
    (NotFound otherwise); detached from its session. Reads no plan."""

    def job(service: MaskingJobs) -> MaskingJob:
        row = service.get(job_id)
        if row.request_id != request_id:
            raise NotFound("subjects.error.masking_job", job_id=job_id)
        service.session.expunge(row)
        return row

    row: MaskingJob = _with(ctx, request, principal, job)
    return row


def _load(ctx: Gwanje, request: Request, principal: Principal, request_id: int,
          job_id: int) -> dict[str, Any]:  # fmt: skip
    return describe_job(ctx, _checked(ctx, request, principal, request_id, job_id))


@router.post("/subjects/{request_id}/masking", response_class=HTMLResponse)
def start(request: Request, ctx: Ctx, principal: Manager, request_id: int,
          form: PostedForm) -> Response:  # fmt: skip
    item = str(form.get("item_id") or "")
    if not item.isdigit():
        raise InvalidInput("subjects.error.masking_item", item_id=item)
    job = _with(ctx, request, principal, lambda s: s.start(request_id, int(item)).id)
    runner_of(request.app).prepare(job)
    return RedirectResponse(f"/subjects/{request_id}/masking/{job}", status_code=303)


def _page(request: Request, ctx: Ctx, principal: Principal, request_id: int, job_id: int,
          status_code: int = 200, error: str | None = None) -> Response:  # fmt: skip
    job = _load(ctx, request, principal, request_id, job_id)
    last = max(0, job["frames"] - 1)
    frames = sorted({round(last * n / (PREVIEWS - 1)) for n in range(PREVIEWS)}) if last else [0]
    running = job["state"] in (MaskingState.PREPARING, MaskingState.APPLYING)
    return render_with(TEMPLATES, request, "subjects/masking.html", status_code, job=job,
                       frames=frames, error=error, running=running)  # fmt: skip


@router.get("/subjects/{request_id}/masking/{job_id}", response_class=HTMLResponse)
def page(request: Request, ctx: Ctx, principal: Manager, request_id: int,
         job_id: int) -> Response:  # fmt: skip
    return _page(request, ctx, principal, request_id, job_id)


@router.get("/api/subjects/{request_id}/masking/{job_id}")
def job_json(request: Request, ctx: Ctx, principal: Manager, request_id: int,
             job_id: int) -> JSONResponse:  # fmt: skip
    return JSONResponse(_load(ctx, request, principal, request_id, job_id))


@router.get("/subjects/{request_id}/masking/{job_id}/frame/{frame}.jpg")
async def frame_jpeg(request: Request, ctx: Ctx, principal: Manager, request_id: int,
                     job_id: int, frame: int, masked: bool = False) -> Response:  # fmt: skip
    row = await run_in_threadpool(_checked, ctx, request, principal, request_id, job_id)
    if not row.plan_digest or not 0 <= frame < row.frames:
        raise NotFound("subjects.error.masking_job", job_id=job_id)

    def render() -> bytes:  # the plan is read once, here (a page asks for a dozen frames)
        plan = load_plan(ctx.settings, row)
        source = job_dir(ctx.settings, job_id) / "source.mp4"
        return preview(plan, source, [frame], masked=masked)[frame]

    return Response(await run_in_threadpool(render), media_type="image/jpeg",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/subjects/{request_id}/masking/{job_id}/clip.mp4")
def clip(request: Request, ctx: Ctx, principal: Manager, request_id: int,
         job_id: int) -> FileResponse:  # fmt: skip
    _checked(ctx, request, principal, request_id, job_id)
    path = _with(ctx, request, principal, lambda s: s.clip(job_id))
    return FileResponse(path, media_type="video/mp4",
                        filename=f"subject-{request_id}-masked-{job_id}.mp4")  # fmt: skip


@router.post("/subjects/{request_id}/masking/{job_id}/act", response_class=HTMLResponse)
def act(request: Request, ctx: Ctx, principal: Manager, request_id: int, job_id: int,
        form: PostedForm) -> Response:  # fmt: skip
    """One form per action; the button says which; the service checks again."""
    f = {k: str(v).strip() for k, v in form.items()}
    action = f.get("action", "")
    try:
        _checked(ctx, request, principal, request_id, job_id)
        if action == "add":
            manual = _manual(f)
            _with(ctx, request, principal, lambda s: s.edit_add(job_id, manual))
        elif action in ("remove", "restore"):
            _with(ctx, request, principal, lambda s: s.edit_remove(
                job_id, f.get("track", ""), restore=action == "restore"))  # fmt: skip
        elif action == "review":
            _with(ctx, request, principal, lambda s: s.review(job_id, f.get("digest", "")))
            runner_of(request.app).apply(job_id)
        elif action == "release":
            _with(ctx, request, principal, lambda s: s.release(job_id))
        else:
            raise InvalidInput("subjects.error.action")
    except GwanjeError as exc:
        error = message(exc, language_of(request))
        return _page(request, ctx, principal, request_id, job_id, exc.status, error)
    return RedirectResponse(f"/subjects/{request_id}/masking/{job_id}", status_code=303)


def _manual(f: dict[str, str]) -> ManualBox:
    names = ("frame", "x", "y", "w", "h", "last")
    if not all(f.get(n, "").isdigit() for n in names):
        raise InvalidInput(
            "subjects.error.masking_box", detail="whole numbers: " + ", ".join(names)
        )
    n = {k: int(f[k]) for k in names}
    if n["w"] <= 0 or n["h"] <= 0:
        raise InvalidInput("subjects.error.masking_box", detail="w, h > 0")
    box = Box(x=n["x"], y=n["y"], w=n["w"], h=n["h"])
    return ManualBox(n["frame"], box, n["last"], follow=f.get("follow") == "1")
