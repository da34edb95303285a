"""Every subsystem's router, in one list (the only place that knows them all)."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    from gwanje.audit.web import router as audit_router
    from gwanje.auth.web import router as auth_router
    from gwanje.camhealth.web import router as health_router
    from gwanje.console.web import router as console_router
    from gwanje.governance.pages import router as request_pages
    from gwanje.governance.web import router as governance_router
    from gwanje.people.web import router as people_router
    from gwanje.registry.web import router as registry_router
    from gwanje.retention.web import router as retention_router
    from gwanje.web.pages import router as shell_router

    return [
        shell_router,
        auth_router,
        people_router,
        registry_router,
        retention_router,
        console_router,
        governance_router,
        request_pages,
        health_router,
        audit_router,
    ]
