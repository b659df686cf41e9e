"""`make bench`: time and peak memory of the pipeline steps on one large night.

Builds a night of N events (default 1,000,000; BENCH_EVENTS) for 5,000 agents, then runs
normalise, the employee join + quarantine split, GX validation, remap and the load into the
embedded SQLite warehouse and, when reachable, PostgreSQL on 127.0.0.1:5432.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from agent_status.nights import Night
from agent_status.pipeline.load import load_night
from agent_status.pipeline.normalise import normalise
from agent_status.pipeline.quarantine import split_unmapped
from agent_status.pipeline.remap import remap
from agent_status.pipeline.validate import validate_night
from agent_status.warehouse import create_warehouse_engine, ensure_schema

N = int(os.environ.get("BENCH_EVENTS", 1_000_000))
AGENTS = 5_000
NIGHT = Night(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc),
              dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc), dt.date(2026, 11, 1))


def raw_night() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    per_agent = N // AGENTS
    durations = rng.integers(5, 160, size=(AGENTS, per_agent))
    starts = np.cumsum(durations, axis=1) - durations
    activity = np.array(["READY", "CALL", "WRAP", "BREAK"])[rng.integers(0, 4, size=(AGENTS, per_agent))]
    base = pd.Timestamp(NIGHT.start_utc)
    start = base + pd.to_timedelta(starts.ravel(), unit="s")
    frame = pd.DataFrame({
        "external_user_id": np.repeat([f"agent{i:05d}" for i in range(AGENTS)], per_agent),
        "vendor_activity_id": activity.ravel(), "vendor_activity_name": activity.ravel(),
        "reason": None, "start_utc": start,
        "end_utc": start + pd.to_timedelta(durations.ravel(), unit="s")})
    dupes = frame.sample(frac=0.02, random_state=1)  # vendors repeat records
    return pd.concat([frame, dupes], ignore_index=True)


def step(name, func, *args):
    started = time.perf_counter()
    result = func(*args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:<28} {time.perf_counter() - started:8.2f} s   peak RSS {peak:8.0f} MB", flush=True)
    return result


def main() -> int:
    raw = step("build raw night", raw_night)
    print(f"raw events: {len(raw):,}")
    segments = step("normalise", normalise, raw, NIGHT)
    employees = pd.DataFrame({"external_user_id": [f"agent{i:05d}" for i in range(AGENTS - 10)],
                              "employee_id": [f"E{i}" for i in range(AGENTS - 10)]})
    mapped, quarantined = step("employee join + quarantine", split_unmapped, segments, employees)
    os.environ.setdefault("AGENT_STATUS_GX_DIR", tempfile.mkdtemp())
    joined = pd.concat([mapped, quarantined.drop(columns=["quarantine_reason", "hint"])
                        .assign(employee_id=None)], ignore_index=True)
    step("GX validate night", validate_night, joined, "bench", NIGHT)
    mappings = pd.DataFrame({"vendor_activity_id": ["READY", "CALL"], "activity_id": [10, 11],
                             "classification": [1, 1]})
    events, _ = step("remap", remap, mapped, mappings)
    print(f"segments: {len(segments):,}  loaded: {len(events):,}  quarantined: {len(quarantined):,}")
    targets = [f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"]
    try:
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text("DROP DATABASE IF EXISTS agent_status_bench WITH (FORCE)"))
            c.execute(sa.text("CREATE DATABASE agent_status_bench"))
        targets.append("postgresql+psycopg://postgres@127.0.0.1:5432/agent_status_bench")
    except Exception as error:
        print(f"PostgreSQL not reachable, skipped: {type(error).__name__}")
    for url in targets:
        engine = create_warehouse_engine(url)
        ensure_schema(engine)
        for attempt in (1, 2):  # the second load replaces the night
            step(f"load {engine.dialect.name} #{attempt}", lambda: load_night(
                engine, integration="bench", vendor="bench", night=NIGHT, run_id=f"r{attempt}",
                try_number=1, events=events, quarantined=quarantined,
                run={"events_loaded": len(events)}, validation_rows=[]))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
