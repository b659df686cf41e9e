"""Load: one transaction per night. The night's events and quarantine are replaced, the run is
recorded, and a failure anywhere leaves the warehouse as it was. Bulk paths only: COPY on
PostgreSQL, executemany on SQLite.

The ledger (import_runs) gets one row per attempt at a night: ``attempt`` is numbered by the
warehouse per (integration, night, run), so any order of task failures and retries appends
rows and never collides; ``task_id`` and ``try_number`` say which Airflow try it was."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from agent_status.nights import Night

EVENT_COLUMNS = ["integration", "vendor", "night_date", "external_user_id", "employee_id",
                 "vendor_activity_id", "vendor_activity_name", "reason", "activity_id",
                 "classification", "start_utc", "end_utc", "duration_seconds", "is_open",
                 "run_id", "loaded_at"]
QUARANTINE_COLUMNS = ["integration", "vendor", "night_date", "external_user_id",
                      "vendor_activity_id", "vendor_activity_name", "reason", "start_utc",
                      "end_utc", "duration_seconds", "is_open", "quarantine_reason", "hint",
                      "run_id", "quarantined_at"]
RUN_COLUMNS = ["integration", "night_date", "run_id", "attempt", "task_id", "try_number",
               "vendor", "status",
               "night_start_utc", "night_end_utc", "events_extracted", "events_loaded",
               "events_quarantined", "events_defaulted", "events_replayed",
               "validation_success", "validation_summary", "data_docs", "error", "finished_at"]
VALIDATION_COLUMNS = ["integration", "night_date", "run_id", "suite", "expectation",
                      "column_name", "success", "element_count", "unexpected_count",
                      "validated_at"]


def load_night(engine: sa.Engine, *, integration: str, vendor: str, night: Night, run_id: str,
               try_number: int, events: pd.DataFrame, quarantined: pd.DataFrame,
               run: dict, validation_rows: list[dict], task_id: str = "load") -> int:
    """Replace the night and record a success; returns the ledger's attempt number for it."""
    now = pd.Timestamp.now(tz="UTC")
    stamp = {"integration": integration, "vendor": vendor, "night_date": night.night_date,
             "run_id": run_id}
    events = events.assign(**stamp, loaded_at=now)[EVENT_COLUMNS]
    quarantined = quarantined.assign(**stamp, quarantined_at=now)[QUARANTINE_COLUMNS]
    run_row = {**{c: None for c in RUN_COLUMNS}, **run, **stamp, "task_id": task_id,
               "try_number": try_number, "status": "success",
               "night_start_utc": pd.Timestamp(night.start_utc),
               "night_end_utc": pd.Timestamp(night.end_utc), "finished_at": now}
    validation = pd.DataFrame(validation_rows, columns=VALIDATION_COLUMNS)
    key = {"integration": integration, "night_date": night.night_date.isoformat()}
    attempt = {}

    def replace_night(connection: sa.Connection) -> None:
        lock_night(connection, integration, night)
        for table in ("agent_status_events", "agent_status_quarantine"):
            connection.execute(sa.text(f"DELETE FROM {table} WHERE integration = :integration "
                                       "AND night_date = :night_date"), key)
        bulk_insert(connection, "agent_status_events", events)
        bulk_insert(connection, "agent_status_quarantine", quarantined)
        attempt["n"] = next_attempt(connection, integration, night, run_id)
        bulk_insert(connection, "import_runs",
                    pd.DataFrame([{**run_row, "attempt": attempt["n"]}])[RUN_COLUMNS])
        bulk_insert(connection, "validation_results", validation)

    in_transaction(engine, replace_night)
    return attempt["n"]


NIGHT_LOCK = 734212  # pg_advisory_xact_lock class: one writer of a night at a time


def lock_night(connection: sa.Connection, integration: str, night: Night) -> None:
    """On PostgreSQL, wait for any other transaction writing this night: two loads of one
    night at once would otherwise both delete, then collide on the primary key when inserting
    (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:lock, hashtext(:key))"),
                           {"lock": NIGHT_LOCK,
                            "key": f"{integration}/{night.night_date.isoformat()}"})


def next_attempt(connection: sa.Connection, integration: str, night: Night, run_id: str) -> int:
    """The ledger's next attempt number for this night and run (the writer holds the lock:
    SQLite's BEGIN IMMEDIATE, PostgreSQL's ``lock_night``; the primary key would refuse a
    duplicate rather than overwrite one)."""
    return int(connection.execute(sa.text(
        "SELECT COALESCE(MAX(attempt), 0) + 1 FROM import_runs WHERE integration = :i AND "
        "night_date = :d AND run_id = :r"),
        {"i": integration, "d": night.night_date.isoformat(), "r": run_id}).scalar())


def in_transaction(engine: sa.Engine, work, attempts: int = 6) -> None:
    """Run ``work(connection)`` in one transaction. SQLite can refuse a lock at once (without
    waiting its busy timeout) while another process recovers or checkpoints the WAL; the whole
    transaction is then retried, which is safe because it rolled back."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                work(connection)
            return
        except Exception as error:
            locked = engine.dialect.name == "sqlite" and "database is locked" in str(error)
            if not locked or attempt == attempts:
                raise
            time.sleep(0.5 * 2 ** attempt)


def record_failure(engine: sa.Engine, *, integration: str, vendor: str, nights: list[Night],
                   run_id: str, task_id: str, try_number: int, error: str) -> None:
    """A failed try leaves the data alone and appends a failed attempt, saying why, for each of
    the run's nights; earlier attempts stay as history."""
    now = pd.Timestamp.now(tz="UTC")

    def append(connection: sa.Connection) -> None:
        for night in nights:
            lock_night(connection, integration, night)
        rows = [{**{c: None for c in RUN_COLUMNS}, "integration": integration,
                 "night_date": n.night_date, "run_id": run_id,
                 "attempt": next_attempt(connection, integration, n, run_id),
                 "task_id": task_id, "try_number": try_number, "vendor": vendor,
                 "status": "failed", "night_start_utc": pd.Timestamp(n.start_utc),
                 "night_end_utc": pd.Timestamp(n.end_utc), "error": error[:4000],
                 "finished_at": now} for n in nights]
        bulk_insert(connection, "import_runs", pd.DataFrame(rows)[RUN_COLUMNS])

    in_transaction(engine, append)


def replay_quarantine(engine: sa.Engine, integration: str) -> int:
    """Quarantined events whose identifier now maps to an employee move into the events,
    remapped with today's activity mappings, in one transaction."""
    params = {"integration": integration}
    mapped = ("EXISTS (SELECT 1 FROM employee_external_ids m WHERE m.integration = "
              "q.integration AND m.external_user_id = q.external_user_id)")
    with engine.begin() as connection:
        inserted = connection.execute(sa.text(f"""
            INSERT INTO agent_status_events ({", ".join(EVENT_COLUMNS)})
            SELECT q.integration, q.vendor, q.night_date, q.external_user_id, m.employee_id,
                   q.vendor_activity_id, q.vendor_activity_name, q.reason,
                   COALESCE(am.activity_id, 1), COALESCE(am.classification, 1),
                   q.start_utc, q.end_utc, q.duration_seconds, q.is_open, q.run_id,
                   q.quarantined_at
            FROM agent_status_quarantine q
            JOIN employee_external_ids m
              ON m.integration = q.integration AND m.external_user_id = q.external_user_id
            LEFT JOIN activity_mappings am
              ON am.integration = q.integration AND am.vendor_activity_id = q.vendor_activity_id
            WHERE q.integration = :integration"""), params).rowcount
        connection.execute(sa.text(
            f"DELETE FROM agent_status_quarantine WHERE integration = :integration AND "
            f"{mapped.replace('q.', 'agent_status_quarantine.')}"), params)
    return int(inserted or 0)


def reapply_activity_mappings(engine: sa.Engine, integration: str) -> int:
    """Re-remap history already loaded with the current activity mappings (set-based)."""
    with engine.begin() as connection:
        result = connection.execute(sa.text("""
            UPDATE agent_status_events SET
              activity_id = COALESCE((SELECT am.activity_id FROM activity_mappings am
                  WHERE am.integration = agent_status_events.integration
                    AND am.vendor_activity_id = agent_status_events.vendor_activity_id), 1),
              classification = COALESCE((SELECT am.classification FROM activity_mappings am
                  WHERE am.integration = agent_status_events.integration
                    AND am.vendor_activity_id = agent_status_events.vendor_activity_id), 1)
            WHERE integration = :integration"""), {"integration": integration})
    return int(result.rowcount or 0)


def bulk_insert(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            _copy(cursor, table, frame)
        else:
            # a 64 MB page cache keeps the two indexes' pages in memory during the insert
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
            placeholders = ", ".join("?" for _ in frame.columns)
            for batch in _arrow(frame).to_batches(CHUNK_ROWS):
                cursor.executemany(f"INSERT INTO {table} ({', '.join(frame.columns)}) "
                                   f"VALUES ({placeholders})", zip(*_sqlite_columns(batch)))
    finally:
        cursor.close()


CHUNK_ROWS = 100_000
SQLITE_CACHE_KB = 65_536


def _sqlite_columns(batch) -> list[list]:
    """Each column as the Python values sqlite3 binds, converted by Arrow: timestamps as UTC
    text ``YYYY-MM-DD HH:MM:SS.ffffff`` (the format the warehouse has always stored), dates
    as ISO text, booleans as 0/1."""
    import pyarrow as pa

    out = []
    for column in batch.columns:
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us")) \
                .cast(pa.string())
        elif pa.types.is_date(column.type):
            column = column.cast(pa.string())
        elif pa.types.is_boolean(column.type):
            column = column.cast(pa.int8())
        out.append(column.to_pylist())
    return out


def _copy(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY in PostgreSQL's binary format, encoded from Arrow buffers by numpy, chunk by chunk:
    no value becomes text or a Python object, and the server parses no timestamps (pandas
    ``to_csv`` and per-value conversion took 15 of the 17 s a 1M-row night took, issue 10).
    A column type the encoder does not know falls back to CSV written by Arrow."""
    names = ", ".join(frame.columns)
    data = _arrow(frame)
    types = _column_types(cursor, table, list(frame.columns))
    if all(t in _BINARY for t in types):
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(_PGCOPY_HEADER)
            for batch in data.to_batches(CHUNK_ROWS):
                copy.write(_binary_rows(batch, types))
            copy.write(b"\xff\xff")  # the trailer: a field count of -1
        return
    import pyarrow.csv as pa_csv

    # Arrow quotes every string and leaves NULL unquoted and empty: PostgreSQL's CSV NULL
    options = pa_csv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        for batch in data.to_batches(CHUNK_ROWS):
            sink = io.BytesIO()
            pa_csv.write_csv(batch, sink, options)
            copy.write(sink.getvalue())


_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no extension
_PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's epoch, in days since 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400 * 1_000_000
_FIXED = {"integer": ">i4", "bigint": ">i8", "smallint": ">i2", "double precision": ">f8",
          "real": ">f4", "boolean": "u1", "date": ">i4", "timestamp with time zone": ">i8"}
_BINARY = {"text", *_FIXED}


def _arrow_number_types():
    import pyarrow as pa

    return {"integer": pa.int32(), "bigint": pa.int64(), "smallint": pa.int16(),
            "double precision": pa.float64(), "real": pa.float32()}


def _column_types(cursor, table: str, columns: list[str]) -> list[str]:
    cursor.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                   "WHERE attrelid = %s::regclass AND attnum > 0", (table,))
    types = dict(cursor.fetchall())
    return [types[c] for c in columns]


def _binary_rows(batch, types: list[str]) -> bytes:
    """The rows of one Arrow batch in COPY's binary tuple format: per row a field count, then
    per field its length (-1 for NULL) and its bytes in network order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    fields = []  # (lengths, payload writer) per column
    for column, pg_type in zip(batch.columns, types):
        null = column.is_null().to_numpy(zero_copy_only=False)
        if pg_type == "text":  # a NULL as "" (Arrow may keep bytes behind a NULL): no bytes
            column = pc.fill_null(column.cast(pa.large_string()), "")
            _, offsets, values = column.buffers()
            offsets = np.frombuffer(offsets, np.int64)[column.offset:column.offset + n + 1]
            values = np.frombuffer(values, np.uint8) if values is not None else \
                np.empty(0, np.uint8)
            fields.append((np.where(null, -1, np.diff(offsets)), ("text", offsets, values)))
            continue
        if pg_type == "date":
            numbers = column.cast(pa.date32()).cast(pa.int32())
            numbers = pc.subtract(numbers, pa.scalar(_PG_EPOCH_DAYS, pa.int32()))
        elif pg_type == "timestamp with time zone":
            numbers = pc.cast(column.cast(pa.timestamp("us", "UTC")), pa.int64())
            numbers = pc.subtract(numbers, pa.scalar(_PG_EPOCH_US, pa.int64()))
        elif pg_type == "boolean":
            numbers = column.cast(pa.bool_()).cast(pa.uint8())
        else:  # a column of NULLs only (Arrow's null type) casts too
            numbers = column.cast(_arrow_number_types()[pg_type])
        width = np.dtype(_FIXED[pg_type]).itemsize
        values = np.asarray(numbers.fill_null(0).to_numpy(zero_copy_only=False),
                            dtype=_FIXED[pg_type])
        fields.append((np.where(null, -1, width), ("fixed", values.view(np.uint8)
                                                  .reshape(n, width), ~null)))
    sizes = 2 + sum(4 + np.maximum(lengths, 0) for lengths, _ in fields)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    out = np.empty(int(sizes.sum()), np.uint8)
    _put(out, starts, np.full(n, len(fields), ">i2").view(np.uint8).reshape(n, 2))
    at = starts + 2
    for lengths, (kind, *payload) in fields:
        _put(out, at, lengths.astype(">i4").view(np.uint8).reshape(n, 4))
        at = at + 4
        if kind == "fixed":
            values, valid = payload
            _put(out, at[valid], values[valid])
        else:  # the column's bytes in one piece, each row's moved to its place in the tuples
            offsets, values = payload
            counts = np.diff(offsets)
            shift = np.repeat(at - offsets[:-1], counts)
            shift += np.arange(offsets[0], offsets[-1])
            out[shift] = values[offsets[0]:offsets[-1]]
        at = at + np.maximum(lengths, 0)
    return out.tobytes()


def _put(out: np.ndarray, at: np.ndarray, rows: np.ndarray) -> None:
    """Writes rows[i] (fixed width) at out[at[i]:]."""
    out[at[:, None] + np.arange(rows.shape[1])] = rows


def _arrow(frame: pd.DataFrame):
    """The frame as an Arrow table PostgreSQL reads back exactly: timestamps in UTC (naive ones
    are UTC), dates as dates, dicts and lists as JSON text."""
    import pyarrow as pa

    arrays = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            if not isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize("UTC")
            arrays[name] = pa.array(values.dt.tz_convert("UTC").astype("datetime64[us, UTC]"))
            continue
        try:
            array = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: JSON and ISO text
            array = pa.array(values.astype(object).map(_plain, na_action="ignore")
                             .map(lambda v: v if isinstance(v, str) else str(v),
                                  na_action="ignore"), type=pa.string(), from_pandas=True)
        if pa.types.is_struct(array.type) or pa.types.is_list(array.type) \
                or pa.types.is_map(array.type):
            array = pa.array(values.map(_plain, na_action="ignore"), type=pa.string(),
                             from_pandas=True)
        arrays[name] = array
    return pa.table(arrays)


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value
