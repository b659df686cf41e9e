"""Mitel MiVoice Business: SQL on the MiCC-B CCMData database, in ACD local time (vendors.md 7).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/mitel.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.local_time import chain_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SqlConnector

REASON_STATES = {"make busy", "do not disturb"}  # 7.2: the states that carry reason codes


class MitelConnector(SqlConnector):
    spec = VENDORS["mitel"]
    columns = {"user_name": "text", "agent_reporting": "text", "state": "text",
               "reason_code": "text", "start_local": "datetime", "duration": "int"}
    required = ("state", "start_local")
    # default_query None: 7.1, no public table to default to; a state is read from a day
    # before the window (it may have started then; the fall-back chain needs its predecessor)

    def events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        unknown = rows.user_name.isna()
        if unknown.any():
            numbers = sorted(rows.agent_reporting[unknown].astype(str).unique())
            raise VendorError(f"{self.source}: {int(unknown.sum())} state(s) of agent reporting "
                              f"number(s) {numbers[:10]} have no user name (no agent "
                              f"configured for them?)")
        rows = rows.sort_values(["user_name", "start_local"]).reset_index(drop=True)
        rows["seconds"] = rows.duration.astype("float64")
        # the fall-back hour: each state placed so the agent's chain stays whole (local_time);
        # local times are in the ACD time zone (7.3)
        start_utc = chain_to_utc(rows, self.integration.source_zone, agent="user_name",
                                 local_start="start_local", seconds="seconds",
                                 source=self.source)
        end_utc = start_utc + pd.to_timedelta(rows.seconds, unit="s")  # NaN -> NaT: open
        # string dtype: a chunk without any reason code is all missing, not an object column
        state = rows.state.map(lambda value: str(value).strip(),
                               na_action="ignore").astype("string")
        code = rows.reason_code.map(lambda value: str(value).strip() or None,
                                    na_action="ignore").astype("string")
        coded = state.str.lower().isin(REASON_STATES) & code.notna()
        return pd.DataFrame({
            "external_user_id": rows.user_name,
            "vendor_activity_id": state.where(~coded, state + "/" + code),
            "vendor_activity_name": state.where(~coded, state + " " + code),
            "reason": code.where(coded, None),
            "start_utc": start_utc, "end_utc": end_utc,
        })
