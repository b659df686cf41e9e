"""Mitel MiCC-B sandbox: a CCMData-like database with agent state events in the ACD's local time.

MiCC-B does not publish an event-level agent state store (vendors.md 7.1), so the tables are
our design [I], and the sandbox carries the site query that reads them (``QUERY``, passed as
the integration's required ``query`` option, as a real site passes its own):
``tblData_AgentStateEvents`` (one row per agent state, local start and end, duration in
seconds, NULL end and duration while running) and ``tblConfig_Agent`` (reporting number -> user
name). It renders the truth as MiCC-B would:
- local wall time with DST: the fall-back night repeats an hour, the spring-forward night skips
  one (7.3);
- a row per local day (``MidnightStartDate``): a state crossing midnight is cut there;
- Make Busy and Do Not Disturb carry reason codes (7.2); logged-out time is a "Logged out" state.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Sandbox
from agent_status_dev.sandboxes.generic_sql import (
    local_text,
    split_at_local_midnight,
    truth_for_nights,
    write_tables,
)
from agent_status_dev.simulator import Simulator

DDL = (
    "CREATE TABLE IF NOT EXISTS tblConfig_Agent (AgentID INTEGER NOT NULL, "
    "Reporting TEXT NOT NULL, FirstName TEXT, LastName TEXT, UserName TEXT)",
    "CREATE TABLE IF NOT EXISTS tblData_AgentStateEvents (EventID INTEGER NOT NULL, "
    "MediaServerID INTEGER NOT NULL, AgentReporting TEXT NOT NULL, State TEXT NOT NULL, "
    "ReasonCode INTEGER, MidnightStartDate TEXT NOT NULL, StartTime TEXT NOT NULL, "
    "EndTime TEXT, Duration INTEGER)",
    "CREATE INDEX IF NOT EXISTS tblData_AgentStateEvents_start "
    "ON tblData_AgentStateEvents (StartTime)",
)
# the site query over these tables (include/sql/vendors/mitel.sql is the contract's template);
# portable SQL: runs unchanged on SQL Server and SQLite
QUERY = """SELECT a.UserName AS user_name, e.AgentReporting AS agent_reporting, e.State AS state,
       CAST(e.ReasonCode AS VARCHAR(10)) AS reason_code, e.StartTime AS start_local,
       e.Duration AS duration
FROM tblData_AgentStateEvents e
LEFT JOIN tblConfig_Agent a ON a.Reporting = e.AgentReporting
WHERE e.StartTime < :end_local AND (e.EndTime IS NULL OR e.EndTime > :start_local)
ORDER BY e.AgentReporting, e.StartTime"""
# canonical state -> (MiCC-B state, reason code)
STATES = {"ready": ("Idle", None), "on_call": ("ACD", None), "wrap_up": ("Work Timer", None),
          "break": ("Make Busy", 1), "lunch": ("Make Busy", 2), "meeting": ("Do Not Disturb", 5),
          "logged_out": ("Logged out", None)}


class MitelSandbox(Sandbox):
    vendor = "mitel"
    identifier = "user_name"
    site_timezone = "America/New_York"
    state_map = {"ready": ("Idle", "Idle", None), "on_call": ("ACD", "ACD", None),
                 "wrap_up": ("Work Timer", "Work Timer", None),
                 "break": ("Make Busy/1", "Make Busy 1", "1"),
                 "lunch": ("Make Busy/2", "Make Busy 2", "2"),
                 "meeting": ("Do Not Disturb/5", "Do Not Disturb 5", "5"),
                 "logged_out": ("Logged out", "Logged out", None)}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 url: str | None = None, path: Path | str | None = None, media_server: int = 1):
        super().__init__(simulator, now)
        if url is None:
            url = f"sqlite:///{Path(path or 'data/sandboxes/mitel.sqlite').resolve()}"
        self.url, self.media_server = url, media_server
        self.injected = {"midnight_splits": 0, "open_rows": 0, "reason_coded_rows": 0}

    def options(self) -> dict:
        """The integration options that read this sandbox: the site query (7.1)."""
        return {"query": QUERY}

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="mitel_sandbox", conn_type="sqlite",
                              extra={"sqlalchemy_url": self.url})

    def build(self, first_night: dt.date, last_night: dt.date) -> int:
        """(Re)write the events for local dates ``first_night - 1 .. last_night + 1``."""
        zone = self.simulator.timezone
        truth = truth_for_nights(self.simulator, first_night, last_night, self.now)
        rows = split_at_local_midnight(truth, zone, self.now)
        agents = self.simulator.agents
        reporting = {a.index: a.agent_id for a in agents}
        state = rows.state.map(lambda s: STATES[s][0])
        code = rows.state.map(lambda s: STATES[s][1]).astype("Int64")
        events = pd.DataFrame({
            "EventID": range(1, len(rows) + 1), "MediaServerID": self.media_server,
            "AgentReporting": rows.agent.map(reporting), "State": state, "ReasonCode": code,
            "MidnightStartDate": rows.start_utc.dt.tz_convert(zone).dt.strftime("%Y-%m-%d"),
            "StartTime": local_text(rows.start_utc, zone),
            "EndTime": local_text(rows.end_utc, zone),
            "Duration": (rows.end_utc - rows.start_utc).dt.total_seconds().astype("Int64"),
        })
        config = pd.DataFrame({
            "AgentID": [a.index + 1 for a in agents], "Reporting": [a.agent_id for a in agents],
            "FirstName": [a.user_name.split(".")[0].title() for a in agents],
            "LastName": [a.user_name.split(".")[1].title() for a in agents],
            "UserName": [a.user_name for a in agents]})
        self.injected = {"midnight_splits": len(rows) - len(truth),
                         "open_rows": int(rows.end_utc.isna().sum()),
                         "reason_coded_rows": int(code.notna().sum())}
        write_tables(self.url, DDL, {"tblConfig_Agent": config,
                                     "tblData_AgentStateEvents": events})
        return len(events)
