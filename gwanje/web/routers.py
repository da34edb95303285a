"""Every subsystem's router, in one list (the only place that knows them all)."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    from gwanje.audit.web import router as audit_router
    from gwanje.auth.web import router as auth_router
    from gwanje.camhealth.web import router as health_router
    from gwanje.console.web import router as console_router
    from gwanje.governance.pages import router as request_pages
    from gwanje.governance.plans_pages import router as plan_pages
    from gwanje.governance.subjects.masking_web import router as masking_pages
    from gwanje.governance.subjects.pages import router as subject_pages
    from gwanje.governance.subjects.web import router as subject_api
    from gwanje.governance.web import router as governance_router
    from gwanje.ledgers.web import router as ledgers_router
    from gwanje.operations.bells_web import router as bells_router
    from gwanje.operations.pages import router as incident_pages
    from gwanje.operations.web import router as operations_router
    from gwanje.people.web import router as people_router
    from gwanje.ptz.web import router as ptz_router
    from gwanje.registry.web import router as registry_router
    from gwanje.reports.web import router as reports_router
    from gwanje.retention.web import router as retention_router
    from gwanje.sharing.federation_web import router as federation_router
    from gwanje.sharing.web import router as sharing_router
    from gwanje.shifts.pages import router as shift_pages
    from gwanje.shifts.web import router as shifts_router
    from gwanje.web.pages import router as shell_router

    return [
        shell_router,
        auth_router,
        people_router,
        registry_router,
        retention_router,
        console_router,
        ptz_router,
        governance_router,
        request_pages,
        plan_pages,
        operations_router,
        incident_pages,
        bells_router,
        ledgers_router,
        subject_api,
        subject_pages,
        masking_pages,
        health_router,
        audit_router,
        reports_router,
        shifts_router,
        shift_pages,
        sharing_router,
        federation_router,
    ]
