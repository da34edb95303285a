"""The committed audit event catalogue is current and every event is described."""

from __future__ import annotations

from pathlib import Path

from gwanje.audit.catalog import load_all_events, render_events_markdown

DOC = Path(__file__).parents[2] / "docs" / "audit-events.md"


def test_every_event_has_a_bilingual_description() -> None:
    for name, cls in load_all_events().items():
        assert cls.__dict__.get("description"), f"{name} lacks a description"
        assert " / " in cls.description, f"{name}: description must be '한국어 / English'"
        assert cls.__doc__, f"{name} lacks a docstring"


def test_committed_catalogue_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_events_markdown(), (
        "docs/audit-events.md is stale: run `gwanje audit events-doc`"
    )


def test_catalogue_lists_the_audit_and_auth_events() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("audit.viewed", "audit.verified", "auth.permission_denied"):
        assert f"`{name}`" in text
