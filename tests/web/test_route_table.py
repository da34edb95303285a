"""Deny by default: every route declares a guard, and docs/routes.md is current."""

from __future__ import annotations

from pathlib import Path

from gwanje.cli.docs import routes_markdown
from gwanje.web.security import UNDECLARED

ROUTES_DOC = Path(__file__).parents[2] / "docs" / "routes.md"


def test_every_route_declares_a_guard() -> None:
    table = routes_markdown()
    undeclared = [line for line in table.splitlines() if UNDECLARED in line]
    assert undeclared == [], "routes without requires()/public()/authenticated()"


def test_committed_route_table_is_current() -> None:
    assert ROUTES_DOC.read_text(encoding="utf-8") == routes_markdown(), (
        "docs/routes.md is stale: run `gwanje docs routes`"
    )


def test_table_covers_every_openapi_operation() -> None:
    from gwanje.cli.docs import _test_app

    app = _test_app()
    table = routes_markdown()
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            assert f"| {method.upper()} | `{path}` |" in table, (method, path)
