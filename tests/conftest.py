"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with the `pg` marker),
a `Gwanje` context on a fake clock, and a web client.

Databases are migrated once per session; each test then starts from a fresh, fully
migrated, empty schema: SQLite by copying the migrated template file, PostgreSQL by
truncating every table of the one test database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.db import migrate
from gwanje.db.base import Base, import_all_models
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.settings import Mode, Settings

PG_ADMIN_URL = os.environ.get("GWANJE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints and removes the WAL
    assert not path.with_name("template.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole run; tests empty it between them."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gwanje_test_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - environment problem, said clearly
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    import_all_models()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_emptied(url: str) -> str:
    """Empty every table (keeping the schema and its version) so the test starts clean.

    Creating a database per test costs seconds here; one TRUNCATE costs milliseconds.
    """
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        known = set(Base.metadata.tables)
        for stray in [t for t in tables if t not in known]:  # left by a tamper test
            conn.execute(text(f'DROP TABLE "{stray}" CASCADE'))
        names = ", ".join(f'"{t}"' for t in tables if t in known)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database URL: the test runs once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "gwanje.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
    else:
        yield _pg_emptied(request.getfixturevalue("pg_database"))


@pytest.fixture
def sqlite_db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database URL (for tests that are not about storage)."""
    target = tmp_path / "gwanje.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_ctx(url: str, data_dir: Path, clock: FakeClock) -> Gwanje:
    settings = Settings(mode=Mode.TEST, data_dir=data_dir, database_url=url)
    engine = make_engine(url)
    return Gwanje(settings, engine, make_session_factory(engine), clock)


@pytest.fixture
def ctx(sqlite_db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Gwanje]:
    """A Gwanje context on SQLite and a fake clock."""
    system = make_ctx(sqlite_db_url, tmp_path / "data", clock)
    yield system
    system.close()


@pytest.fixture
def any_ctx(any_db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Gwanje]:
    """A Gwanje context on each database backend in turn."""
    system = make_ctx(any_db_url, tmp_path / "data", clock)
    yield system
    system.close()


@pytest.fixture
def app(ctx: Gwanje):  # type: ignore[no-untyped-def]
    """The web app over the `ctx` fixture's database."""
    from gwanje.web.app import create_app

    return create_app(ctx)
