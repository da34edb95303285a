"""The FastAPI application factory.

Routers come from each subsystem (`gwanje/<subsystem>/web.py`); this module only wires
them, the auth middleware, static files and the error handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from gwanje import __version__
from gwanje.auth import middleware as auth_middleware
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, Unauthenticated
from gwanje.i18n import translate
from gwanje.web import routers
from gwanje.web.render import language_of, render

log = logging.getLogger(__name__)
STATIC = __file__.rsplit("/", 1)[0] + "/static"


@asynccontextmanager
async def _background_jobs(app: FastAPI) -> AsyncIterator[None]:
    """Timed jobs that belong to the always-running web process: ORD-28.3 recalls, the
    notification outbox (ORD-20.4) with its MQTT acknowledgement listener, bell presses
    over MQTT (ORD-2.7), PTZ cameras
    going home after idle."""
    from gwanje.camhealth.reminders import remind_forever as ticket_reminders
    from gwanje.governance.jobs import sweep_forever
    from gwanje.governance.subjects.masking import fail_interrupted
    from gwanje.governance.subjects.masking_web import close_runner
    from gwanje.operations.bells import end_overdue_forever as end_overdue_calls
    from gwanje.operations.bells_mqtt import BellListener
    from gwanje.operations.notify.dispatcher import AckListener, Dispatcher
    from gwanje.operations.snapshots import sweep_forever as snapshot_sweep
    from gwanje.ptz import jobs as ptz_jobs
    from gwanje.ptz.web import close_connector, connector_of

    ctx = app.state.ctx
    await run_in_threadpool(fail_interrupted, ctx)  # jobs a stopped process left running
    dispatcher = Dispatcher(ctx)
    listener = AckListener(ctx) if ctx.settings.operations.mqtt_url else None
    with_bells = ctx.settings.operations.mqtt_url and ctx.settings.bells.mqtt
    bell_listener = BellListener(ctx) if with_bells else None  # ORD-2.7 presses over MQTT
    tasks = [
        asyncio.create_task(sweep_forever(ctx), name="governance-sweep"),
        asyncio.create_task(dispatcher.run_forever(), name="notification-dispatcher"),
        asyncio.create_task(ticket_reminders(ctx), name="maintenance-reminders"),
        asyncio.create_task(end_overdue_calls(ctx), name="bell-call-limit"),
        asyncio.create_task(snapshot_sweep(ctx), name="incident-snapshots"),  # after commit
        asyncio.create_task(
            ptz_jobs.sweep_forever(ctx, lambda: connector_of(app)), name="ptz-sweep"
        ),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        dispatcher.close()
        if listener is not None:
            listener.close()
        if bell_listener is not None:
            bell_listener.close()
        close_connector(app)
        await run_in_threadpool(close_runner, app)


def create_app(ctx: Gwanje) -> FastAPI:
    app = FastAPI(
        lifespan=_background_jobs,
        title="Gwanje",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    if ctx.settings.shifts.alarms_on_duty_only:  # who hears bell alarms (operations.alarms)
        from gwanje.shifts.alarm_audience import OnDutyWalls

        app.state.alarm_audience = OnDutyWalls(ctx.clock)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in routers.all_routers():
        app.include_router(router)
    auth_middleware.install(app, ctx)
    _install_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GwanjeError)
    async def _gwanje_error(request: Request, exc: GwanjeError) -> Response:
        lang = language_of(request)
        message = translate(exc.key, lang, **exc.params)
        if _wants_json(request):
            return JSONResponse({"error": exc.key, "message": message}, status_code=exc.status)
        if isinstance(exc, Unauthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(request, "error.html", status_code=exc.status, message=message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        message = translate("error.invalid", language_of(request), detail=detail)
        if _wants_json(request):
            return JSONResponse({"error": "error.invalid", "message": message}, status_code=422)
        return render(request, "error.html", status_code=422, message=message)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        log.exception("unhandled error ref=%s path=%s", ref, request.url.path)
        message = translate("error.internal", language_of(request), ref=ref)
        if _wants_json(request):
            return JSONResponse({"error": "error.internal", "message": message}, status_code=500)
        return render(request, "error.html", status_code=500, message=message)
