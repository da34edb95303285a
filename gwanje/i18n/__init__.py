"""Translations: Korean first, English second.

Catalogs are JSON files in `catalogs/`, one pair per subsystem (`<name>.ko.json`,
`<name>.en.json`), merged at load. A key defined twice is an error; a test checks every
key exists in both languages and that placeholders match.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("ko", "en")
CATALOGS = Path(__file__).parent / "catalogs"


@cache
def catalog(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    merged: dict[str, str] = {}
    for path in sorted(CATALOGS.glob(f"*.{language}.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, value in entries.items():
            if key in merged:
                raise ValueError(f"i18n key {key!r} defined twice ({path.name})")
            merged[key] = value
    return merged


def translate(key: str, language: str = "ko", **params: Any) -> str:
    """The message for `key`; falls back to Korean, then to the key itself."""
    text = catalog(language).get(key) or catalog("ko").get(key) or key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError):
        return text
