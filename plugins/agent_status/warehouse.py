"""The warehouse: one SQLAlchemy URL. PostgreSQL in production; SQLite (WAL) embedded.

Which URL: ``AGENT_STATUS_WAREHOUSE_URL`` wins; else, inside Airflow tasks, the Airflow
connection ``agent_status_warehouse`` if it exists; else ``sqlite:///data/warehouse.sqlite``.

The schema is versioned: ``include/sql/migrations/NNNN_name.sql``, applied once each and recorded
in ``agent_status_schema_version`` (``agent-status migrate``, or the first task or command on an
older warehouse). Plain SQL files with their own version table rather than Alembic: the DDL
stays readable SQL for both dialects, there is no env.py or revision graph to maintain, and a
task's check is one read. A new schema change is a new file; a view changes with CREATE OR
REPLACE VIEW on PostgreSQL (which keeps GRANTs and dependent views), never DROP on a task's path.
"""

from __future__ import annotations

import datetime as dt
import functools
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
        path = url.split("///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            _private_file(Path(path))
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


def _private_file(path: Path) -> None:
    """The SQLite warehouse holds employee identifiers: owner-only (0600; SQLite gives its -wal
    and -shm files the database file's mode), in a folder created owner-only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


MIGRATIONS_DIR = SQL_DIR / "migrations"
MIGRATION_LOCK = 734211  # pg_advisory_xact_lock key: one migrator at a time


def display_url(url: str | None = None) -> str:
    """The URL as it may be printed or logged: the password masked."""
    url = url or warehouse_url()
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@", 1)[-1] if "@" in url else url


QUERIES_DIR = SQL_DIR / "queries"


@functools.cache
def query(name: str, dialect: str | None = None) -> str:
    """The warehouse statement ``include/sql/queries/<name>.sql``, loaded by name (issue 12):
    SQL lives in SQL files, Python says which to run. Bind parameters are ``:name``. Where the
    dialects differ, ``<name>.<dialect>.sql`` (e.g. ``.postgresql.sql``) is the variant for
    ``dialect`` (``engine.dialect.name``) and ``<name>.sql`` the portable one."""
    candidates = ([QUERIES_DIR / f"{name}.{dialect}.sql"] if dialect else []) + [
        QUERIES_DIR / f"{name}.sql"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"no warehouse statement {name!r}"
                                + (f" for {dialect}" if dialect else "") + ": "
                                + " and ".join(str(p) for p in candidates) + " do not exist")
    lines = [line for line in path.read_text().splitlines() if not line.strip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


def migrations() -> list[tuple[int, str, Path]]:
    """The versioned migrations in include/sql/migrations, ``NNNN_name.sql``, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version, name = path.stem.split("_", 1)
        found.append((int(version), name, path))
    return found


def migration_statements(path: Path, dialect: str) -> list[str]:
    """The file's statements for this dialect ("postgresql", "sqlite"): separated by a line
    holding only ";"; {TS} and {CREATE_VIEW} filled in; a statement preceded by a comment line
    ``-- dialect: <name>`` runs on that dialect only."""
    postgres = dialect == "postgresql"
    text = path.read_text()
    text = text.replace("{TS}", "TIMESTAMPTZ" if postgres else "TIMESTAMP")
    text = text.replace("{CREATE_VIEW}",
                        "CREATE OR REPLACE VIEW" if postgres else "CREATE VIEW IF NOT EXISTS")
    statements = []
    for chunk in text.split("\n;\n"):
        only = [line.split(":", 1)[1].strip() for line in chunk.splitlines()
                if line.strip().startswith("-- dialect:")]
        if only and dialect not in only:
            continue
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        statement = "\n".join(lines).strip().rstrip(";")
        if statement:
            statements.append(statement)
    return statements


def schema_version(engine: sa.Engine) -> int:
    """The warehouse's migration version (0: none applied). A plain catalog read on the driver
    connection: no transaction on SQLite (so no write lock), no lock on any table or view."""
    with engine.connect() as connection:  # connection errors come wrapped by SQLAlchemy
        raw = connection.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(query("schema_version"))
            return int(cursor.fetchone()[0])
        except Exception as error:  # no version table yet
            if "no such table" not in str(error) and "does not exist" not in str(error):
                raise
            return 0
        finally:
            cursor.close()
            raw.rollback()


def ensure_schema(engine: sa.Engine) -> list[str]:
    """Apply the migrations the warehouse lacks; when it is current (every task's case) this is
    one read and nothing else: no DDL, so analysts' views, their GRANTs and views built on them
    are never touched and a long read never blocks a load. Returns the migrations applied."""
    latest = migrations()[-1][0]
    if schema_version(engine) >= latest:
        return []
    return migrate(engine)


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending migrations in one transaction, serialised across processes (advisory lock
    on PostgreSQL, BEGIN IMMEDIATE on SQLite); a failed migration leaves the previous version."""
    postgres = engine.dialect.name == "postgresql"
    applied = []
    with engine.begin() as connection:
        if postgres:
            connection.execute(sa.text(query("migration_lock", "postgresql")),
                               {"lock": MIGRATION_LOCK})
        connection.execute(sa.text(query("schema_version_create", engine.dialect.name)))
        current = connection.execute(sa.text(query("schema_version"))).scalar()
        for version, name, path in migrations():
            if version <= current:
                continue
            for statement in migration_statements(path, engine.dialect.name):
                connection.execute(sa.text(statement))
            connection.execute(sa.text(query("schema_version_insert")),
                               {"v": version, "n": name, "t": dt.datetime.now(dt.timezone.utc)})
            applied.append(f"{version:04d}_{name}")
    return applied
