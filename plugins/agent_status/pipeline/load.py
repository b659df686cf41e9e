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
from agent_status.warehouse import query

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
    # the night's own values, the same in every row: given once, not as columns of a million
    events_stamp, quarantine_stamp = {**stamp, "loaded_at": now}, {**stamp, "quarantined_at": now}
    events = events[[c for c in EVENT_COLUMNS if c not in events_stamp]]
    quarantined = quarantined[[c for c in QUARANTINE_COLUMNS if c not in quarantine_stamp]]
    run_row = {**{c: None for c in RUN_COLUMNS}, **run, **stamp, "task_id": task_id,
               "try_number": try_number, "status": "success",
               "night_start_utc": pd.Timestamp(night.start_utc),
               "night_end_utc": pd.Timestamp(night.end_utc), "finished_at": now}
    validation = pd.DataFrame(validation_rows, columns=VALIDATION_COLUMNS)
    key = {"integration": integration, "night_date": night.night_date.isoformat()}
    attempt = {}

    def replace_night(connection: sa.Connection) -> None:
        lock_night(connection, integration, night)
        connection.execute(sa.text(query("events_delete_night")), key)
        connection.execute(sa.text(query("quarantine_delete_night")), key)
        bulk_insert(connection, "agent_status_events", events, events_stamp)
        bulk_insert(connection, "agent_status_quarantine", quarantined, quarantine_stamp)
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
        connection.execute(sa.text(query("night_lock", "postgresql")), {
            "lock": NIGHT_LOCK, "key": f"{integration}/{night.night_date.isoformat()}"})


def next_attempt(connection: sa.Connection, integration: str, night: Night, run_id: str) -> int:
    """The ledger's next attempt number for this night and run (the writer holds the lock:
    SQLite's BEGIN IMMEDIATE, PostgreSQL's ``lock_night``; the primary key would refuse a
    duplicate rather than overwrite one)."""
    return int(connection.execute(sa.text(query("import_runs_next_attempt")), {
        "integration": integration, "night_date": night.night_date.isoformat(),
        "run_id": run_id}).scalar())


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
    with engine.begin() as connection:
        inserted = connection.execute(sa.text(query("quarantine_replay_insert")),
                                      params).rowcount
        connection.execute(sa.text(query("quarantine_replay_delete")), params)
    return int(inserted or 0)


def reapply_activity_mappings(engine: sa.Engine, integration: str) -> int:
    """Re-remap history already loaded with the current activity mappings (set-based)."""
    with engine.begin() as connection:
        result = connection.execute(sa.text(query("events_reapply_activity_mappings")),
                                    {"integration": integration})
    return int(result.rowcount or 0)


def bulk_insert(connection: sa.Connection, table: str, frame: pd.DataFrame,
                constants: dict | None = None) -> None:
    """The frame's rows into the table; ``constants`` (column -> value) are columns with one
    value for every row: COPY encodes their fields once and ends every row with them, SQLite's
    INSERT carries them once as literals instead of binding them per row."""
    if frame.empty:
        return
    constants = _arrow(pd.DataFrame([constants])) if constants else None
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            types = dict(connection.execute(sa.text(query("column_types", "postgresql")),
                                            {"table": table}).all())
            _copy(cursor, table, _arrow(frame), types, constants)
        else:
            # a 64 MB page cache keeps the key's pages in memory during the insert
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
            _insert_sqlite(cursor, table, _arrow(frame), constants)
    finally:
        cursor.close()


def _insert_sqlite(cursor, table: str, data, constants=None) -> None:
    """INSERT statements of many rows each (``VALUES (...), (...), ...``), run by executemany:
    sqlite3 steps and resets a statement once per row, and a row per statement cost a 1M-event
    night half a second of its 2.4 s of inserting (issue 10). Each statement binds at most 999 values,
    the limit of any SQLite build; the constants are literals in the statement text."""
    names, values = list(data.column_names), ["?"] * data.num_columns
    if constants is not None:
        names += constants.column_names
        values += [_sqlite_literal(_sqlite_values(c.combine_chunks())[0])
                   for c in constants.columns]
    insert, row = f"INSERT INTO {table} ({', '.join(names)}) VALUES ", f"({', '.join(values)})"
    width = data.num_columns
    per_statement = max(1, SQLITE_VARIABLES // width)
    for batch in data.to_batches(CHUNK_ROWS):
        rows = np.empty((batch.num_rows, width), object)  # a row of Python values per row
        for i, column in enumerate(batch.columns):
            rows[:, i] = _sqlite_values(column)
        whole = len(rows) - len(rows) % per_statement
        if whole:
            cursor.executemany(insert + ", ".join([row] * per_statement),
                               rows[:whole].reshape(-1, per_statement * width).tolist())
        if whole < len(rows):
            cursor.execute(insert + ", ".join([row] * (len(rows) - whole)),
                           rows[whole:].ravel().tolist())


def _sqlite_literal(value) -> str:
    """A value as SQLite reads it back from SQL text: text quoted (quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


CHUNK_ROWS = 100_000
SQLITE_CACHE_KB = 65_536
SQLITE_VARIABLES = 999


def _sqlite_values(column) -> np.ndarray:
    """A column as the Python values sqlite3 binds (an object array), converted by Arrow:
    timestamps as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (the format the warehouse has always
    stored), dates as ISO text, booleans as 0/1. Text is dictionary-encoded first, so a value
    becomes one Python string however many rows hold it (a night's activity codes, reasons
    and identifiers repeat on thousands of rows each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us")) \
            .cast(pa.string())
    elif pa.types.is_date(column.type):
        column = column.cast(pa.string())
    elif pa.types.is_boolean(column.type):
        column = column.cast(pa.int8())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        encoded = pc.dictionary_encode(column)
        distinct = np.fromiter([*encoded.dictionary.to_pylist(), None], object)
        return distinct[encoded.indices.fill_null(len(distinct) - 1)
                        .to_numpy(zero_copy_only=False)]
    if column.null_count == 0 and (pa.types.is_integer(column.type)
                                   or pa.types.is_floating(column.type)):
        return column.to_numpy().astype(object)  # Python ints and floats, as to_pylist
    return np.fromiter(column.to_pylist(), object, len(column))


def _copy(cursor, table: str, data, types: dict[str, str], constants=None) -> None:
    """COPY in PostgreSQL's binary format, encoded from Arrow buffers chunk by chunk: no value
    becomes text or a Python object, and the server parses no timestamps (pandas ``to_csv`` and
    per-value conversion took 15 of the 17 s a 1M-row night took, issue 10).

    The columns go fixed-width first (their fields become one block per row), text after, and
    ``constants`` (a one-row Arrow table) last: their fields are encoded once and end every
    row. A thread encodes the next chunk while this one is on its way to the server: the
    server's work (heap, primary key, WAL) and the encoding ran one after the other, 2.0 and
    0.6 s of a 1M-event night's 2.9 s (issue 10). A column type the encoder does not know falls
    back to CSV written by Arrow, constants repeated in every row."""
    data = data.select(sorted(data.column_names, key=lambda c: types[c] == "text"))
    last = constants.column_names if constants is not None else []
    names = ", ".join(data.column_names + last)
    if all(types[c] in _BINARY for c in data.column_names + last):
        field_count = np.array([len(data.column_names) + len(last)], ">i2").tobytes()
        suffix = b"" if constants is None else bytes(_binary_rows(
            constants.to_batches()[0], [types[c] for c in last], prefix=b""))
        row_types = [types[c] for c in data.column_names]
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(_PGCOPY_HEADER)
            for rows in _ahead(lambda batch: _binary_rows(batch, row_types, field_count, suffix),
                               data.to_batches(CHUNK_ROWS)):
                copy.write(rows)
            copy.write(b"\xff\xff")  # the trailer: a field count of -1
        return
    import pyarrow.csv as pa_csv

    for name, value in zip(last, constants.columns if constants is not None else []):
        data = data.append_column(name, value.take(np.zeros(len(data), np.int32)))
    # Arrow quotes every string and leaves NULL unquoted and empty: PostgreSQL's CSV NULL
    options = pa_csv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        for batch in data.to_batches(CHUNK_ROWS):
            sink = io.BytesIO()
            pa_csv.write_csv(batch, sink, options)
            copy.write(sink.getvalue())


def _ahead(work, items):
    """``work(item)`` for each item, in order; a thread works on the next item while the
    caller uses this one's result (at most two results wait, bounding memory). Arrow and numpy
    release the GIL, and so does psycopg while it waits for the server."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="copy-encoder") as pool:
        pending = None
        for item in items:
            future = pool.submit(work, item)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


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


def _binary_rows(batch, types: list[str], prefix: bytes | None = None,
                 suffix: bytes = b"") -> memoryview:
    """The rows of one Arrow batch in COPY's binary tuple format: per row a field count, then
    per field its length (-1 for NULL) and its bytes in network order. ``prefix`` replaces the
    field count (b"": none), ``suffix`` ends every row (the constants' fields). Consecutive
    fixed-width fields without NULLs are laid side by side in one numpy block; a text column
    is its lengths (in the block before it) and its bytes; Arrow's element-wise join lays the
    parts out row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    if prefix is None:
        prefix = np.array([len(types)], ">i2").tobytes()
    parts, block = [], [np.broadcast_to(np.frombuffer(prefix, np.uint8), (n, len(prefix)))]

    def end_block():
        if any(b.shape[1] for b in block):
            parts.append(_binary_column(np.hstack(block)))
        block.clear()

    for column, pg_type in zip(batch.columns, types):
        null = column.is_null().to_numpy(zero_copy_only=False)
        if pg_type == "text":  # a NULL as "" (Arrow may keep bytes behind a NULL): no bytes
            text = pc.fill_null(column.cast(pa.string()), "").cast(pa.binary())
            lengths = pc.binary_length(text).to_numpy(zero_copy_only=False)
            block.append(np.where(null, -1, lengths).astype(">i4").view(np.uint8).reshape(n, 4))
            end_block()
            parts.append(text)
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
        values = np.asarray(numbers.fill_null(0).to_numpy(zero_copy_only=False),
                            dtype=_FIXED[pg_type])
        width = values.dtype.itemsize
        fields = np.empty((n, 4 + width), np.uint8)  # per row: length, value
        fields[:, :4] = np.where(null, -1, width).astype(">i4").view(np.uint8).reshape(n, 4)
        fields[:, 4:] = values.view(np.uint8).reshape(n, width)
        if null.any():  # a NULL is its length alone
            end_block()
            keep = np.ones(fields.shape, bool)
            keep[null, 4:] = False
            parts.append(_binary_column(fields[keep], np.where(null, 4, 4 + width)))
        else:
            block.append(fields)
    end_block()
    if suffix:
        parts.append(pa.scalar(suffix, pa.binary()))
    rows = pc.binary_join_element_wise(*parts, b"") if len(parts) > 1 else parts[0]
    offsets = np.frombuffer(rows.buffers()[1], np.int32)
    return memoryview(rows.buffers()[2]).cast("B")[offsets[rows.offset]:offsets[rows.offset + n]]


def _binary_column(values: np.ndarray, sizes: np.ndarray | None = None):
    """An Arrow binary column over bytes: one row per row of ``values`` (a 2-D uint8 array, or
    a 1-D array of fixed-width numbers), or ``values`` (flat bytes) cut at ``sizes``."""
    import pyarrow as pa

    if sizes is None:
        n = len(values)
        sizes = np.full(n, values.nbytes // max(n, 1))
    offsets = np.zeros(len(sizes) + 1, np.int32)
    np.cumsum(sizes, out=offsets[1:])
    return pa.Array.from_buffers(pa.binary(), len(sizes), [
        None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(values))])


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
