"""Load: one transaction per night, replace-the-night, rollback on failure, concurrency."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.nights import Night
from agent_status.pipeline.load import load_night, reapply_activity_mappings, record_failure
from agent_status.warehouse import create_warehouse_engine, ensure_schema

UTC = dt.timezone.utc


def night(day: int) -> Night:
    return Night(dt.datetime(2026, 11, day, tzinfo=UTC), dt.datetime(2026, 11, day + 1, tzinfo=UTC),
                 dt.date(2026, 11, day))


def events(n: int, day: int, user_prefix="u") -> pd.DataFrame:
    start = pd.Timestamp(f"2026-11-{day:02d}", tz="UTC") + pd.to_timedelta(range(n), unit="s")
    return pd.DataFrame({
        "external_user_id": [f"{user_prefix}{i % 50}" for i in range(n)],
        "employee_id": [f"E{i % 50}" for i in range(n)], "vendor_activity_id": "READY",
        "vendor_activity_name": "Ready", "reason": None, "activity_id": 1, "classification": 1,
        "start_utc": start, "end_utc": start + pd.Timedelta(seconds=1), "duration_seconds": 1.0,
        "is_open": False})


NO_QUARANTINE = pd.DataFrame(columns=["external_user_id", "vendor_activity_id",
                                      "vendor_activity_name", "reason", "start_utc", "end_utc",
                                      "duration_seconds", "is_open", "quarantine_reason", "hint"])


def load(engine, frame, day, integration="i1", run_id="r1"):
    load_night(engine, integration=integration, vendor="avaya_cms", night=night(day),
               run_id=run_id, try_number=1, events=frame, quarantined=NO_QUARANTINE,
               run={"events_loaded": len(frame)}, validation_rows=[])


def count(engine, integration="i1"):
    with engine.connect() as c:
        return c.execute(sa.text("SELECT COUNT(*) FROM agent_status_events WHERE integration = :i"),
                         {"i": integration}).scalar()


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_replace_the_night_and_rollback_on_failure(warehouse):
    load(warehouse, events(1000, 1), 1)
    load(warehouse, events(500, 2), 2)
    load(warehouse, events(800, 1), 1, run_id="r2")  # re-run: night 1 replaced, night 2 kept
    assert count(warehouse) == 1300
    broken = events(300, 1)
    broken.loc[299, "start_utc"] = broken.loc[0, "start_utc"]  # duplicate key fails mid-load
    broken.loc[299, "external_user_id"] = broken.loc[0, "external_user_id"]
    with pytest.raises(Exception, match="UNIQUE constraint|duplicate key"):
        load(warehouse, broken, 1, run_id="r3")
    assert count(warehouse) == 1300  # the failed night left the previous state
    with warehouse.connect() as c:
        runs = c.execute(sa.text("SELECT run_id FROM import_runs ORDER BY run_id")).scalars().all()
    assert runs == ["r1", "r1", "r2"]


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_reapply_activity_mappings_to_history(warehouse):
    load(warehouse, events(100, 1), 1)
    with warehouse.begin() as c:
        c.execute(sa.text("INSERT INTO activities VALUES (10, 'Available')"))
        c.execute(sa.text("INSERT INTO activity_mappings VALUES ('i1', 'READY', 10, 2, "
                          "CURRENT_TIMESTAMP)"))
    assert reapply_activity_mappings(warehouse, "i1") == 100
    with warehouse.connect() as c:
        assert c.execute(sa.text("SELECT DISTINCT activity_id, classification FROM "
                                 "agent_status_events")).all() == [(10, 2)]
        seconds = c.execute(sa.text("SELECT SUM(seconds) FROM time_in_activity_daily WHERE "
                                    "activity_name = 'Available'")).scalar()
    assert seconds == 100


def _loader(url, integration, rounds):
    engine = create_warehouse_engine(url)
    for r in range(rounds):
        load(engine, events(20_000, 1 + r % 3, integration), 1 + r % 3, integration, f"r{r}")
    engine.dispose()


def _reader(url, stop, results):
    engine = create_warehouse_engine(url)
    reads = 0
    while not stop.is_set():
        with engine.connect() as c:
            c.execute(sa.text("SELECT COUNT(*), SUM(seconds) FROM time_in_activity_daily")).all()
        reads += 1
        time.sleep(0.05)  # an analyst's query every few hundredths of a second
    results.put(reads)
    engine.dispose()


def test_sqlite_survives_two_loaders_and_a_reader(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    ensure_schema(create_warehouse_engine(url))
    ctx = mp.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    reader = ctx.Process(target=_reader, args=(url, stop, results))
    loaders = [ctx.Process(target=_loader, args=(url, name, 4)) for name in ("a", "b")]
    reader.start()
    for p in loaders:
        p.start()
    for p in loaders:
        p.join(900)
    stop.set()
    reader.join(60)
    assert [p.exitcode for p in loaders] == [0, 0] and reader.exitcode == 0
    assert results.get(timeout=5) > 0
    engine = create_warehouse_engine(url)
    assert count(engine, "a") == count(engine, "b") == 60_000  # 3 nights of 20,000


def _ledger(engine):
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(
            "SELECT night_date, attempt, task_id, try_number, status FROM import_runs "
            "ORDER BY night_date, attempt")).all()]


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("failures", [
    [("extract", 1)],  # extract fails on try 1, then every task succeeds on its try 1
    [("transform", 1), ("transform", 2)],
    [("extract", 1), ("transform", 1), ("load", 1)],  # load fails once too, succeeds on try 2
])
def test_any_order_of_retries_ends_in_one_consistent_ledger(warehouse, failures):
    """A failure row was keyed by the failing task's try number and load's success row by its
    own: a retried extract then made load fail on UNIQUE import_runs."""
    nights = [night(1), night(2)]
    for task_id, try_number in failures:
        record_failure(warehouse, integration="i1", vendor="avaya_cms", nights=nights,
                       run_id="r1", task_id=task_id, try_number=try_number,
                       error=f"{task_id} try {try_number} failed")
    load_try = 1 + sum(task == "load" for task, _ in failures)
    attempts = [load_night(warehouse, integration="i1", vendor="avaya_cms", night=n,
                           run_id="r1", try_number=load_try, events=events(10, n.start_utc.day),
                           quarantined=NO_QUARANTINE, run={"events_loaded": 10},
                           validation_rows=[]) for n in nights]
    ledger = _ledger(warehouse)
    expected = []
    for n in nights:
        rows = [(task, t, "failed") for task, t in failures] + [("load", load_try, "success")]
        expected += [(n.night_date, i, task, t, status)
                     for i, (task, t, status) in enumerate(rows, start=1)]
    assert [(dt.date.fromisoformat(str(d)), *rest) for d, *rest in ledger] == expected
    assert attempts == [len(failures) + 1] * 2  # the failures stay visible before the success
    assert count(warehouse) == 20


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_bulk_path_round_trips_every_value(warehouse):
    """The bulk path writes text with quotes, commas, newlines, empty strings and NULLs,
    sub-second timestamps and the night's date exactly as they were."""
    frame = events(6, 1)
    frame["vendor_activity_name"] = ['say "hi", then', "two\nlines", "", None, "é ✓", "\\N"]
    frame["reason"] = [None, "", ",", '"', "NULL", "x"]
    frame["start_utc"] += pd.to_timedelta([0, 1, 2, 3, 4, 5], unit="us")
    frame["duration_seconds"] = [1.0, 0.5, 1e-6, 86400.0, 3.25, 7.0]
    frame["is_open"] = [False, True, False, True, False, False]
    load(warehouse, frame, 1)
    with warehouse.connect() as c:
        rows = c.execute(sa.text(
            "SELECT external_user_id, vendor_activity_name, reason, start_utc, end_utc, "
            "duration_seconds, is_open, night_date FROM agent_status_events "
            "ORDER BY external_user_id")).all()
    text = frame[["vendor_activity_name", "reason"]].astype(object)
    assert [(r[1], r[2]) for r in rows] == [tuple(None if pd.isna(v) else v for v in pair)
                                            for pair in text.itertuples(index=False)]
    assert [pd.Timestamp(r[3]).tz_localize(None) if pd.Timestamp(r[3]).tzinfo is None
            else pd.Timestamp(r[3]).tz_convert(None) for r in rows] == \
        list(frame.start_utc.dt.tz_convert(None))
    assert [float(r[5]) for r in rows] == list(frame.duration_seconds)
    assert [bool(r[6]) for r in rows] == list(frame.is_open)
    assert {str(r[7]) for r in rows} == {"2026-11-01"}
    if warehouse.dialect.name == "sqlite":  # the text format SQLite has always stored
        assert (rows[1][3], rows[1][4]) == ("2026-11-01 00:00:01.000001",
                                            "2026-11-01 00:00:02.000000")


def test_binary_rows_skip_bytes_arrow_keeps_behind_a_null():
    """Arrow allows a NULL string slot to cover bytes; COPY must carry none of them."""
    import numpy as np
    import pyarrow as pa

    from agent_status.pipeline.load import _binary_rows

    offsets = pa.array([0, 2, 5, 6], pa.int32()).buffers()[1]
    validity = pa.array([True, False, True]).buffers()[1]
    text = pa.StringArray.from_buffers(3, offsets, pa.py_buffer(b"abXYZc"), validity)
    batch = pa.RecordBatch.from_arrays([text, pa.array([1, None, 3], pa.int32())], ["t", "i"])
    rows = _binary_rows(batch, ["text", "integer"])

    def row(*fields):
        out = np.array([len(fields)], ">i2").tobytes()
        for f in fields:
            out += np.array([-1 if f is None else len(f)], ">i4").tobytes() + (f or b"")
        return out

    assert rows == row(b"ab", np.array([1], ">i4").tobytes()) + row(None, None) + \
        row(b"c", np.array([3], ">i4").tobytes())


def test_copy_csv_fallback_stores_what_binary_copy_stores(postgres_url, monkeypatch):
    """A column type the binary encoder does not know sends the table through CSV, the night's
    constants repeated in every row: both paths store the same rows."""
    from agent_status.pipeline import load as load_module

    engine = create_warehouse_engine(postgres_url)
    ensure_schema(engine)
    frame = events(250, 1)
    frame["vendor_activity_name"] = ['say "hi", then', "two\nlines", "", None, "é ✓"] * 50
    frame["start_utc"] += pd.to_timedelta(range(250), unit="us")
    load(engine, frame, 1, integration="binary")
    monkeypatch.setattr(load_module, "_BINARY", set())
    load(engine, frame, 1, integration="csv")
    columns = [c for c in load_module.EVENT_COLUMNS if c not in ("integration", "loaded_at")]
    with engine.connect() as c:
        stored = {i: c.execute(sa.text(
            f"SELECT {', '.join(columns)} FROM agent_status_events WHERE integration = :i "
            "ORDER BY external_user_id, start_utc"), {"i": i}).all() for i in ("binary", "csv")}
    assert len(stored["binary"]) == 250 and stored["binary"] == stored["csv"]
    engine.dispose()


def test_sqlite_statements_of_many_rows_store_each_row_as_it_was(tmp_path):
    """SQLite takes rows many to an INSERT statement (and the rest in a last, shorter one):
    every row arrives whole, in its column, with the type and text format of one row at a
    time (UTC text timestamps, 0/1 booleans, ISO dates, NULL for None)."""
    from agent_status.pipeline.load import SQLITE_VARIABLES

    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    ensure_schema(engine)
    frame = events(2 * SQLITE_VARIABLES + 7, 1)
    frame["reason"] = [None if i % 3 else f"r'{i % 4}" for i in range(len(frame))]
    frame["start_utc"] += pd.to_timedelta(range(len(frame)), unit="us")
    frame["duration_seconds"] = [i / 8 for i in range(len(frame))]
    frame["is_open"] = [i % 2 == 0 for i in range(len(frame))]
    frame["activity_id"] = range(len(frame))
    load(engine, frame, 1)
    with engine.connect() as c:
        rows = c.execute(sa.text(
            "SELECT external_user_id, employee_id, reason, typeof(reason), activity_id, "
            "typeof(activity_id), start_utc, end_utc, duration_seconds, "
            "typeof(duration_seconds), is_open, typeof(is_open), night_date, vendor, run_id "
            "FROM agent_status_events ORDER BY activity_id")).all()
    expected = [(r.external_user_id, r.employee_id, None if pd.isna(r.reason) else r.reason,
                 "null" if pd.isna(r.reason) else "text", r.activity_id, "integer",
                 r.start_utc.strftime("%Y-%m-%d %H:%M:%S.%f"),
                 r.end_utc.strftime("%Y-%m-%d %H:%M:%S.%f"), r.duration_seconds, "real",
                 int(r.is_open), "integer", "2026-11-01", "avaya_cms", "r1")
                for r in frame.itertuples()]
    assert [tuple(r) for r in rows] == expected
    engine.dispose()
