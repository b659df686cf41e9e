"""The project side of the end-to-end suite: integrations fed by sandboxes, their mappings
imported as an operator would (the ``agent-status`` CLI or the mappings functions), and the
warehouse reconciled with the simulator's truth, night by night, to the second."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
import yaml

from agent_status.config import Integration, load_integrations
from agent_status.nights import Night, night_for_date, night_of
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator
from tests.e2e.harness import AirflowStack, parse_time
from tests.helpers import employee_frame, expected_night, seconds_per_agent_activity

AGENTS = 12
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
CUTOVER_MARGIN = dt.timedelta(minutes=90)  # no night may end while a suite runs
SEGMENT_COLUMNS = ["external_user_id", "vendor_activity_id", "start_utc", "end_utc"]


def safe_zone(preferred: str) -> str:
    """``preferred`` unless its midnight cut-over is near: then a zone hours away from it, so
    the set of finished nights cannot change while the suite runs."""
    for zone in (preferred, *ZONES):
        now = dt.datetime.now(ZoneInfo(zone))
        since_midnight = dt.timedelta(hours=now.hour, minutes=now.minute)
        if CUTOVER_MARGIN <= since_midnight <= dt.timedelta(hours=24) - CUTOVER_MARGIN:
            return zone
    raise AssertionError("no zone is far from its cut-over")  # cannot happen: zones differ


@dataclass
class Feed:
    """One configured integration and the sandbox standing for its vendor account."""

    name: str
    vendor: str
    nights: int  # start_date is this many calendar nights back
    zone: str = "Europe/Paris"
    lookback_nights: int = 1
    pool: str | None = None
    account: str | None = None  # feeds with the same account share one sandbox and connection
    seed: int = 11
    sandbox: object = None
    integration: Integration | None = None
    missing_agent: int | None = None  # left out of the mapping: its events are quarantined

    @property
    def dag_id(self) -> str:
        return f"agent_status__{self.name}"

    @property
    def conn_id(self) -> str:
        return f"e2e_{self.account or self.name}"

    @property
    def start_date(self) -> dt.date:
        return dt.datetime.now(ZoneInfo(self.zone)).date() - dt.timedelta(days=self.nights)

    @property
    def night_dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.nights)]

    def night_list(self) -> list[Night]:
        return [night_for_date(self.integration, d) for d in self.night_dates]

    def entry(self) -> dict:
        entry = {"name": self.name, "vendor": self.vendor, "conn_id": self.conn_id,
                 "timezone": self.zone, "start_date": self.start_date.isoformat(),
                 "lookback_nights": self.lookback_nights}
        if self.pool:
            entry["pool"] = self.pool
        return entry


@dataclass
class Deployment:
    """Sandboxes, an integrations file, a PostgreSQL warehouse and an Airflow stack."""

    root: Path
    feeds: list[Feed]
    executor: str
    metadata_url: str
    warehouse_url: str
    broker_url: str | None = None
    stack: AirflowStack | None = None
    _sandboxes: dict[str, object] = field(default_factory=dict)

    def start(self) -> Deployment:
        from agent_status.warehouse import create_warehouse_engine, ensure_schema

        connections = {}
        for feed in self.feeds:
            feed.zone = safe_zone(feed.zone)
            key = feed.account or feed.name
            if key not in self._sandboxes:
                self._sandboxes[key] = _start_sandbox(feed, self.root)
                connections[f"AIRFLOW_CONN_{feed.conn_id.upper()}"] = _connection_json(
                    self._sandboxes[key].connection())
            feed.sandbox = self._sandboxes[key]
        path = self.root / "integrations.yaml"
        path.write_text(yaml.safe_dump({"integrations": [f.entry() for f in self.feeds]},
                                       sort_keys=False))
        by_name = {i.name: i for i in load_integrations(path)}
        for feed in self.feeds:
            feed.integration = by_name[feed.name]
            feed.missing_agent = _agent_working_every_night(feed)
        self.engine = create_warehouse_engine(self.warehouse_url)
        ensure_schema(self.engine)  # what the first mapping import would do
        self.stack = AirflowStack(
            self.root / "airflow", self.executor, self.metadata_url, broker_url=self.broker_url,
            extra_env={**agent_status_env(self.root, path, self.warehouse_url), **connections})
        self.stack.start()
        self.stack.wait_for_dags([f.dag_id for f in self.feeds])
        return self

    def stop(self) -> None:
        try:
            if self.stack is not None:
                self.stack.stop()
        finally:
            for sandbox in self._sandboxes.values():
                sandbox.stop()
            if getattr(self, "engine", None) is not None:
                self.engine.dispose()

    # -- mappings, as an operator loads them ------------------------------------------------------

    def import_mappings_cli(self, feed: Feed) -> None:
        """``agent-status import-employees`` / ``import-activities`` with the operator's env."""
        employees, activities = self._mapping_csvs(feed)
        cli = str(Path(sys.executable).with_name("agent-status"))
        for command, path in (("import-employees", employees), ("import-activities", activities)):
            result = subprocess.run([cli, command, "--integration", feed.name, str(path)],
                                    env={**self.stack.env}, capture_output=True, text=True,
                                    timeout=120)
            assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"

    def import_mappings(self, feed: Feed) -> None:
        """The same through ``agent_status.mappings`` (what the CLI calls)."""
        from agent_status.mappings import import_activity_mappings, import_employee_mappings

        import_employee_mappings(self.engine, feed.name, _employees(feed))
        import_activity_mappings(self.engine, feed.name, _activities(feed))

    def _mapping_csvs(self, feed: Feed) -> tuple[Path, Path]:
        employees = self.root / f"{feed.name}_employees.csv"
        activities = self.root / f"{feed.name}_activities.csv"
        _employees(feed).to_csv(employees, index=False)
        _activities(feed).to_csv(activities, index=False)
        return employees, activities

    # -- the warehouse ----------------------------------------------------------------------------

    def table(self, table: str, feed: Feed) -> pd.DataFrame:
        frame = pd.read_sql_query(sa.text(f"SELECT * FROM {table} WHERE integration = :i"),
                                  self.engine, params={"i": feed.name})
        for column in ("start_utc", "end_utc", "finished_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], utc=True)
        if "night_date" in frame:
            frame["night_date"] = frame.night_date.astype(str)
        return frame

    def import_runs(self, feed: Feed) -> pd.DataFrame:
        return self.table("import_runs", feed)

    def loaded(self, feed: Feed) -> pd.DataFrame:
        """Events and quarantine together: every segment the import kept, mapped or not."""
        events = self.table("agent_status_events", feed)
        quarantine = self.table("agent_status_quarantine", feed)
        return pd.concat([events.assign(table="events"), quarantine.assign(table="quarantine")],
                         ignore_index=True)

    def night_state(self, feed: Feed, night: Night, loaded: pd.DataFrame | None = None) -> str:
        """'absent', 'complete' (equal to the truth) or what differs."""
        loaded = self.loaded(feed) if loaded is None else loaded
        rows = loaded[loaded.night_date == night.label]
        if rows.empty:
            return "absent"
        expected = expected_night(feed.sandbox, night)
        if seconds_per_agent_activity(rows) != seconds_per_agent_activity(expected):
            return (f"seconds per agent and activity differ: loaded "
                    f"{rows.duration_seconds.sum():.0f}s, truth "
                    f"{expected.duration_seconds.sum():.0f}s")
        got = rows[SEGMENT_COLUMNS].sort_values(SEGMENT_COLUMNS[:3]).reset_index(drop=True)
        want = expected[SEGMENT_COLUMNS].sort_values(SEGMENT_COLUMNS[:3]).reset_index(drop=True)
        got["vendor_activity_id"] = got.vendor_activity_id.astype(str)
        want["vendor_activity_id"] = want.vendor_activity_id.astype(str)
        if len(got) != len(want) or not got.equals(want.astype(got.dtypes.to_dict())):
            return f"segments differ: {len(got)} loaded, {len(want)} in the truth"
        return "complete"

    def assert_equals_truth(self, feed: Feed) -> pd.DataFrame:
        """The whole range: every night equal to the truth, no other night, no duplicate."""
        loaded = self.loaded(feed)
        nights = feed.night_list()
        assert sorted(set(loaded.night_date)) == [n.label for n in nights], \
            f"{feed.name}: nights in the warehouse {sorted(set(loaded.night_date))}"
        duplicated = loaded[loaded.duplicated(["external_user_id", "start_utc"], keep=False)]
        assert duplicated.empty, f"{feed.name}: duplicated segments\n{duplicated.head()}"
        states = {n.label: self.night_state(feed, n, loaded) for n in nights}
        assert all(s == "complete" for s in states.values()), f"{feed.name}: {states}"
        missing_id = feed.sandbox.simulator.agents[feed.missing_agent].identifier(
            feed.sandbox.identifier)
        quarantined = loaded[loaded.table == "quarantine"]
        assert set(quarantined.external_user_id) == {missing_id}, \
            f"{feed.name}: quarantined {set(quarantined.external_user_id)}"
        return loaded

    # -- Airflow, read through REST ---------------------------------------------------------------

    def run_nights(self, feed: Feed, runs: list[dict]) -> list[str]:
        """The night each DAG run imports (its own night, not the lookback)."""
        return [night_of(feed.integration, parse_time(r["data_interval_start"]),
                         parse_time(r["data_interval_end"])).label for r in runs]


def agent_status_env(root: Path, integrations: Path, warehouse_url: str) -> dict[str, str]:
    """What the project reads from the environment of every component (and so every task)."""
    return {"AGENT_STATUS_INTEGRATIONS": str(integrations),
            "AGENT_STATUS_WAREHOUSE_URL": warehouse_url,
            "AGENT_STATUS_STAGING_DIR": str(root / "staging"),  # shared by every worker
            "AGENT_STATUS_GX_DIR": str(root / "gx")}


def assert_one_at_a_time_in_order(runs: list[dict], what: str) -> None:
    """Runs ordered by logical date ran one after another, oldest first."""
    ordered = sorted(runs, key=lambda r: r["logical_date"])
    for before, after in zip(ordered, ordered[1:]):
        assert parse_time(after["start_date"]) >= parse_time(before["end_date"]), \
            (f"{what}: {after['dag_run_id']} started {after['start_date']} before "
             f"{before['dag_run_id']} ended {before['end_date']}")


def overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _start_sandbox(feed: Feed, root: Path):
    simulator = Simulator(seed=feed.seed, agent_count=AGENTS, timezone=feed.zone)
    cls = sandbox_class(feed.vendor)
    if hasattr(cls, "build"):  # a vendor database: built for the range and its lookback
        sandbox = cls(simulator, path=root / f"{feed.account or feed.name}.sqlite")
        first = feed.start_date - dt.timedelta(days=feed.lookback_nights + 1)
        sandbox.build(first, feed.start_date + dt.timedelta(days=feed.nights))
    else:  # an HTTP API served from the test process on 127.0.0.1
        sandbox = cls(simulator)
    sandbox.start()
    return sandbox


def _connection_json(connection) -> str:
    return json.dumps({"conn_type": connection.conn_type or "http", "host": connection.host,
                       "login": connection.login, "password": connection.password,
                       "port": connection.port, "schema": connection.schema,
                       "extra": connection.extra})


def _agent_working_every_night(feed: Feed) -> int:
    """An agent with statuses every night of the range, so the quarantine is never empty."""
    ids = {a.identifier(feed.sandbox.identifier): a.index for a in feed.sandbox.simulator.agents}
    working = set(ids)
    for night in feed.night_list():
        working &= set(expected_night(feed.sandbox, night).external_user_id)
    assert working, f"{feed.name}: no agent works every night"
    return min(ids[w] for w in working)


def _employees(feed: Feed) -> pd.DataFrame:
    return employee_frame(feed.sandbox, skip={feed.missing_agent})


def _activities(feed: Feed) -> pd.DataFrame:
    """Every vendor activity but the meeting one, which loads as Present."""
    ids = [labels[0] for state, labels in feed.sandbox.state_map.items() if state != "meeting"]
    return pd.DataFrame({"vendor_activity_id": ids,
                         "activity_id": [10 + i for i in range(len(ids))],
                         "classification": 1,
                         "activity_name": [f"Activity {i}" for i in range(len(ids))]})
