from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gwanje.settings import Mode, Settings, SettingsError, load_settings


def test_production_refuses_missing_secret(tmp_path: Path) -> None:
    settings = Settings(mode=Mode.PRODUCTION, data_dir=tmp_path)
    with pytest.raises(SettingsError, match="secret_key is required"):
        settings.check_safe()


@pytest.mark.parametrize("weak", ["changeme", "secret", "short-but-not-default"])
def test_production_refuses_weak_secret(tmp_path: Path, weak: str) -> None:
    settings = Settings(mode=Mode.PRODUCTION, data_dir=tmp_path, secret_key=weak)
    with pytest.raises(SettingsError):
        settings.check_safe()


def test_demo_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    settings = Settings(mode=Mode.DEMO, data_dir=tmp_path)
    settings.check_safe()
    first = settings.secret()
    assert len(first) >= 48
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert Settings(mode=Mode.DEMO, data_dir=tmp_path).secret() == first


def test_processes_starting_at_once_share_one_generated_secret(tmp_path: Path) -> None:
    """Eight first uses at the same moment (threads of a dispatcher, or two processes):
    one key wins, everyone reads it whole, no stray draft files remain."""
    import threading

    barrier = threading.Barrier(8)
    got: list[bytes] = []

    def first_use() -> None:
        barrier.wait()
        got.append(Settings(mode=Mode.DEMO, data_dir=tmp_path).secret())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8
    assert len(set(got)) == 1
    assert got[0] == (tmp_path / "secret.key").read_bytes().strip()
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


def test_unknown_key_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(mode=Mode.TEST, data_dir=tmp_path, no_such_setting=1)  # type: ignore[call-arg]


def test_file_then_environment_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gwanje.toml").write_text("port = 9001\n[auth]\nsession_minutes = 60\n")
    assert load_settings(tmp_path).port == 9001
    assert load_settings(tmp_path).auth.session_minutes == 60
    monkeypatch.setenv("GWANJE_PORT", "9002")
    assert load_settings(tmp_path).port == 9002
    assert load_settings(tmp_path, port=9003).port == 9003


def test_broken_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "gwanje.toml").write_text("port = = 1\n")
    with pytest.raises(SettingsError, match=r"gwanje\.toml"):
        load_settings(tmp_path)


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWANJE_DATA_DIR", str(tmp_path))
    assert load_settings().data_dir == tmp_path.resolve()
    assert load_settings().db_url == f"sqlite:///{tmp_path.resolve() / 'gwanje.db'}"
