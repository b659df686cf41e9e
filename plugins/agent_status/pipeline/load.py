"""Load: one transaction per night. The night's events and quarantine are replaced, the run is
recorded, and a failure anywhere leaves the warehouse as it was. Bulk paths only: COPY on
PostgreSQL, executemany on SQLite.

The ledger (import_runs) gets one row per attempt at a night: ``attempt`` is numbered by the
warehouse per (integration, night, run), so any order of task failures and retries appends
rows and never collides; ``task_id`` and ``try_number`` say which Airflow try it was."""

from __future__ import annotations

import datetime as dt
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


def next_attempt(connection: sa.Connection, integration: str, night: Night, run_id: str) -> int:
    """The ledger's next attempt number for this night and run (the writer holds the lock:
    SQLite's BEGIN IMMEDIATE; on PostgreSQL one run of an integration writes at a time and the
    primary key refuses a duplicate rather than overwrite one)."""
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
    postgres = connection.dialect.name == "postgresql"
    cursor = connection.connection.driver_connection.cursor()
    try:
        if postgres:
            _copy(cursor, table, frame)
        else:
            placeholders = ", ".join("?" for _ in frame.columns)
            for offset in range(0, len(frame), CHUNK_ROWS):
                columns = _wire_columns(frame.iloc[offset:offset + CHUNK_ROWS], postgres=False)
                cursor.executemany(f"INSERT INTO {table} ({', '.join(frame.columns)}) "
                                   f"VALUES ({placeholders})", zip(*columns))
    finally:
        cursor.close()


CHUNK_ROWS = 100_000


def _copy(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY in CSV, chunk by chunk; timestamps are formatted by numpy, not per value."""
    names = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        for offset in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[offset:offset + CHUNK_ROWS]
            text = pd.DataFrame(dict(zip(chunk.columns, _wire_columns(chunk, postgres=True))),
                                columns=chunk.columns)
            copy.write(text.to_csv(header=False, index=False))


def _wire_columns(frame: pd.DataFrame, postgres: bool) -> list:
    """Each column ready for the driver: timestamps as UTC text (numpy's C formatter), NULLs
    as None; plain Python values for SQLite's executemany."""
    out = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            text = np.datetime_as_string(values.to_numpy("datetime64[us]"), unit="us")
            text = np.char.add(text, "+00:00") if postgres else np.char.replace(text, "T", " ")
            column = text.astype(object)
            column[frame[name].isna().to_numpy()] = None
            out.append(column if postgres else column.tolist())
        elif values.dtype == bool:
            out.append(values.to_numpy() if postgres else values.astype(int).tolist())
        else:
            column = values.astype(object).where(values.notna(), None)
            sample = column.dropna()
            if len(sample) and isinstance(sample.iloc[0], (dt.date, dict, list)):
                column = column.map(_plain, na_action="ignore")
            out.append(column.to_numpy() if postgres else column.tolist())
    return out


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value
