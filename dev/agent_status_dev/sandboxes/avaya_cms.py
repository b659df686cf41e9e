"""Avaya CMS sandbox: a database holding the CMS agent trace table, in local time with DST.

It renders the truth as a CMS stores it (vendors.md 9), each contested detail a constructor
argument so the contract tests run the connector against every variant:
- ``workmode``: "numeric" (the table holds codes, 1 = AVAIL, 2 = ACD, 3 = ACW, 4 = AUX, 9.2,
  second audit) or "names" (a view that already translates them);
- ``time_column``: the name of the time of the state change (``EVENT_TIME`` in a public
  importer schema of AG_ACTV, 9.3; ``STARTTIME`` in older guesses);
- ``time_encoding``: "hhmmss", "hhmm" (the seconds are lost) or "seconds" since midnight (the
  CMS ODBC guide: seconds or military format, 9.3);
- ``logid_width``: LOGID is CHAR(10) and comes back blank-padded (9.3); None for a VARCHAR view
  (the simulator's user names stand in for login IDs; longer ones are not cut);
- ``sequence``: a ``WMODE_SEQ`` column numbering the events of one agent in the same second, in
  the order they happened (one wall second of the repeated hour is two seconds: numbered on) [I];
- ``shared_seconds``: states of no length that share a wall second of the repeated hour with
  states of the other occurrence (9.3: WMODE_SEQ orders "events that occur in the same
  second"): every 5 minutes of each occurrence, a state running across both is split there
  and an AUX (first occurrence) or ACW (second) of no length inserted, so that their end times
  put the two of no length first, which only WMODE_SEQ gets right.
Logged-out time is a gap in the trace: CMS records no state while an agent is unstaffed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Sandbox
from agent_status_dev.simulator import Simulator

WORKMODES = {"ready": ("AVAIL", None), "on_call": ("ACD", None), "wrap_up": ("ACW", None),
             "break": ("AUX", 1), "lunch": ("AUX", 2), "meeting": ("AUX", 3)}
CODES = {"AVAIL": 1, "ACD": 2, "ACW": 3, "AUX": 4}  # 9.2


class AvayaCmsSandbox(Sandbox):
    vendor = "avaya_cms"
    identifier = "user_name"
    site_timezone = "America/New_York"
    # logged_out is a gap in the trace: CMS records no state while an agent is unstaffed
    state_map = {"ready": ("AVAIL", "Available", None), "on_call": ("ACD", "ACD call", None),
                 "wrap_up": ("ACW", "After call work", None), "break": ("AUX/1", "AUX 1", "1"),
                 "lunch": ("AUX/2", "AUX 2", "2"), "meeting": ("AUX/3", "AUX 3", "3")}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 url: str | None = None, path: Path | str | None = None, acd: int = 1,
                 workmode: str = "numeric", time_column: str = "EVENT_TIME",
                 time_encoding: str = "hhmmss", logid_width: int | None = 10,
                 sequence: bool = True, shared_seconds: bool = False):
        super().__init__(simulator, now)
        if url is None:
            url = f"sqlite:///{Path(path or 'data/sandboxes/avaya_cms.sqlite').resolve()}"
        if workmode not in ("numeric", "names") or time_encoding not in ("hhmmss", "hhmm",
                                                                         "seconds"):
            raise ValueError(f"workmode {workmode!r} / time_encoding {time_encoding!r}")
        self.url, self.acd = url, acd
        self.workmode, self.time_column, self.time_encoding = workmode, time_column, time_encoding
        self.logid_width, self.sequence = logid_width, sequence
        self.shared_seconds = shared_seconds
        self.injected = {"shared_seconds": 0}

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="avaya_cms_sandbox", conn_type="sqlite",
                              extra={"sqlalchemy_url": self.url})

    def options(self) -> dict:
        """The integration options that read this rendering (the defaults are not repeated)."""
        options = {}
        if self.time_column.upper() != "EVENT_TIME":
            options["time_column"] = self.time_column
        if self.time_encoding != "hhmmss":
            options["time_encoding"] = self.time_encoding
        if not self.sequence:
            options["sequence_column"] = ""
        return options

    def build(self, first_night: dt.date, last_night: dt.date) -> int:
        """(Re)write the trace for local dates ``first_night - 1 .. last_night + 1``."""
        zone = self.simulator.timezone
        lo = pd.Timestamp(dt.datetime.combine(first_night - dt.timedelta(days=1), dt.time()),
                          tz=zone)
        hi = pd.Timestamp(dt.datetime.combine(last_night + dt.timedelta(days=2), dt.time()),
                          tz=zone)
        truth = self.simulator.segments(lo.to_pydatetime(), hi.to_pydatetime(), now=self.now)
        truth = truth[truth.state.isin(list(WORKMODES))].reset_index(drop=True)
        if self.shared_seconds:
            truth = self._share_seconds(truth, lo, hi)
        local = truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None)
        ids = {a.index: a.user_name for a in self.simulator.agents}
        logid = truth.agent.map(ids).astype(str)  # str even for a tenant without agents
        if self.logid_width:
            logid = logid.str.ljust(self.logid_width)  # CHAR(10): blank-padded (9.3)
        mode = truth.state.map(lambda s: WORKMODES[s][0])
        aux = truth.state.map(lambda s: WORKMODES[s][1]).astype("Int64")
        rows = pd.DataFrame({
            "ACD": self.acd, "ROW_DATE": local.dt.strftime("%Y-%m-%d"), "LOGID": logid,
            "EXTENSION": (truth.agent + 5000).astype(str),
            "WORKMODE": mode.map(CODES) if self.workmode == "numeric" else mode,
            "AUXREASON": aux.where(mode.eq("AUX"), pd.NA),
            self.time_column: self._encode(local),
            "DURATION": ((truth.end_utc - truth.start_utc).dt.total_seconds()).astype("Int64"),
        })
        if self.sequence:  # events of one agent in the same (wall) second, in true order
            rows["WMODE_SEQ"] = rows.groupby(["LOGID", "ROW_DATE", self.time_column]).cumcount()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as connection:
                inspector = sa.inspect(connection)
                columns = ({c["name"].lower() for c in inspector.get_columns("ag_actv")}
                           if inspector.has_table("ag_actv") else set())
                if columns and columns != {c.lower() for c in rows.columns}:
                    connection.execute(sa.text("DROP TABLE ag_actv"))  # another rendering
                connection.execute(sa.text(self._ddl(rows)))
                connection.execute(sa.text(
                    "CREATE INDEX IF NOT EXISTS ag_actv_date ON ag_actv (ACD, ROW_DATE)"))
                connection.execute(sa.text("DELETE FROM ag_actv WHERE ACD = :acd"),
                                   {"acd": self.acd})
                rows.to_sql("ag_actv", connection, if_exists="append", index=False)
        finally:
            engine.dispose()
        return len(rows)

    def _share_seconds(self, truth: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp
                       ) -> pd.DataFrame:
        """Split states running across 01:05, 01:10 ... of both occurrences of the repeated hour
        and insert a state of no length at each split (see the module docstring)."""
        grid = pd.date_range(lo.tz_convert("UTC"), hi.tz_convert("UTC"), freq="15min")
        offset = (grid.tz_convert(self.simulator.timezone).tz_localize(None)
                  - grid.tz_localize(None))
        falls = grid[1:][offset[1:] < offset[:-1]]  # the second occurrence starts here
        pieces, hour = [truth], pd.Timedelta(hours=1)
        for fall in falls:
            for minutes in range(5, 60, 5):
                first = fall - hour + pd.Timedelta(minutes=minutes)
                for agent, rows in truth.groupby("agent"):
                    running = [rows[(rows.start_utc < at) & (rows.end_utc > at)]
                               for at in (first, first + hour)]
                    if any(r.empty for r in running):
                        continue
                    for at, row, state in zip((first, first + hour), running,
                                              ("break", "wrap_up")):
                        index = row.index[0]
                        pieces.append(truth.loc[[index]].assign(start_utc=at))  # the rest
                        pieces.append(truth.loc[[index]].assign(start_utc=at, end_utc=at,
                                                                state=state))
                        truth.loc[index, "end_utc"] = at
                    self.injected["shared_seconds"] += 1
        truth = pd.concat(pieces, ignore_index=True)
        return truth.sort_values(["agent", "start_utc", "end_utc"]).reset_index(drop=True)

    def _encode(self, local: pd.Series) -> pd.Series:
        hours, minutes, seconds = local.dt.hour, local.dt.minute, local.dt.second
        if self.time_encoding == "seconds":
            return hours * 3600 + minutes * 60 + seconds
        if self.time_encoding == "hhmm":
            return hours * 100 + minutes
        return hours * 10000 + minutes * 100 + seconds

    def _ddl(self, rows: pd.DataFrame) -> str:
        types = {"ACD": "INTEGER NOT NULL", "ROW_DATE": "DATE NOT NULL",
                 "LOGID": f"CHAR({self.logid_width})" if self.logid_width else "VARCHAR(32)",
                 "EXTENSION": "TEXT",
                 "WORKMODE": "INTEGER" if self.workmode == "numeric" else "VARCHAR(10)",
                 "AUXREASON": "INTEGER", self.time_column: "INTEGER NOT NULL",
                 "DURATION": "INTEGER", "WMODE_SEQ": "INTEGER"}
        return ("CREATE TABLE IF NOT EXISTS ag_actv ("
                + ", ".join(f"{c} {types[c]}" for c in rows.columns) + ")")

    def expected(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """The truth, as exact as the rendering: HHMM keeps whole minutes, so each state
        starts at its minute and keeps its duration."""
        truth = super().expected(start, end)
        if self.time_encoding != "hhmm":
            return truth
        length = truth.end_utc - truth.start_utc
        truth["start_utc"] = truth.start_utc.dt.floor("min")  # zones' offsets are whole minutes
        truth["end_utc"] = truth.start_utc + length
        return truth
