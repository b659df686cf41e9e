"""`make bench`: a large night from the vendor's bytes to committed rows, against the floor.

One night of BENCH_EVENTS raw events (default 1,000,000) for BENCH_AGENTS agents (10,000),
as Genesys Cloud user-details pages (JSON bytes prepared in memory, so the network is not what
is measured). In the same run, on the same bytes:

- the floor: orjson -> Arrow columns -> ADBC ``adbc_ingest`` into PostgreSQL (issue 10);
- the product: the Genesys connector's parsing (its own HTTP JSON decoding and record->frame
  code), normalise, employee join + quarantine, Great Expectations, remap, and the load into
  PostgreSQL (first load, then replacing the night) and into SQLite;
- a four-night run (a night plus three lookback nights, same size per night) through the
  Airflow tasks' own ``transform`` and ``load``, for its peak memory;
- one SQL vendor's rows: a night of BENCH_EVENTS statuses in a PostgreSQL status table, read by
  the generic SQL connector (vendors.md 10.2; its query, local-time placement and checks) and
  normalised, against the same floor (printed, outside the RESULT line, which is Genesys').

Each measurement runs in its own process so that peak RSS is its own. The floor and the
one-night product run BENCH_ROUNDS times (3), alternating; each time in the ratios is the best
of its runs (the same for both sides), each peak the highest. The last line is
``RESULT end_to_end_over_floor_postgresql=... end_to_end_over_floor_sqlite=...
peak_rss_mb=... four_night_peak_rss_mb=... replace_over_first_load=...``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N = int(os.environ.get("BENCH_EVENTS", 1_000_000))
AGENTS = int(os.environ.get("BENCH_AGENTS", 10_000))
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))  # floor and one night, alternating
PAGE_USERS = 100  # users per details page, the connector's default page size
DAY = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
ROUTED = ["IDLE", "INTERACTING", "COMMUNICATING"]
OTHER = ["AVAILABLE", "BREAK", "MEAL", "MEETING"]


# -- the vendor's bytes -----------------------------------------------------------------------

def user_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def pages_for_night(day: dt.datetime, seed: int) -> list[bytes]:
    """User-details pages for one night: each agent a run of presences; an ON_QUEUE presence
    carries three routing segments, any other one OFF_QUEUE, as Genesys stores them."""
    import orjson

    rng = np.random.default_rng(seed)
    presences = max(1, N // AGENTS // 3)  # ~3 records per presence (see docstring)
    durations = rng.integers(30, 600, size=(AGENTS, presences))
    starts = np.cumsum(durations, axis=1) - durations
    on_queue = rng.random((AGENTS, presences)) < 0.5
    other = rng.integers(0, len(OTHER), size=(AGENTS, presences))
    base = np.datetime64(day.replace(tzinfo=None), "ms")
    stamps = np.datetime_as_string(base + (starts * 1000).astype("timedelta64[ms]"), unit="ms")
    ends = np.datetime_as_string(base + ((starts + durations) * 1000).astype("timedelta64[ms]"),
                                 unit="ms")
    details = []
    for agent in range(AGENTS):
        presence, routing = [], []
        for p in range(presences):
            start, end = stamps[agent, p] + "Z", ends[agent, p] + "Z"
            if on_queue[agent, p]:
                presence.append({"startTime": start, "endTime": end, "systemPresence": "ON_QUEUE",
                                 "organizationPresenceId": "e08eaf1b-ee47-4fa9-a231-1200e284798f"})
                t0, length = starts[agent, p], durations[agent, p]
                cuts = [t0, t0 + length // 3, t0 + 2 * length // 3, t0 + length]
                for k in range(3):
                    routing.append({
                        "startTime": str(base + np.timedelta64(int(cuts[k]) * 1000, "ms")) + "Z",
                        "endTime": str(base + np.timedelta64(int(cuts[k + 1]) * 1000, "ms")) + "Z",
                        "routingStatus": ROUTED[k]})
            else:
                code = OTHER[other[agent, p]]
                presence.append({"startTime": start, "endTime": end, "systemPresence": code,
                                 "organizationPresenceId": f"{code.lower()}-presence-id"})
                routing.append({"startTime": start, "endTime": end, "routingStatus": "OFF_QUEUE"})
        details.append({"userId": user_id(agent), "primaryPresence": presence,
                        "routingStatus": routing})
    return [orjson.dumps({"userDetails": details[i:i + PAGE_USERS]})
            for i in range(0, len(details), PAGE_USERS)]


class PageFile:
    """Pages stored one after another in a file; page i is read when asked for."""

    def __init__(self, path: Path):
        self.path = path
        self.offsets = json.loads(path.with_suffix(".json").read_text())

    @classmethod
    def write(cls, path: Path, pages: list[bytes]) -> PageFile:
        offsets, at = [], 0
        with path.open("wb") as out:
            for page in pages:
                out.write(page)
                offsets.append([at, len(page)])
                at += len(page)
        path.with_suffix(".json").write_text(json.dumps(offsets))
        return cls(path)

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, index: int) -> bytes:
        at, size = self.offsets[index]
        with self.path.open("rb") as source:
            source.seek(at)
            return source.read(size)

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def night(day: dt.datetime):
    from agent_status.nights import Night

    return Night(day, day + dt.timedelta(days=1), day.date())


def peak_mb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class Stages:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    def run(self, name: str, rows_of, func, *args, **kwargs):
        started = time.perf_counter()
        result = func(*args, **kwargs)
        took = time.perf_counter() - started
        self.seconds[name] = took
        rows = rows_of(result) if rows_of else None
        rate = f"{rows / took:12,.0f} rows/s" if rows else " " * 19
        print(f"  {name:<34} {took:7.2f} s {rate}   peak RSS {peak_mb():6d} MB", flush=True)
        return result


# -- the floor --------------------------------------------------------------------------------

def floor(pages: list[bytes], pg_url: str) -> float:
    """The least any implementation must do: JSON pages -> Arrow columns -> ADBC ingest."""
    import adbc_driver_postgresql.dbapi as adbc
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc

    started = time.perf_counter()  # imports above are outside, as the product's
    columns = {k: [] for k in ("user_id", "kind", "code", "reason", "start", "end")}
    for page in pages:
        for detail in orjson.loads(page)["userDetails"]:
            uid = detail["userId"]
            for kind, field in (("presence", "systemPresence"), ("routing", "routingStatus")):
                for s in detail.get("primaryPresence" if kind == "presence" else kind + "Status",
                                    ()):
                    columns["user_id"].append(uid)
                    columns["kind"].append(kind)
                    columns["code"].append(s[field])
                    columns["reason"].append(s.get("organizationPresenceId"))
                    columns["start"].append(s["startTime"])
                    columns["end"].append(s.get("endTime"))
    table = pa.table({
        **{k: pa.array(columns[k], pa.string()) for k in ("user_id", "kind", "code", "reason")},
        **{k: pc.cast(pa.array(columns[k], pa.string()), pa.timestamp("us", "UTC"))
           for k in ("start", "end")}})
    with adbc.connect(pg_url) as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_events")
        cursor.adbc_ingest("floor_events", table, mode="create")
        connection.commit()
    took = time.perf_counter() - started
    print(f"  {'floor (orjson, Arrow, ADBC)':<34} {took:7.2f} s {table.num_rows / took:12,.0f} "
          f"rows/s   peak RSS {peak_mb():6d} MB", flush=True)
    return took


# -- the product ------------------------------------------------------------------------------

class PagesInMemory:
    """Stands in for the connector's HttpClient: answers the details query with the prepared
    bytes, decoded by the client's own JSON function (so decoding is part of what is timed).
    ``pages`` is a list of bytes or a PageFile, which reads each page when it is asked for, as
    the network would deliver it."""

    def __init__(self, pages):
        from agent_status.connectors.http import RetryPolicy

        self.pages = pages
        self.retry, self.sleep = RetryPolicy(), time.sleep  # the connector's page checks use them

    def post_json(self, path: str, body, **kwargs):
        import requests

        from agent_status.connectors.http import _json

        number = body["paging"]["pageNumber"]
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = self.pages[number - 1] if number <= len(self.pages) else b"{}"
        return _json(response, path, kwargs.get("decode"))  # the connector's own reader

    def close(self) -> None:
        pass


def genesys_connector(pages: list[bytes]):
    from agent_status.config import Integration
    from agent_status.connectors.base import ConnectionInfo
    from agent_status.connectors.genesys_cloud import GenesysCloudConnector

    integration = Integration("bench", "genesys_cloud", "bench_conn", "UTC", DAY.date())
    connector = GenesysCloudConnector(ConnectionInfo("bench_conn", login="id", password="secret",
                                                     extra={"region": "example.com"}),
                                      integration)
    connector.http = PagesInMemory(pages)
    connector.directory._entries = {user_id(i): f"agent{i:05d}@example.com" for i in range(AGENTS)}
    return connector


def employees_frame():
    import pandas as pd

    known = AGENTS - 10  # ten agents unmapped: they go to quarantine
    return pd.DataFrame({"employee_id": [f"E{i}" for i in range(known)],
                         "external_employee_id": [f"X{i}" for i in range(known)],
                         "external_user_id": [f"agent{i:05d}@example.com" for i in range(known)]})


def activity_mappings():
    import pandas as pd

    return pd.DataFrame({"vendor_activity_id": ["ON_QUEUE/IDLE", "ON_QUEUE/INTERACTING", "BREAK"],
                         "activity_id": [10, 11, 12], "classification": [1, 1, 2]})


def fresh_database(name: str) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def floor_night(pages_path: str) -> dict:
    pages = list(PageFile(Path(pages_path)))
    return {"floor": floor(pages, fresh_database("agent_status_bench_floor"))}


def one_night(pages_path: str) -> dict:
    """The product on the prepared bytes, stage by stage, in this process."""
    import pandas as pd

    from agent_status.pipeline.load import load_night
    from agent_status.pipeline.normalise import normalise
    from agent_status.pipeline.quarantine import split_unmapped
    from agent_status.pipeline.remap import remap
    from agent_status.pipeline.transform import night_rows
    from agent_status.pipeline.validate import validate_night
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    pages = PageFile(Path(pages_path))
    pg_url = fresh_database("agent_status_bench")
    s, the_night = Stages(), night(DAY)
    rows = len
    connector = genesys_connector(pages)
    raw = s.run("genesys parse (connector)", rows, lambda: pd.concat(
        list(connector.extract(the_night.start_utc, the_night.end_utc)), ignore_index=True))
    segments = s.run("normalise", rows, normalise, raw, the_night, connector.overlap_rule)
    del raw
    mapped, quarantined = s.run("employee join + quarantine", lambda r: len(r[0]) + len(r[1]),
                                split_unmapped, segments, employees_frame())
    os.environ.setdefault("AGENT_STATUS_GX_DIR", tempfile.mkdtemp())
    # imports are a fixed cost per task process (the Airflow fixed cost), not per event: the
    # floor's imports are outside its timing too. Imported here, as transform does, after the
    # parse (the extract task's work, in its own process under Airflow).
    # the GX project is opened once per task process too (validate._context), however many
    # nights and rows follow
    from agent_status.pipeline.validate import _context, gx_root

    s.run("GX import, project opened (fixed)", None,
          lambda: (__import__("great_expectations"), _context(gx_root("bench"))))
    s.run("great expectations (night)", lambda _: len(segments), lambda: validate_night(
        night_rows(mapped, quarantined), "bench", the_night))
    events, _ = s.run("remap", lambda r: len(r[0]), remap, mapped, activity_mappings())
    print(f"  segments {len(segments):,}: loaded {len(events):,}, quarantined "
          f"{len(quarantined):,}", flush=True)
    del segments, mapped

    def load(url: str, label: str, attempts=(1,)):
        engine = create_warehouse_engine(url)
        ensure_schema(engine)
        for attempt in attempts:  # Airflow's run ids: the night's run, then a later run's
            s.run(f"load {label} #{attempt}", lambda _: len(events), load_night, engine,
                  integration="bench", vendor="genesys_cloud", night=the_night,
                  run_id=RUN_IDS[attempt - 1], try_number=1, events=events,
                  quarantined=quarantined,
                  run={"events_loaded": len(events)}, validation_rows=[])
        engine.dispose()

    load(pg_url.replace("postgresql://", "postgresql+psycopg://", 1), "postgresql", (1, 2))
    load(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite", "sqlite")
    common = sum(v for k, v in s.seconds.items()
                 if not k.startswith("load") and "(fixed)" not in k)
    return {"postgresql": common + s.seconds["load postgresql #1"],
            "sqlite": common + s.seconds["load sqlite #1"],
            "replace": s.seconds["load postgresql #2"] / s.seconds["load postgresql #1"],
            "peak_rss_mb": peak_mb()}


RUN_IDS = ["scheduled__2026-11-02T02:00:00+00:00", "scheduled__2026-11-03T02:00:00+00:00"]
SQL_QUERY = ("SELECT login AS agentidentifier, began AS starttime, ended AS endtime, "
             "state AS activity FROM acd_state_log "
             "WHERE began < :end_local AND (ended IS NULL OR ended > :start_local)")


def sql_vendor_table() -> str:
    """A vendor database with one night of N statuses for AGENTS agents in local (UTC) time, the
    generic contract's table (untimed: it is the vendor's side); returns its URL."""
    import psycopg

    url = fresh_database("agent_status_bench_vendor")
    rng = np.random.default_rng(2)
    per_agent = max(1, N // AGENTS)
    durations = rng.integers(1, 2 * 86_400 // per_agent, size=(AGENTS, per_agent))
    starts = np.cumsum(durations, axis=1) - durations
    base = np.datetime64(DAY.replace(tzinfo=None), "s")
    began = np.datetime_as_string(base + starts.astype("timedelta64[s]")).ravel()
    ended = np.datetime_as_string(base + (starts + durations).astype("timedelta64[s]")).ravel()
    states = np.asarray(["Available", "Talking", "Wrap", "Break"])[
        rng.integers(0, 4, size=AGENTS * per_agent)]
    logins = np.repeat([f"agent{i:05d}@example.com" for i in range(AGENTS)], per_agent)
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE acd_state_log (login TEXT NOT NULL, state TEXT NOT NULL, "
                       "began TIMESTAMP NOT NULL, ended TIMESTAMP)")
        with cursor.copy("COPY acd_state_log FROM STDIN") as copy:
            for row in zip(logins, states, began, ended):
                copy.write_row(row)
        cursor.execute("CREATE INDEX acd_state_log_began ON acd_state_log (began)")
    return url


def sql_vendor(url: str) -> dict:
    """The generic SQL connector reading the night's rows, then normalise."""
    from agent_status.config import Integration
    from agent_status.connectors.base import ConnectionInfo
    from agent_status.connectors.generic_sql import GenericSqlConnector
    from agent_status.pipeline.normalise import normalise

    integration = Integration("bench_sql", "generic_sql", "bench_vendor_db", "UTC", DAY.date(),
                              options={"query": SQL_QUERY})
    connector = GenericSqlConnector(ConnectionInfo(
        "bench_vendor_db", conn_type="postgres",
        extra={"sqlalchemy_url": url.replace("postgresql://", "postgresql+psycopg://", 1)}),
        integration)
    s, the_night = Stages(), night(DAY)
    import pandas as pd

    raw = s.run("generic SQL rows (connector)", len, lambda: pd.concat(
        list(connector.extract(the_night.start_utc, the_night.end_utc)), ignore_index=True))
    s.run("normalise", len, normalise, raw, the_night, connector.overlap_rule)
    return {"seconds": sum(s.seconds.values()), "peak_rss_mb": peak_mb()}


FOUR_DAYS = [DAY - dt.timedelta(days=k) for k in (3, 2, 1, 0)]


def stage_four_nights(folder: str) -> dict:
    """What the extract task stages for a run with three lookback nights: the raw events of
    four nights in one Parquet file, written night by night (untimed: the connector's parse is
    measured on one night; the other nights are that night moved by whole days)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    connector = genesys_connector(PageFile(Path(folder) / "pages.bin"))
    raw = pd.concat(list(connector.extract(night(DAY).start_utc, night(DAY).end_utc)))
    raw_path, writer = Path(folder) / "raw.parquet", None
    for day in FOUR_DAYS:
        shift = pd.Timedelta(day - DAY)
        table = pa.Table.from_pandas(raw.assign(start_utc=raw.start_utc + shift,
                                                end_utc=raw.end_utc + shift),
                                     preserve_index=False)
        writer = writer or pq.ParquetWriter(raw_path, table.schema)
        writer.write_table(table.cast(writer.schema), row_group_size=CHUNK)
    writer.close()
    return {"raw_path": str(raw_path), "rows": pq.ParquetFile(raw_path).metadata.num_rows}


CHUNK = 200_000  # rows per Parquet row group, as a connector's chunk


def four_nights(raw_path: str) -> dict:
    """A night and three lookback nights through the Airflow tasks' transform and load."""
    from agent_status import tasks
    from agent_status.config import get_integration
    from agent_status.staging import RunStaging
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    work = Path(tempfile.mkdtemp())
    url = fresh_database("agent_status_bench4").replace("postgresql://", "postgresql+psycopg://", 1)
    os.environ.update({"AGENT_STATUS_WAREHOUSE_URL": url,
                       "AGENT_STATUS_STAGING_DIR": str(work / "staging"),
                       "AGENT_STATUS_GX_DIR": str(work / "gx"),
                       "AGENT_STATUS_INTEGRATIONS": str(work / "integrations.yaml")})
    (work / "integrations.yaml").write_text(json.dumps({"integrations": [{
        "name": "bench", "vendor": "genesys_cloud", "conn_id": "bench_conn", "timezone": "UTC",
        "start_date": "2026-10-01", "lookback_nights": 3}]}))
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    with engine.begin() as c:
        employees_frame().assign(integration="bench", updated_at=DAY).to_sql(
            "employee_external_ids", c, if_exists="append", index=False)
    engine.dispose()
    staged = RunStaging.for_run("bench", "bench_run").create().raw
    Path(raw_path).replace(staged)
    manifest = {"integration": "bench", "run_id": "bench_run", "raw_path": str(staged),
                "raw_events": 0, "nights": [night(d).as_json() for d in FOUR_DAYS]}
    integration = get_integration("bench")
    s = Stages()
    manifest = s.run("transform (4 nights)", lambda m: sum(n["counts"]["events_loaded"]
                                                            for n in m["nights"]),
                     tasks.transform, integration, manifest)
    summary = s.run("load postgresql (4 nights)", lambda m: sum(n["events_loaded"]
                                                                 for n in m["nights"]),
                    tasks.load, integration, manifest)
    assert [n["night"] for n in summary["nights"]] == [d.date().isoformat() for d in FOUR_DAYS]
    return {"peak_rss_mb": peak_mb()}


def child(which: str, *args: str) -> dict:
    """Runs one measurement in a fresh process; its last stdout line is its JSON result."""
    process = subprocess.run([sys.executable, __file__, which, *args], stdout=subprocess.PIPE,
                             text=True, check=False)
    lines = process.stdout.rstrip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    if process.returncode:
        raise SystemExit(f"{which} failed ({process.returncode})")
    return json.loads(lines[-1])


def main() -> int:
    if len(sys.argv) > 1:
        run = {"floor": floor_night, "one-night": one_night, "stage": stage_four_nights,
               "four-nights": four_nights, "sql-vendor": sql_vendor}
        print(json.dumps(run[sys.argv[1]](*sys.argv[2:])))
        return 0
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp())
    pages = pages_for_night(DAY, seed=1)
    events_in = sum(len(d["primaryPresence"]) + len(d["routingStatus"])
                    for p in pages for d in json.loads(p)["userDetails"])
    PageFile.write(work / "pages.bin", pages)
    print(f"bench: {events_in:,} raw events per night for {AGENTS:,} agents in {len(pages)} "
          f"pages ({sum(map(len, pages)) / 1e6:.0f} MB of JSON); each part in its own process",
          flush=True)
    del pages
    # floor and product ROUNDS times, alternating, each figure the best of its runs: the same
    # treatment for both sides of a ratio, which a busy moment on one side would otherwise skew
    floors, ones = [], []
    for round_ in range(1, ROUNDS + 1):
        print(f"round {round_} of {ROUNDS}:", flush=True)
        floors.append(child("floor", str(work / "pages.bin"))["floor"])
        ones.append(child("one-night", str(work / "pages.bin")))
    one = {**{k: min(o[k] for o in ones) for k in ("postgresql", "sqlite", "replace")},
           "peak_rss_mb": max(o["peak_rss_mb"] for o in ones)}
    print("four-night run:", flush=True)
    staged = child("stage", str(work))
    four = child("four-nights", staged["raw_path"])
    print("one SQL vendor (generic SQL, PostgreSQL source):", flush=True)
    sql = child("sql-vendor", sql_vendor_table())
    base = min(floors)
    def both(values) -> str:
        return ", ".join(f"{value:.2f}" for value in values)

    print(f"end to end (each round): postgresql {both(o['postgresql'] for o in ones)} s, "
          f"sqlite {both(o['sqlite'] for o in ones)} s; floor {both(floors)} s; "
          f"bench {time.perf_counter() - started:.0f} s", flush=True)
    print(f"generic SQL rows + normalise: {sql['seconds']:.2f} s, {sql['seconds'] / base:.2f} "
          f"times the floor, peak RSS {sql['peak_rss_mb']} MB", flush=True)
    print(f"RESULT end_to_end_over_floor_postgresql={one['postgresql'] / base:.2f} "
          f"end_to_end_over_floor_sqlite={one['sqlite'] / base:.2f} "
          f"peak_rss_mb={one['peak_rss_mb']} four_night_peak_rss_mb={four['peak_rss_mb']} "
          f"replace_over_first_load={one['replace']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
