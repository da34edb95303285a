"""URL helpers safe to use anywhere (no heavy imports): credentials never reach a log."""

from __future__ import annotations


def scrub_url(value: str) -> str:
    """The URL with any user information replaced by `***` (safe to log)."""
    head, sep, rest = value.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return value
    return f"{head}://***@{rest.split('@', 1)[1]}"
