"""Errors of the masking engine that a user (an officer, or the file given) can cause.

Each carries an i18n key (`gwanje/i18n/catalogs/masking.*.json`), so the review page can
answer in Korean or English. Errors of our own (a codec missing) are left to propagate.
"""

from __future__ import annotations

from gwanje.errors import Conflict, InvalidInput


class BadSource(InvalidInput):
    """The clip cannot be decoded, has no video, or has no frames."""


class BadPlan(InvalidInput):
    """A plan or an edit that does not fit its clip (box outside the frame, unknown track…)."""


class PlanMismatch(Conflict):
    """The plan was made for another file than the one given to `apply`."""


class UnsafeDestination(Conflict):
    """The output would overwrite a file (the source above all): refused."""
