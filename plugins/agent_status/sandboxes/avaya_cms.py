"""Avaya CMS sandbox: a database holding the CMS agent trace table, in local time with DST."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from agent_status.connectors.base import ConnectionInfo
from agent_status.sandboxes.base import Sandbox
from agent_status.simulator import Simulator

DDL = """
CREATE TABLE IF NOT EXISTS ag_actv (
    acd INTEGER NOT NULL, row_date DATE NOT NULL, logid TEXT NOT NULL, extension TEXT,
    workmode TEXT NOT NULL, auxreason INTEGER, starttime INTEGER NOT NULL, duration INTEGER
)"""
INDEX = "CREATE INDEX IF NOT EXISTS ag_actv_date ON ag_actv (acd, row_date)"
WORKMODES = {"ready": ("AVAIL", None), "on_call": ("ACD", None), "wrap_up": ("ACW", None),
             "break": ("AUX", 1), "lunch": ("AUX", 2), "meeting": ("AUX", 3)}


class AvayaCmsSandbox(Sandbox):
    vendor = "avaya_cms"
    identifier = "user_name"
    # logged_out is a gap in the trace: CMS records no state while an agent is unstaffed
    state_map = {"ready": ("AVAIL", "Available", None), "on_call": ("ACD", "ACD call", None),
                 "wrap_up": ("ACW", "After call work", None), "break": ("AUX/1", "AUX 1", "1"),
                 "lunch": ("AUX/2", "AUX 2", "2"), "meeting": ("AUX/3", "AUX 3", "3")}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 url: str | None = None, path: Path | str | None = None, acd: int = 1):
        super().__init__(simulator, now)
        if url is None:
            url = f"sqlite:///{Path(path or 'data/sandboxes/avaya_cms.sqlite').resolve()}"
        self.url, self.acd = url, acd

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="avaya_cms_sandbox", conn_type="sqlite",
                              extra={"sqlalchemy_url": self.url})

    def build(self, first_night: dt.date, last_night: dt.date) -> int:
        """(Re)write the trace for local dates ``first_night - 1 .. last_night + 1``."""
        zone = self.simulator.timezone
        lo = pd.Timestamp(dt.datetime.combine(first_night - dt.timedelta(days=1), dt.time()),
                          tz=zone)
        hi = pd.Timestamp(dt.datetime.combine(last_night + dt.timedelta(days=2), dt.time()),
                          tz=zone)
        truth = self.simulator.segments(lo.to_pydatetime(), hi.to_pydatetime(), now=self.now)
        truth = truth[truth.state.isin(list(WORKMODES))].reset_index(drop=True)
        local = truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None)
        ids = {a.index: a.user_name for a in self.simulator.agents}
        mode = truth.state.map(lambda s: WORKMODES[s][0])
        aux = truth.state.map(lambda s: WORKMODES[s][1]).astype("Int64")
        rows = pd.DataFrame({
            "acd": self.acd, "row_date": local.dt.strftime("%Y-%m-%d"),
            "logid": truth.agent.map(ids), "extension": (truth.agent + 5000).astype(str),
            "workmode": mode, "auxreason": aux.where(mode.eq("AUX"), pd.NA),
            "starttime": local.dt.hour * 10000 + local.dt.minute * 100 + local.dt.second,
            "duration": ((truth.end_utc - truth.start_utc).dt.total_seconds()).astype("Int64"),
        })
        engine = sa.create_engine(self.url)
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        with engine.begin() as connection:
            connection.execute(sa.text(DDL))
            connection.execute(sa.text(INDEX))
            connection.execute(sa.text("DELETE FROM ag_actv WHERE acd = :acd"), {"acd": self.acd})
            rows.to_sql("ag_actv", connection, if_exists="append", index=False)
        engine.dispose()
        return len(rows)
