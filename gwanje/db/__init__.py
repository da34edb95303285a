"""Relational storage: SQLite (embedded default, WAL) or PostgreSQL, via SQLAlchemy 2.

Owns the engine, the session factory and the migration runner. Schema changes only
through Alembic migrations in `gwanje/db/migrations/versions/`.
"""
