"""Every message exists in Korean and English with the same placeholders."""

from __future__ import annotations

import re
import string

from gwanje.i18n import catalog, translate


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys() -> None:
    ko, en = catalog("ko"), catalog("en")
    assert sorted(set(ko) - set(en)) == [], "keys missing in English"
    assert sorted(set(en) - set(ko)) == [], "keys missing in Korean"


def test_placeholders_match() -> None:
    ko, en = catalog("ko"), catalog("en")
    mismatched = [k for k in ko if _fields(ko[k]) != _fields(en[k])]
    assert mismatched == []


def test_korean_catalog_is_korean() -> None:
    hangul = re.compile("[가-힣]")
    ko = catalog("ko")
    assert sum(1 for v in ko.values() if hangul.search(v)) > len(ko) // 2


def test_translate_formats_and_falls_back() -> None:
    assert translate("error.forbidden", "en", permission="camera.write").endswith("camera.write")
    assert translate("no.such.key", "en") == "no.such.key"
