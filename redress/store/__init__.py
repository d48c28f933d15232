"""The store: configuration, database engine, typed models and migrations, blobs, clock, text.

Owns everything about where state lives and how it is read back: the frozen configuration, the
SQLAlchemy engine and sessions (SQLite or PostgreSQL), the models (``Mapped[...]``) and their
Alembic migrations, the blob store for encrypted files, the clock (UTC, and day precision for
reporters) and the cleaning of typed text.

May import: ``crypto`` only (for its parameter types). Nothing else of Redress.
"""
