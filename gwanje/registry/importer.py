"""Import of an existing camera inventory (CSV or XLSX) into the registry.

Accepted encodings: UTF-8 with or without BOM, and CP949/EUC-KR (what Korean office
software writes). Headers may be the English field names or the Korean ones in
`COLUMNS` (관리번호, 설치장소, 설치목적, ...); see docs in the sample file
`samples/cameras.csv`.

Invariants:
- all or nothing: every row is validated by really creating it inside one transaction
  (a savepoint per row, so one bad row does not hide the next one's errors); if any row
  fails, the whole transaction rolls back and nothing is written;
- the report names every bad row with its spreadsheet row number (header = row 1), the
  column as written in the file, and a message;
- a successful import writes one `camera.imported` audit event with the count.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select

from gwanje.audit import Outcome, record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, GwanjeError, InvalidInput
from gwanje.i18n import translate
from gwanje.people.models import Department
from gwanje.registry import events
from gwanje.registry.lifecycle import localize
from gwanje.registry.models import CameraStatus, UnlinkedReason
from gwanje.registry.schemas import CameraCreate
from gwanje.registry.service import Registry

# field name -> accepted headers (the field name itself is always accepted too).
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("관리번호",),
    "name": ("명칭", "카메라명"),
    "district": ("읍면동", "행정동"),
    "address": ("설치장소", "주소"),
    "latitude": ("위도",),
    "longitude": ("경도",),
    "department": ("관리부서", "부서"),
    "installer_body": ("설치주체",),
    "installer_reason": ("설치사유",),
    "purposes": ("설치목적", "목적"),
    "status": ("상태",),
    "std_standard_product": ("표준제품",),
    "std_multi_purpose": ("다목적",),
    "std_integrable": ("통합연계가능",),
    "install_contractor": ("설치업체",),
    "install_contractor_reg_no": ("업체등록번호", "정보통신공사업등록번호"),
    "consultation_date": ("의견수렴일",),
    "consultation_experts": ("전문가의견",),
    "consultation_residents": ("주민의견",),
    "exemption_camera_code": ("면제근거카메라",),
    "signage_installed_on": ("안내판설치일",),
    "signage_purpose": ("안내판목적",),
    "signage_location": ("안내판장소",),
    "signage_range": ("촬영범위",),
    "signage_hours": ("촬영시간",),
    "signage_manager_name": ("관리책임자",),
    "signage_manager_contact": ("관리책임자연락처",),
    "signage_contractor_name": ("위탁업체",),
    "signage_contractor_contact": ("위탁업체연락처",),
    "unlinked_reason": ("미연계사유",),
    "unlinked_note": ("미연계사유상세",),
    "main_stream_url": ("메인스트림",),
    "sub_stream_url": ("서브스트림",),
    "stream_username": ("계정",),
    "stream_password": ("비밀번호",),
    "onvif_url": ("ONVIF",),
    "model": ("모델명",),
    "firmware_version": ("펌웨어",),
    "kc_cert_no": ("KC인증번호",),
    "security_cert_no": ("보안인증번호",),
    "installed_on": ("설치일",),
    "end_of_life_on": ("내용연수만료일",),
}
REQUIRED = ("code", "name", "district", "address", "department", "installer_body", "purposes")
_HEADER_TO_FIELD = {
    alias.replace(" ", "").lower(): name
    for name, aliases in COLUMNS.items()
    for alias in (name, *aliases)
}
_BOOLS = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "예": True,
    "o": True,
    "적합": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
    "아니오": False,
    "x": False,
    "부적합": False,
}
_STATUSES = {
    "planned": "planned",
    "계획": "planned",
    "consulted": "consulted",
    "의견수렴": "consulted",
    "installed": "installed",
    "설치": "installed",
    "linked": "linked",
    "연계": "linked",
}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number (header is row 1); 0 = the file itself
    column: str
    message: str


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Abort(Exception):
    """Rolls the import transaction back (errors found, or a dry run)."""


def decode(content: bytes) -> str:
    """UTF-8 (BOM or not), else CP949 (a superset of EUC-KR)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp949")
    except UnicodeDecodeError as exc:
        raise InvalidInput("registry.import.encoding") from exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(file_name: str, content: bytes) -> list[list[str]]:
    """All rows (header first) as strings, from CSV or XLSX."""
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    text = decode(content)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput("registry.import.xlsx") from exc
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def import_inventory(
    ctx: Gwanje,
    principal: Principal,
    file_name: str,
    content: bytes,
    dry_run: bool = False,
    language: str = "ko",
) -> ImportReport:
    """Validate every row, then write all of them in one transaction or nothing."""
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    if not principal.can(Permission.CAMERA_IMPORT):
        raise Forbidden("error.forbidden", permission=Permission.CAMERA_IMPORT.value)
    try:
        table = [r for r in read_table(file_name, content) if any(r)]
    except GwanjeError as exc:
        report.errors.append(RowError(0, "", translate(exc.key, language, **exc.params)))
        return report
    headers = _headers(table[0] if table else [], report, language)
    if report.errors:
        return report
    try:
        with ctx.transaction() as session:
            registry = Registry(session, ctx.settings, ctx.clock, principal)
            for number, row in enumerate(table[1:], start=2):
                report.rows += 1
                _import_row(
                    registry, number, dict(zip(headers, row, strict=False)), report, language
                )
            if report.errors or dry_run:
                raise _Abort
            event = events.CamerasImported(
                actor=principal.actor, file_name=file_name, count=report.rows
            )
            record(session, event, ctx.clock)
            report.imported = report.rows
    except _Abort:
        if report.errors:
            _record_refusal(ctx, principal, report)
    return report


def _record_refusal(ctx: Gwanje, principal: Principal, report: ImportReport) -> None:
    """Who tried to import what, even though nothing was written (outcome failed)."""
    event = events.CamerasImported(
        actor=principal.actor,
        outcome=Outcome.FAILED,
        file_name=report.file_name,
        count=0,
        errors=len(report.errors),
    )
    with ctx.transaction() as session:
        record(session, event, ctx.clock)


def _headers(header: list[str], report: ImportReport, language: str) -> list[tuple[str, str]]:
    """(field, header as written) for each column; unknown or missing columns are errors."""
    if not header:
        report.errors.append(RowError(0, "", translate("registry.import.empty", language)))
        return []
    found: list[tuple[str, str]] = []
    for raw in header:
        name = _HEADER_TO_FIELD.get(raw.replace(" ", "").lower())
        if name is None:
            report.errors.append(
                RowError(1, raw, translate("registry.import.unknown_column", language))
            )
        found.append((name or "", raw))
    present = {f for f, _ in found}
    for name in REQUIRED:
        if name not in present:
            report.errors.append(
                RowError(1, COLUMNS[name][0], translate("registry.import.missing_column", language))
            )
    return found


def _import_row(
    registry: Registry,
    number: int,
    row: dict[tuple[str, str], str],
    report: ImportReport,
    language: str,
) -> None:
    """Create one row inside a savepoint; on failure record why and undo only that row."""
    label = {name: raw for name, raw in row}
    values = {name: value for (name, _), value in row.items() if value != ""}
    errors: list[RowError] = []
    prepared = _prepare(registry, values, label, number, errors, language)
    if prepared is None:
        report.errors += errors
        return
    data, status, unlinked = prepared
    savepoint = registry.session.begin_nested()
    try:
        camera = registry.create(data, status)
        if unlinked is not None:
            camera.unlinked_reason, camera.unlinked_note = unlinked
        registry.session.flush()
        savepoint.commit()
    except GwanjeError as exc:
        savepoint.rollback()
        column = label.get(str(exc.params.get("field", "")), "")
        report.errors.append(RowError(number, column, localize(exc, language)))


def _prepare(
    registry: Registry,
    values: dict[str, str],
    label: dict[str, str],
    number: int,
    errors: list[RowError],
    language: str,
) -> tuple[CameraCreate, CameraStatus, tuple[str, str] | None] | None:
    """Turn one row's strings into a validated CameraCreate, or collect its errors."""
    status_text = values.pop("status", "planned")
    status = _STATUSES.get(status_text.strip().lower())
    if status is None:
        errors.append(
            RowError(
                number,
                label.get("status", ""),
                translate("registry.import.status", language, value=status_text),
            )
        )
    unlinked = _unlinked(values, label, number, errors, language)
    department = values.pop("department", "")
    department_id = _department_id(registry, department)
    if department_id is None:
        errors.append(
            RowError(
                number,
                label.get("department", ""),
                translate("registry.error.department_unknown", language, department=department),
            )
        )
    for name in ("std_standard_product", "std_multi_purpose", "std_integrable"):
        if name in values:
            flag = _BOOLS.get(values[name].strip().lower())
            if flag is None:
                errors.append(
                    RowError(number, label[name], translate("registry.import.bool", language))
                )
            else:
                values[name] = flag  # type: ignore[assignment]
    try:
        data = CameraCreate.model_validate({**values, "department_id": department_id or 0})
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            errors.append(RowError(number, label.get(name, name), str(err["msg"])))
        return None
    if errors or status is None:
        return None
    return data, CameraStatus(status), unlinked


def _unlinked(
    values: dict[str, str],
    label: dict[str, str],
    number: int,
    errors: list[RowError],
    language: str,
) -> tuple[str, str] | None:
    reason = values.pop("unlinked_reason", None)
    note = values.pop("unlinked_note", None)
    if reason is None:
        return None
    aliases = {"비효율": "inefficiency", "국가안보": "national_security"}
    reason = aliases.get(reason, reason)
    if reason not in {r.value for r in UnlinkedReason} or not note:
        errors.append(
            RowError(
                number,
                label.get("unlinked_reason", ""),
                translate("registry.req.unlinked_reason", language),
            )
        )
        return None
    return reason, note


def _department_id(registry: Registry, value: str) -> int | None:
    if not value:
        return None
    query = select(Department.id).where(
        or_(
            Department.code == value.upper(),
            Department.name_ko == value,
            Department.name_en == value,
        )
    )
    return registry.session.scalar(query)
