"""Reading the JSON body of an API request: a JSON object, or a clear 422 in the calling
subsystem's own error message (`error_key` with `detail`). One place, so every API answers
a malformed body the same way instead of with a 500."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from gwanje.errors import InvalidInput


async def json_object(request: Request, error_key: str) -> dict[str, Any]:
    """The body as a dict; InvalidInput(error_key, detail=…) when it is not a JSON object."""
    try:
        data = await request.json()
    except ValueError:
        raise InvalidInput(error_key, detail="not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput(error_key, detail="not a JSON object")
    return data
