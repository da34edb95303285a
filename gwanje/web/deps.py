"""Typed request dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from gwanje.context import Gwanje


def get_ctx(request: Request) -> Gwanje:
    ctx: Gwanje = request.app.state.ctx
    return ctx


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed if the handler returns, else rolled back."""
    with get_ctx(request).transaction() as session:
        yield session


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop so the handler itself can be a plain
    `def`: FastAPI runs those in the thread pool, where blocking database work belongs."""
    return await request.form()


Ctx = Annotated[Gwanje, Depends(get_ctx)]
PostedForm = Annotated[FormData, Depends(read_form)]
DbSession = Annotated[Session, Depends(get_db)]
