"""Reading the requirement list and the compliance matrix for the inspection report.

Owns no data: `docs/ordinance/REQUIREMENTS.md` gives every requirement ID and its text,
`docs/compliance.md` (the ID → code → test map the project keeps current) gives each
ID's status. They are parsed, never copied, so the report cannot drift from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gwanje.errors import GwanjeError
from gwanje.reports.inspection.base import Status
from gwanje.settings import Settings

ID_LINE = re.compile(r"^- ((?:ORD|PIPA)-[0-9.]+) (.*)$", re.MULTILINE)
ID_CELL = re.compile(r"(ORD|PIPA)-[0-9.]+")
TEST_REF = re.compile(r"`(tests/[^`]+)`(::[\w:, ]+)?")
MATRIX_STATUS = {"done": Status.IMPLEMENTED, "partial": Status.PARTIAL, "planned": Status.PLANNED}


class DocsMissing(GwanjeError):
    status = 500

    def __init__(self, path: Path) -> None:
        super().__init__("reports.error.docs_missing", path=str(path))


@dataclass(frozen=True)
class Requirement:
    rid: str
    text: str


@dataclass(frozen=True)
class MatrixRow:
    rid: str
    status: Status
    status_text: str  # the matrix's own words ("partial: ...")
    tests: tuple[str, ...]


def docs_dir(settings: Settings) -> Path:
    if settings.reports.docs_dir is not None:
        return settings.reports.docs_dir
    return Path(__file__).resolve().parents[3] / "docs"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocsMissing(path) from exc


def requirements(settings: Settings) -> list[Requirement]:
    """Every requirement ID with its text, in the order of REQUIREMENTS.md."""
    text = _read(docs_dir(settings) / "ordinance" / "REQUIREMENTS.md")
    return [Requirement(m.group(1), m.group(2).strip()) for m in ID_LINE.finditer(text)]


def _tests(cell: str) -> tuple[str, ...]:
    found = []
    for path, names in TEST_REF.findall(cell):
        found.append(path + (names or ""))
    return tuple(found)


def matrix(settings: Settings) -> dict[str, MatrixRow]:
    """The compliance matrix by ID: status (done/partial/planned) and the tests named."""
    rows: dict[str, MatrixRow] = {}
    for line in _read(docs_dir(settings) / "compliance.md").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not ID_CELL.fullmatch(cells[0]):
            continue
        word = cells[-1].split(":")[0].split("(")[0].split()[0].lower() if cells[-1] else ""
        status = MATRIX_STATUS.get(word, Status.PLANNED)
        rows[cells[0]] = MatrixRow(cells[0], status, cells[-1], _tests(cells[3]))
    return rows
