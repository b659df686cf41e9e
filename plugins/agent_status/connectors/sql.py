"""SQL on the vendor's own database: an engine from the Airflow connection, a query from
``include/sql/vendors`` (or the integration's ``query`` option), read in chunks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import ClassVar

import pandas as pd
import sqlalchemy as sa

from agent_status import SQL_DIR
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.registry import COLUMN_NAME
from agent_status.connectors.source import Source
from agent_status.connectors.windows import Windows

# ``agent-status check`` reads one chunk of this many rows and stops (the smallest request: "the
# query limited to a few rows"), over the sample window widened by this much, not by a day
SAMPLE_ROWS = 500
SAMPLE_MARGIN = dt.timedelta(hours=2)
# Airflow connection types -> SQLAlchemy dialects, for connections without a "sqlalchemy_url".
# SQLAlchemy has no Informix dialect of its own: Avaya CMS (vendors.md 9.1) goes through IBM's
# ibm_db_sa over its DRDA listener, the pyproject extra [informix]
_DIALECTS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg",
             "mssql": "mssql+pyodbc", "oracle": "oracle+oracledb", "mysql": "mysql+pymysql",
             "informix": "ibm_db_sa", "sqlite": "sqlite"}
# the pyproject extra that installs a dialect's driver (README "Optional database drivers")
_EXTRAS = {"mssql": "mssql", "oracle": "oracle", "ibm_db_sa": "informix", "db2": "informix"}


def engine_for(connection: ConnectionInfo) -> sa.Engine:
    """The vendor database. ``extra.sqlalchemy_url`` wins; otherwise the URL is built from the
    connection's type, host, port, schema (database), login and password, plus driver options
    from ``extra.url_query`` (e.g. SQL Server: ``{"driver": "ODBC Driver 18 for SQL Server"}``)
    so the password never has to be written into the extra."""
    try:
        return _create_engine(connection)
    except ModuleNotFoundError as error:  # optional database drivers (requirements extras)
        raise VendorError(f"connection {connection.conn_id}: the database driver "
                          f"{error.name!r} is not installed; install its optional extra"
                          f"{_extra_hint(connection)}") from error
    except sa.exc.NoSuchModuleError as error:  # a dialect no installed package provides
        raise VendorError(f"connection {connection.conn_id}: SQLAlchemy has no dialect "
                          f"{_dialect_name(connection)!r} installed"
                          f"{_extra_hint(connection)} ({error})") from error


def _dialect_name(connection: ConnectionInfo) -> str:
    """The dialect (``name+driver``) the connection asks for, as far as it can be read."""
    url = connection.extra.get("sqlalchemy_url")
    if url:
        return str(url).split("://", 1)[0]
    return _DIALECTS.get(connection.conn_type, connection.conn_type)


def _extra_hint(connection: ConnectionInfo) -> str:
    dialect = _dialect_name(connection).split("+", 1)[0]
    if dialect == "informix":  # no such dialect in SQLAlchemy or in our extras
        return (": SQLAlchemy has no Informix dialect of its own; write the URL as "
                "ibm_db_sa://user@host:port/database (IBM's driver, pip install "
                "'agent-status[informix]')")
    extra = _EXTRAS.get(dialect)
    return f": pip install 'agent-status[{extra}]'" if extra else ""


def _create_engine(connection: ConnectionInfo) -> sa.Engine:
    url = connection.extra.get("sqlalchemy_url")
    if url:
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as error:
            raise VendorError(f"connection {connection.conn_id}: extra sqlalchemy_url is not a "
                              f"SQLAlchemy URL (dialect+driver://user@host:port/database)") \
                from None
        # the "ACD database" connection type keeps the password in its password field, never
        # in the URL (provider.py); the user may be in either
        if connection.login and not parsed.username:
            parsed = parsed.set(username=connection.login)
        if connection.password and not parsed.password:
            parsed = parsed.set(password=connection.password)
        return sa.create_engine(parsed)
    dialect = _DIALECTS.get(connection.conn_type)
    if dialect is None:
        raise VendorError(f"connection {connection.conn_id}: conn_type {connection.conn_type!r} "
                          f"is not a known database; set extra.sqlalchemy_url")
    if dialect == "sqlite":
        return sa.create_engine(f"sqlite:///{connection.host or connection.schema}")
    return sa.create_engine(sa.URL.create(
        dialect, username=connection.login or None, password=connection.password or None,
        host=connection.host or None, port=connection.port, database=connection.schema or None,
        query=dict(connection.extra.get("url_query") or {})))


def identifier(value: str, what: str) -> str:
    """A plain SQL column name, safe to write into a query's text; anything else fails."""
    if not re.fullmatch(COLUMN_NAME[0], str(value)):
        raise VendorError(f"{what} must be a plain column name, got {value!r}")
    return value


def vendor_query(vendor: str, override: str | None = None) -> str:
    return override if override else (SQL_DIR / "vendors" / f"{vendor}.sql").read_text()


def read_chunks(engine: sa.Engine, query: str, params: dict, chunk_rows: int,
                stream: bool = False) -> Iterator[pd.DataFrame]:
    """The result in chunks; ``stream``: a server-side cursor where the driver has one, so that
    stopping after a chunk also stops the database sending the rest."""
    with engine.connect() as connection:
        if stream:
            connection = connection.execution_options(stream_results=True)
        yield from pd.read_sql_query(sa.text(query), connection, params=params,
                                     chunksize=chunk_rows)


def require_columns(frame: pd.DataFrame, columns: dict[str, str], source: str) -> pd.DataFrame:
    """Check a query's result: every column present (names case-insensitive) and of the right
    kind ("text", "int", "datetime"); the error names the missing or bad column."""
    lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in columns if c.lower() not in lower]
    if missing:
        raise VendorError(f"{source}: query result lacks column(s) {missing}; it returned "
                          f"{list(frame.columns)}")
    out = frame.rename(columns={lower[c.lower()]: c for c in columns})[list(columns)].copy()
    for column, kind in columns.items():
        values = out[column]
        if kind == "text":
            out[column] = values.astype("object").where(values.notna(), None)
            continue
        try:
            if kind == "int":
                coerced = pd.to_numeric(values, errors="coerce")
                failed = coerced.isna() | (coerced.notna() & (coerced % 1 != 0))
            else:
                coerced = pd.to_datetime(values, errors="coerce")
                failed = coerced.isna()
        except (ValueError, TypeError):  # e.g. a type pandas cannot coerce at all
            coerced, failed = None, values.notna()
        failed = failed & values.notna()  # a missing value is not a type error
        if failed.any():
            row = int(failed.to_numpy().argmax())
            bad = values.iloc[row]
            bad = bad.item() if hasattr(bad, "item") else bad  # numpy scalar: its Python value
            raise VendorError(f"{source}: column {column!r} must be {kind}, got {bad!r} in "
                              f"row {row + 1}")
        out[column] = coerced.astype("Int64") if kind == "int" else coerced
    return out


def window_params(start: dt.datetime, end: dt.datetime, zone, margin: dt.timedelta) -> dict:
    """Local-time bounds for a query on a database that stores local wall time."""
    lo = (start - margin).astimezone(zone).replace(tzinfo=None)
    hi = (end + margin).astimezone(zone).replace(tzinfo=None)
    return {"start_local": lo, "end_local": hi}


def checked_chunks(connection: ConnectionInfo, query: str, params: dict,
                   columns: dict[str, str], source: str, chunk_rows: int = 200_000, *,
                   sample: bool = False) -> Iterator[pd.DataFrame]:
    """A vendor query's result in chunks, each checked with ``require_columns``; with
    ``sample``, only its first ``SAMPLE_ROWS`` rows. A database error becomes a ``VendorError``
    naming the source."""
    engine = engine_for(connection)
    try:
        reader = read_chunks(engine, query, params, SAMPLE_ROWS if sample else chunk_rows,
                             stream=sample)
        try:
            for chunk in reader:
                yield require_columns(chunk, columns, source)
                if sample:
                    break
        finally:
            reader.close()  # ends the query where it is
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as error:
        raise VendorError(f"{source}: the query failed: {_database_message(error)}") from error
    finally:
        engine.dispose()


def checked_frame(chunks: list[pd.DataFrame], columns: dict[str, str], source: str
                  ) -> pd.DataFrame:
    """Checked chunks as one frame; none: an empty frame that keeps the columns."""
    if not chunks:
        return require_columns(pd.DataFrame({c: [] for c in columns}), columns, source)
    return pd.concat(chunks, ignore_index=True)


def _database_message(error: BaseException) -> str:
    """The database's own words (not the whole statement echoed back)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, sa.exc.SQLAlchemyError):
            orig = getattr(cause, "orig", None)
            return str(orig).strip() if orig is not None else str(cause).split("\n")[0]
        cause = cause.__cause__ or cause.__context__
    return str(error).split("\n")[0]


def require_values(rows: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    """Every row has a value in each of ``columns``; the error names the column and a row."""
    for column in columns:
        empty = rows[column].isna()
        if empty.any():
            raise VendorError(f"{source}: column {column!r} is empty in {int(empty.sum())} "
                              f"row(s), e.g. {rows[empty].iloc[0].to_dict()}")


class SqlConnector(Source):
    """A vendor database as a ``Source``: its window is the interval whole, one query (option
    ``query``, else ``include/sql/vendors/<default_query>.sql``) over ``params``; ``read``
    yields its chunks, checked against ``columns``; ``parse`` joins them (a vendor's rows meet,
    e.g. to be placed in local time) and checks the ``required`` values; the vendor implements
    ``events``. ``check`` reads only the first ``SAMPLE_ROWS`` rows."""

    windows = Windows(step=None)  # a query has no window limit
    columns: ClassVar[dict[str, str]]  # the query's columns and kinds (require_columns)
    required: ClassVar[tuple[str, ...]] = ()  # columns every row must have a value in
    default_query: ClassVar[str | None] = None  # None: the site's query is required input
    # the local-time bounds of the query (``window_params``) are the window widened by this
    # much: a state may have begun before it, and the fall-back chain needs its predecessor
    margin: ClassVar[dt.timedelta] = dt.timedelta(days=1)
    sample_rows: ClassVar[bool] = True  # False: check reads the window whole

    @property
    def source(self) -> str:
        """Who answered, for messages."""
        return f"{self.spec.name} query on {self.connection.conn_id}"

    def read(self, window: tuple[dt.datetime, dt.datetime], sample: bool = False
             ) -> Iterator[pd.DataFrame]:
        yield from checked_chunks(self.connection, self.query(), self.params(*window, sample),
                                  self.query_columns(), self.source,
                                  int(self.options["chunk_rows"]), sample=sample)

    def parse(self, pages: list[pd.DataFrame]) -> pd.DataFrame:
        rows = checked_frame(pages, self.query_columns(), self.source)
        require_values(rows, self.required, self.source)
        return rows

    def sample(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        pages = list(self.read((start, end), sample=self.sample_rows))
        return self.finish(self.parse(pages), start, end)

    def query(self) -> str:
        if self.options.get("query"):
            return self.options["query"]
        if self.default_query is None:
            raise VendorError(f"integration {self.integration.name}: vendor {self.spec.name} "
                              f"needs option 'query', a SELECT returning {list(self.columns)} "
                              f"(template: include/sql/vendors/{self.spec.name}.sql)")
        return vendor_query(self.default_query)

    def query_columns(self) -> dict[str, str]:
        return self.columns

    def params(self, start: dt.datetime, end: dt.datetime, sample: bool) -> dict:
        """The query's bind parameters: local bounds ``start_local`` and ``end_local``."""
        return window_params(start, end, self.integration.source_zone,
                             SAMPLE_MARGIN if sample else self.margin)
