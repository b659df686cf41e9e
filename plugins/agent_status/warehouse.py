"""The warehouse: one SQLAlchemy URL. PostgreSQL in production; SQLite (WAL) embedded.

Which URL: ``AGENT_STATUS_WAREHOUSE_URL`` wins; else, inside Airflow tasks, the Airflow
connection ``agent_status_warehouse`` if it exists; else ``sqlite:///data/warehouse.sqlite``.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from agent_status import PROJECT_ROOT, SQL_DIR

ENV_URL = "AGENT_STATUS_WAREHOUSE_URL"
CONN_ID = "agent_status_warehouse"
DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'warehouse.sqlite'}"
SQLITE_BUSY_MS = 120_000


def warehouse_url(use_airflow: bool = False) -> str:
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    if use_airflow:
        try:
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection(CONN_ID)
        except Exception:  # no such connection: fall back to the embedded default
            conn = None
        if conn is not None:
            uri = conn.extra_dejson.get("sqlalchemy_url") or conn.get_uri()
            return uri.replace("postgres://", "postgresql+psycopg://", 1)
    return DEFAULT_URL


def create_warehouse_engine(url: str | None = None) -> sa.Engine:
    url = url or warehouse_url()
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                                     "isolation_level": None})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the loader
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):
            # take the write lock up front: two loaders queue instead of deadlocking
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def schema_statements(dialect: str) -> list[str]:
    text = (SQL_DIR / "schema.sql").read_text()
    text = text.replace("{TS}", "TIMESTAMPTZ" if dialect == "postgresql" else "TIMESTAMP")
    statements = []
    for chunk in text.split("\n;\n"):
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        statement = "\n".join(lines).strip().rstrip(";")
        if statement:
            statements.append(statement)
    return statements


def ensure_schema(engine: sa.Engine) -> None:
    """Create tables and views if missing (idempotent); serialised on PostgreSQL."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(734211)"))
        for statement in schema_statements(engine.dialect.name):
            connection.execute(sa.text(statement))
