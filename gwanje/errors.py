"""Errors a user can cause. Each carries an i18n key and parameters, never a raw string,
so the web layer can answer in the user's language (ko first, en second).
"""

from __future__ import annotations

from typing import Any


class GwanjeError(Exception):
    """Base of user-facing errors. `key` names a message in the i18n catalogs."""

    status = 400

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        from gwanje.i18n import translate

        return translate(self.key, "en", **self.params)


class InvalidInput(GwanjeError):
    status = 422


class NotFound(GwanjeError):
    status = 404


class Conflict(GwanjeError):
    status = 409


class Forbidden(GwanjeError):
    status = 403


class Unauthenticated(GwanjeError):
    status = 401
