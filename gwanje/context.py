"""The running system's shared handles: settings, database, clock.

One `Gwanje` object per process; every subsystem receives it (or the pieces it needs)
explicitly, never through module globals, so tests can run several side by side.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gwanje.clock import Clock, SystemClock
from gwanje.db import migrate
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.settings import Settings


@dataclass
class Gwanje:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None, upgrade: bool = True) -> Gwanje:
        """Connect, and bring the schema up to date unless told not to."""
        settings.check_safe()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.db_url)
        if upgrade:
            migrate.upgrade(engine)
        system = cls(settings, engine, make_session_factory(engine), clock or SystemClock())
        # Signed audit checkpoints every N entries and the head file (docs/design/audit-ledger.md).
        from gwanje.audit import checkpoints

        checkpoints.install(system)
        return system

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
