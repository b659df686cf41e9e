"""Sikom and generic SQL sandboxes: a database with one status table in local time (vendors.md
6, 10.2).

The table holds the simulator's truth as the generic contract sees it: one row per status with
local start and end (end NULL while open) in the simulator's zone, so the fall-back night
repeats wall times and the spring-forward night skips some; logged-out time is a gap. Sikom's
store writes one row per local day: a status crossing midnight is cut there and the import must
merge it back. Sikom's database also holds the view ``wfm_agent_status`` of the contract, which
its default query reads; the generic sandbox has only a table of its own shape, read through a
customer query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import sqlalchemy as sa

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Sandbox
from agent_status_dev.simulator import Simulator

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"


class StatusTableSandbox(Sandbox):
    """One local-time status table; subclasses name it, its columns and labels."""

    identifier = "user_name"
    table: ClassVar[str]
    # contract column -> this table's column
    columns: ClassVar[dict[str, str]]
    ddl: ClassVar[tuple[str, ...]]
    split_at_midnight: ClassVar[bool] = False

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 url: str | None = None, path: Path | str | None = None):
        super().__init__(simulator, now)
        if url is None:
            url = f"sqlite:///{Path(path or f'data/sandboxes/{self.vendor}.sqlite').resolve()}"
        self.url = url
        self.injected = {"midnight_splits": 0, "open_rows": 0}

    def options(self) -> dict:
        """The integration options that read this table (none: Sikom's default query)."""
        return {}

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id=f"{self.vendor}_sandbox", conn_type="sqlite",
                              extra={"sqlalchemy_url": self.url})

    def build(self, first_night: dt.date, last_night: dt.date) -> int:
        """(Re)write the table for local dates ``first_night - 1 .. last_night + 1``."""
        zone = self.simulator.timezone
        truth = truth_for_nights(self.simulator, first_night, last_night, self.now)
        truth = truth[truth.state.isin(list(self.state_map))].reset_index(drop=True)
        if self.split_at_midnight:
            rows = split_at_local_midnight(truth, zone, self.now)
            self.injected["midnight_splits"] = len(rows) - len(truth)
        else:
            rows = truth
        self.injected["open_rows"] = int(rows.end_utc.isna().sum())
        names = {a.index: a.identifier(self.identifier) for a in self.simulator.agents}
        table = pd.DataFrame({
            self.columns["agentidentifier"]: rows.agent.map(names),
            self.columns["starttime"]: local_text(rows.start_utc, zone),
            self.columns["endtime"]: local_text(rows.end_utc, zone),
            self.columns["activity"]: rows.state.map(lambda s: self.state_map[s][0]),
        })
        write_tables(self.url, self.ddl, {self.table: table})
        return len(table)


class SikomSandbox(StatusTableSandbox):
    vendor = "sikom"
    site_timezone = "Europe/Oslo"
    # Sikom is Norwegian; labels are the customer's own [I], including non-ASCII ones
    state_map = {"ready": ("Ledig", "Ledig", None), "on_call": ("Samtale", "Samtale", None),
                 "wrap_up": ("Etterarbeid", "Etterarbeid", None),
                 "break": ("Pause", "Pause", None), "lunch": ("Lunsj", "Lunsj", None),
                 "meeting": ("Møte", "Møte", None)}
    table = "AgentStatusLog"
    columns = {"agentidentifier": "UserName", "starttime": "FromTime", "endtime": "ToTime",
               "activity": "StatusName"}
    ddl = ("CREATE TABLE IF NOT EXISTS AgentStatusLog (UserName TEXT NOT NULL, "
           "StatusName TEXT NOT NULL, FromTime TEXT NOT NULL, ToTime TEXT)",
           "CREATE INDEX IF NOT EXISTS AgentStatusLog_from ON AgentStatusLog (FromTime)",
           "CREATE VIEW IF NOT EXISTS wfm_agent_status AS SELECT UserName AS agentidentifier, "
           "FromTime AS starttime, ToTime AS endtime, StatusName AS activity FROM AgentStatusLog")
    split_at_midnight = True


class GenericSqlSandbox(StatusTableSandbox):
    """Some other ACD's table, with its own column names: imported by a customer query."""

    vendor = "generic_sql"
    state_map = {"ready": ("Available", "Available", None), "on_call": ("Talking", "Talking", None),
                 "wrap_up": ("Wrap", "Wrap", None), "break": ("Break", "Break", None),
                 "lunch": ("Lunch", "Lunch", None), "meeting": ("Meeting", "Meeting", None)}
    table = "acd_state_log"
    columns = {"agentidentifier": "login", "starttime": "began", "endtime": "ended",
               "activity": "state"}
    ddl = ("CREATE TABLE IF NOT EXISTS acd_state_log (login TEXT NOT NULL, state TEXT NOT NULL, "
           "began TEXT NOT NULL, ended TEXT)",)
    # the query a customer writes for this table (vendors.md 10.2 contract)
    query = ("SELECT login AS agentidentifier, began AS starttime, ended AS endtime, "
             "state AS activity FROM acd_state_log "
             "WHERE began < :end_local AND (ended IS NULL OR ended > :start_local)")

    def options(self) -> dict:
        return {"query": self.query}


def truth_for_nights(simulator: Simulator, first_night: dt.date, last_night: dt.date,
                     now: dt.datetime | None) -> pd.DataFrame:
    """The truth overlapping local dates ``first_night - 1 .. last_night + 1``."""
    zone = simulator.timezone
    lo = pd.Timestamp(dt.datetime.combine(first_night - dt.timedelta(days=1), dt.time()), tz=zone)
    hi = pd.Timestamp(dt.datetime.combine(last_night + dt.timedelta(days=2), dt.time()), tz=zone)
    return simulator.segments(lo.to_pydatetime(), hi.to_pydatetime(), now=now)


def split_at_local_midnight(truth: pd.DataFrame, zone: str,
                            now: dt.datetime | None = None) -> pd.DataFrame:
    """Each segment cut at the local midnights it crosses (a store that writes a row per day);
    an open segment is cut up to ``now`` and its last piece stays open."""
    if truth.empty:
        return truth.copy()
    until = truth.end_utc.fillna(pd.Timestamp(now) if now is not None else truth.start_utc)
    first_day = truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    last_local = until.dt.tz_convert(zone).dt.tz_localize(None) - pd.Timedelta(microseconds=1)
    cuts = (last_local.dt.normalize() - first_day).dt.days.clip(lower=0).to_numpy()
    pieces = cuts + 1
    row = np.repeat(np.arange(len(truth)), pieces)
    k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    day = first_day.to_numpy()[row]

    def midnight(offset):
        local = pd.Series(day + np.timedelta64(1, "D") * (k + offset))
        local = local.dt.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
        return local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")

    out = truth.iloc[row].reset_index(drop=True)
    out["start_utc"] = out.start_utc.where(pd.Series(k == 0), midnight(0))
    out["end_utc"] = out.end_utc.where(pd.Series(k == cuts[row]), midnight(1))
    return out


def local_text(utc: pd.Series, zone: str) -> pd.Series:
    """Local wall time as the database stores it (``YYYY-MM-DD HH:MM:SS``), None when NaT."""
    text = utc.dt.tz_convert(zone).dt.strftime(LOCAL_FORMAT)
    return text.astype("object").where(utc.notna(), None)


def write_tables(url: str, ddl: tuple[str, ...], tables: dict[str, pd.DataFrame]) -> None:
    """Create the schema if needed and replace the tables' rows."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in ddl:
                connection.execute(sa.text(statement))
            for name, frame in tables.items():
                connection.execute(sa.text(f"DELETE FROM {name}"))
                frame.to_sql(name, connection, if_exists="append", index=False)
    finally:
        engine.dispose()
