"""The generic database contract of WFM products (vendors.md 10.2), and Sikom on it (6).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/generic_sql.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent_status.connectors.local_time import spans_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SqlConnector


class GenericSqlConnector(SqlConnector):
    spec = VENDORS["generic_sql"]
    columns = {"agentidentifier": "text", "starttime": "datetime", "endtime": "datetime",
               "activity": "text"}
    required = ("agentidentifier", "starttime", "activity")
    # default_query None: the customer's query is required

    def events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        zone = self.integration.source_zone
        for column in ("starttime", "endtime"):
            if getattr(rows[column].dt, "tz", None) is not None:  # timestamp with time zone
                rows[column] = rows[column].dt.tz_convert(zone).dt.tz_localize(None)
        rows = rows.sort_values(["agentidentifier", "starttime"]).reset_index(drop=True)
        # the fall-back hour: each span placed so the agent's timeline stays whole (local_time)
        start_utc, end_utc = spans_to_utc(rows, zone, agent="agentidentifier",
                                          start="starttime", end="endtime", source=self.source)
        activity = rows.activity.astype("string").str.strip()  # CHAR columns pad
        return pd.DataFrame({
            "external_user_id": rows.agentidentifier, "vendor_activity_id": activity,
            "vendor_activity_name": activity, "reason": None,
            "start_utc": start_utc, "end_utc": end_utc})


class SikomConnector(GenericSqlConnector):
    """Sikom: the generic contract over the view ``wfm_agent_status`` (vendors.md 6)."""

    spec = VENDORS["sikom"]
    default_query = "sikom"
