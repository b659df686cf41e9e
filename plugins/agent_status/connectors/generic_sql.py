"""The generic database contract of WFM products (vendors.md 10.2), and Sikom on it (6).

Any ACD with a database can be imported without code: the customer provides a query (or a
view) returning one row per agent status with the columns

- ``agentidentifier``: the user identifier (vendors.md 0.1: case-, spelling- and space-sensitive),
- ``starttime``: local start, in the database's time zone (the integration's ``source_timezone``),
- ``endtime``: local end, NULL (or empty) while the status is ongoing,
- ``activity``: the status label, which becomes the vendor activity id and name.

The query may use two bind parameters, ``:start_local`` and ``:end_local``: the import window
widened by a day on both sides (so each status's predecessor is read for the DST chain, and the
local-time filter cannot miss a status by the fall-back hour), as naive local datetimes
(``sql.window_params``), e.g.
``WHERE starttime < :end_local AND (endtime IS NULL OR endtime > :start_local)``. Sikom has no
public schema (6): its default query reads a view of this contract, ``wfm_agent_status``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent_status.connectors.local_time import spans_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SqlConnector
from agent_status.frames import conform_raw_events


class GenericSqlConnector(SqlConnector):
    spec = VENDORS["generic_sql"]
    columns = {"agentidentifier": "text", "starttime": "datetime", "endtime": "datetime",
               "activity": "text"}
    required = ("agentidentifier", "starttime", "activity")
    # default_query None: the customer's query is required

    def to_events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime
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
        return conform_raw_events(pd.DataFrame({
            "external_user_id": rows.agentidentifier, "vendor_activity_id": activity,
            "vendor_activity_name": activity, "reason": None,
            "start_utc": start_utc, "end_utc": end_utc}))


class SikomConnector(GenericSqlConnector):
    """Sikom: the generic contract over the view ``wfm_agent_status`` (vendors.md 6)."""

    spec = VENDORS["sikom"]
    default_query = "sikom"
