"""`gwanje audit ...` end to end on a data directory: exit codes and messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from audit_helpers import sample
from typer.testing import CliRunner

from gwanje.audit.checkpoints import install
from gwanje.audit.ledger import record
from gwanje.cli.main import app
from gwanje.context import Gwanje
from gwanje.settings import load_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A test-mode data directory with 12 entries and checkpoints every 5."""
    path = tmp_path / "data"
    path.mkdir()
    (path / "gwanje.toml").write_text('mode = "test"\n[audit]\ncheckpoint_every = 5\n')
    system = Gwanje.open(load_settings(path))
    install(system)
    for i in range(12):
        with system.transaction() as session:
            record(session, sample(i), system.clock)
    system.close()
    return path


def _gwanje(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), "audit", *args])
    return result.exit_code, result.output


def _sql(data_dir: Path, statement: str) -> None:
    with sqlite3.connect(data_dir / "gwanje.db") as conn:
        conn.execute(statement)


def test_verify_ok_exits_zero(data_dir: Path) -> None:
    code, out = _gwanje(data_dir, "verify")
    assert code == 0, out
    assert "OK: 12 entries" in out


def test_verify_names_the_first_altered_entry(data_dir: Path) -> None:
    _sql(data_dir, "UPDATE audit_entries SET outcome = 'denied' WHERE seq = 3")
    code, out = _gwanje(data_dir, "verify")
    assert code == 1
    assert "FAILED at seq 3: altered" in out


def test_verify_json_report(data_dir: Path) -> None:
    _sql(data_dir, "DELETE FROM audit_entries WHERE seq = 8")
    code, out = _gwanje(data_dir, "verify", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["problems"][0]["seq"] == 8
    assert report["problems"][0]["kind"] == "missing"


def test_head_file_catches_truncation_even_without_checkpoint_rows(data_dir: Path) -> None:
    _sql(data_dir, "DELETE FROM audit_entries WHERE seq > 7")
    _sql(data_dir, "DELETE FROM audit_checkpoints")
    code, out = _gwanje(data_dir, "verify")
    assert code == 1
    assert "FAILED at seq 8: truncated" in out


def test_checkpoint_export_and_independent_verify(data_dir: Path, tmp_path: Path) -> None:
    code, out = _gwanje(data_dir, "checkpoint")
    assert code == 0, out
    assert "checkpoint seq 12" in out
    exported = tmp_path / "cp.json"
    code, out = _gwanje(data_dir, "export-checkpoints", str(exported))
    assert code == 0, out
    assert [c["seq"] for c in json.loads(exported.read_text())["checkpoints"]] == [5, 10, 12]
    code, pem = _gwanje(data_dir, "public-key")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    pinned = tmp_path / "audit.pub.pem"
    pinned.write_text(pem)
    args = ("verify", "--checkpoints", str(exported), "--public-key", str(pinned))
    assert _gwanje(data_dir, *args)[0] == 0
    _sql(data_dir, "DELETE FROM audit_entries WHERE seq = 12")
    _sql(data_dir, "DELETE FROM audit_checkpoints")
    (data_dir / "audit-head.json").unlink()  # the attacker also removed the head file
    code, out = _gwanje(data_dir, *args)
    assert code == 1
    assert "FAILED at seq 12: truncated" in out


def test_tampered_export_signature_fails(data_dir: Path, tmp_path: Path) -> None:
    exported = tmp_path / "cp.json"
    _gwanje(data_dir, "export-checkpoints", str(exported))
    doc = json.loads(exported.read_text())
    doc["checkpoints"][0]["entry_hash"] = "f" * 64
    exported.write_text(json.dumps(doc))
    code, out = _gwanje(data_dir, "verify", "--checkpoints", str(exported))
    assert code == 1
    assert "seq 5: bad_signature" in out


def test_unreadable_checkpoint_file_is_exit_two(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out = _gwanje(data_dir, "verify", "--checkpoints", str(bad))
    assert code == 2
    assert "cannot verify" in out
    assert _gwanje(data_dir, "verify", "--checkpoints", str(tmp_path / "none.json"))[0] == 2


def test_standalone_verifier_agrees(data_dir: Path, tmp_path: Path) -> None:
    """The auditor's stdlib + cryptography script (docs/design/audit-ledger.md)."""
    from gwanje.audit import standalone

    exported, pinned = tmp_path / "cp.json", tmp_path / "audit.pub.pem"
    _gwanje(data_dir, "export-checkpoints", str(exported))
    pinned.write_text(_gwanje(data_dir, "public-key")[1])
    args = ["--public-key", str(pinned), "--checkpoints", str(exported)]
    assert standalone.main([*args, "--sqlite", str(data_dir / "gwanje.db")]) == 0
    _sql(data_dir, "DELETE FROM audit_entries WHERE seq > 6")
    assert standalone.main([*args, "--sqlite", str(data_dir / "gwanje.db")]) == 1
