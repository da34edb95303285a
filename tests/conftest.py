"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with the `pg` marker),
a `Gwanje` context on a fake clock, and a web client.

Databases are migrated once per session into a template, then copied per test
(SQLite: file copy; PostgreSQL: CREATE DATABASE ... TEMPLATE), so each test starts from
a fresh, fully migrated schema in milliseconds.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.db import migrate
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.settings import Mode, Settings

PG_ADMIN_URL = os.environ.get("GWANJE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints and removes the WAL
    assert not path.with_name("template.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gwanje_tmpl_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - environment problem, said clearly
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_copy(template: str) -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"gwanje_t_{os.getpid()}_{next(_counter)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database URL: the test runs once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "gwanje.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
    else:
        yield from _pg_copy(request.getfixturevalue("pg_template"))


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
