"""Generated reference documents stay current, and the compliance matrix is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gwanje.cli.docs import permissions_markdown

ROOT = Path(__file__).parents[2]
REQUIREMENTS = ROOT / "docs" / "ordinance" / "REQUIREMENTS.md"
SHARED_REQUIREMENTS = ROOT.parent / "shared" / "ordinance" / "REQUIREMENTS.md"
COMPLIANCE = ROOT / "docs" / "compliance.md"


def requirement_ids() -> list[str]:
    text = REQUIREMENTS.read_text(encoding="utf-8")
    return re.findall(r"^- ((?:ORD|PIPA)-[0-9.]+)", text, flags=re.MULTILINE)


def compliance_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in COMPLIANCE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"(ORD|PIPA)-[0-9.]+", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_permissions_doc_is_current() -> None:
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert committed == permissions_markdown(), "run `gwanje docs permissions`"


def test_vendored_requirements_match_shared() -> None:
    if not SHARED_REQUIREMENTS.exists():
        pytest.skip("no ../shared checkout beside this one")
    assert REQUIREMENTS.read_text() == SHARED_REQUIREMENTS.read_text()


def test_every_requirement_is_in_the_compliance_matrix() -> None:
    ids = requirement_ids()
    assert len(ids) == 63
    missing = [i for i in ids if i not in compliance_rows()]
    assert missing == []


def test_compliance_rows_name_existing_code_and_tests() -> None:
    """A row marked done or partial must point at code and tests that exist."""
    problems: list[str] = []
    for rid, cells in compliance_rows().items():
        status = cells[-1].lower()
        if not status.startswith(("done", "partial")):
            assert status.startswith("planned"), f"{rid}: status must be done/partial/planned"
            continue
        for ref in re.findall(r"`([\w/.]+\.py)(?:::\w+)?`", " ".join(cells[2:4])):
            if not (ROOT / ref).exists():
                problems.append(f"{rid}: {ref} does not exist")
        if not re.search(r"`tests/[\w/.]+\.py", cells[3]):
            problems.append(f"{rid}: marked {status} without a test")
    assert problems == []
