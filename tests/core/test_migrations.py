"""The migrations produce exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gwanje.db import migrate
from gwanje.db.base import Base, import_all_models
from gwanje.db.engine import make_engine


def test_migrated_schema_matches_models(any_db_url: str) -> None:
    import_all_models()
    engine = make_engine(any_db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diffs == [], f"models and migrations differ: {diffs}"


def test_schema_is_at_every_head(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    assert migrate.is_current(engine)
    engine.dispose()


def test_downgrade_to_base_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert not migrate.is_current(engine)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    engine.dispose()
