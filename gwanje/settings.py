"""One typed settings tree for the whole of Gwanje.

Sources, highest first: keyword arguments, `GWANJE_*` environment variables
(nested with `__`, e.g. `GWANJE_AUTH__SESSION_MINUTES`), the TOML file
`<data_dir>/gwanje.toml`, then defaults. Unknown keys are refused (`extra="forbid"`).

Invariant: outside demo and test mode a missing or well-known secret is refused at
start, never silently used.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gwanje.audit.config import AuditSettings
from gwanje.auth.config import AuthSettings
from gwanje.camhealth.config import HealthSettings
from gwanje.fsutil import create_once
from gwanje.governance.config import GovernanceSettings
from gwanje.ledgers.config import LedgerSettings
from gwanje.media.config import RecordingSettings
from gwanje.operations.bells_config import BellSettings
from gwanje.operations.config import OperationsSettings
from gwanje.ptz.config import PtzSettings
from gwanje.registry.config import RegistrySettings
from gwanje.reports.config import ReportsSettings
from gwanje.sharing.config import SharingSettings
from gwanje.shifts.config import ShiftSettings

WEAK_SECRETS = frozenset({"", "secret", "changeme", "change-me", "gwanje", "password"})


class Mode(StrEnum):
    DEMO = "demo"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GWANJE_", env_nested_delimiter="__", extra="forbid"
    )

    mode: Mode = Field(Mode.PRODUCTION, description="demo, test or production.")
    data_dir: Path = Field(Path("data"), description="Where the database and video live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default is SQLite at <data_dir>/gwanje.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Master secret: session signing and camera-credential encryption. "
        "Demo and test mode generate one in <data_dir>/secret.key.",
    )
    host: str = Field("127.0.0.1", description="Web UI listen address.")
    port: int = Field(8000, ge=1, le=65535, description="Web UI listen port.")
    tls_cert: Path | None = Field(
        None,
        description="PEM certificate (chain) for HTTPS; with tls_key, `gwanje serve` "
        "speaks HTTPS only (ORD-23, ORD-30.3).",
    )
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert.")
    tls_offloaded: bool = Field(
        False,
        description="A reverse proxy in front terminates TLS: production may then "
        "serve plain HTTP behind it.",
    )
    default_language: str = Field("ko", pattern="^(ko|en)$", description="UI language.")
    auth: AuthSettings = Field(default_factory=AuthSettings)  # type: ignore[arg-type]
    audit: AuditSettings = Field(default_factory=AuditSettings)  # type: ignore[arg-type]
    registry: RegistrySettings = Field(default_factory=RegistrySettings)  # type: ignore[arg-type]
    recording: RecordingSettings = Field(default_factory=RecordingSettings)  # type: ignore[arg-type]
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)  # type: ignore[arg-type]
    operations: OperationsSettings = Field(default_factory=OperationsSettings)  # type: ignore[arg-type]
    ledgers: LedgerSettings = Field(default_factory=LedgerSettings)  # type: ignore[arg-type]
    reports: ReportsSettings = Field(default_factory=ReportsSettings)  # type: ignore[arg-type]
    ptz: PtzSettings = Field(default_factory=PtzSettings)  # type: ignore[arg-type]
    health: HealthSettings = Field(default_factory=HealthSettings)  # type: ignore[arg-type]
    bells: BellSettings = Field(default_factory=BellSettings)  # type: ignore[arg-type]
    shifts: ShiftSettings = Field(default_factory=ShiftSettings)  # type: ignore[arg-type]
    sharing: SharingSettings = Field(default_factory=SharingSettings)  # type: ignore[arg-type]
    # The master secret once read: it is needed on every cookie request (CSRF), so the
    # key file is not re-read each time.
    _secret: bytes | None = PrivateAttr(default=None)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def video_dir(self) -> Path:
        return self.recording.video_dir or self.data_dir / "video"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gwanje.db'}"

    def secret(self) -> bytes:
        """The master secret; generated once per data dir in demo/test mode."""
        if self._secret is None:
            self._secret = self._load_secret()
        return self._secret

    def _load_secret(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.data_dir / "secret.key"
        if key_file.exists():
            return key_file.read_bytes().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Published whole and only once: two threads or processes starting at once
        # both end up with the one key that won, and nobody reads a half-written file.
        create_once(key_file, secrets.token_urlsafe(48).encode())
        return key_file.read_bytes().strip()

    def check_safe(self) -> None:
        """Refuse to run production with a missing or default secret."""
        if self.mode is not Mode.PRODUCTION:
            return
        if self.secret_key is None:
            raise SettingsError("secret_key is required in production mode (set GWANJE_SECRET_KEY)")
        value = self.secret_key.get_secret_value()
        if value.lower() in WEAK_SECRETS or len(value) < 32:
            raise SettingsError("secret_key is a default or shorter than 32 characters")


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: overrides > environment > <data_dir>/gwanje.toml > defaults."""
    env_dir = os.environ.get("GWANJE_DATA_DIR")
    base_dir = Path(data_dir or env_dir or "data")
    file_values: dict[str, Any] = {}
    toml_path = base_dir / "gwanje.toml"
    if toml_path.exists():
        try:
            file_values = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{toml_path}: {exc}") from exc
    env_keys = {k.upper() for k in os.environ if k.upper().startswith("GWANJE_")}
    # The environment beats the file: drop file values the environment also sets.
    file_values = {
        key: value
        for key, value in file_values.items()
        if not any(env.startswith(f"GWANJE_{key.upper()}") for env in env_keys)
    }
    return Settings(**{**file_values, **overrides, "data_dir": base_dir})
