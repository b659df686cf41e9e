"""The generic database contract of WFM products (vendors.md 10.2), and Sikom on it (6).

Any ACD with a database can be imported without code: the customer provides a query (or a
view) returning one row per agent status with the columns

- ``agentidentifier``: the user identifier (vendors.md 0.1: case-, spelling- and space-sensitive),
- ``starttime``: local start, in the database's time zone (the integration's ``source_timezone``),
- ``endtime``: local end, NULL (or empty) while the status is ongoing,
- ``activity``: the status label, which becomes the vendor activity id and name.

The query may use two bind parameters, ``:start_local`` and ``:end_local``: the import window
widened by a day on both sides, as naive local datetimes (``sql.window_params``), e.g.
``WHERE starttime < :end_local AND (endtime IS NULL OR endtime > :start_local)``. Sikom has no
public schema (6): its default query reads a view of this contract, ``wfm_agent_status``.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.local_time import spans_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SAMPLE_MARGIN, SqlConnector, read_checked, vendor_query, window_params
from agent_status.frames import conform_raw_events

COLUMNS = {"agentidentifier": "text", "starttime": "datetime", "endtime": "datetime",
           "activity": "text"}
# local bounds are widened so that each status's predecessor is read (the DST chain) and the
# local-time filter cannot miss a status by the fall-back hour
MARGIN = dt.timedelta(days=1)


class GenericSqlConnector(SqlConnector):
    spec = VENDORS["generic_sql"]
    default_query: ClassVar[str | None] = None  # generic_sql: the customer's query is required

    def _read(self, start: dt.datetime, end: dt.datetime, sample: bool = False
              ) -> pd.DataFrame | None:
        zone = self.integration.source_zone
        source = f"{self.spec.name} query on {self.connection.conn_id}"
        rows = read_checked(self.connection, self.query(),
                            window_params(start, end, zone, SAMPLE_MARGIN if sample else MARGIN),
                            COLUMNS, source, int(self.options.get("chunk_rows", 200_000)),
                            sample=sample)
        if rows.empty:
            return None
        for column in ("agentidentifier", "starttime", "activity"):
            empty = rows[column].isna()
            if empty.any():
                raise VendorError(f"{source}: column {column!r} is empty in {int(empty.sum())} "
                                  f"row(s), e.g. {rows[empty].iloc[0].to_dict()}")
        for column in ("starttime", "endtime"):
            if getattr(rows[column].dt, "tz", None) is not None:  # timestamp with time zone
                rows[column] = rows[column].dt.tz_convert(zone).dt.tz_localize(None)
        rows = rows.sort_values(["agentidentifier", "starttime"]).reset_index(drop=True)
        # the fall-back hour: each span placed so the agent's timeline stays whole (local_time)
        start_utc, end_utc = spans_to_utc(rows, zone, agent="agentidentifier",
                                          start="starttime", end="endtime", source=source)
        activity = rows.activity.astype("string").str.strip()  # CHAR columns pad
        events = conform_raw_events(pd.DataFrame({
            "external_user_id": rows.agentidentifier, "vendor_activity_id": activity,
            "vendor_activity_name": activity, "reason": None,
            "start_utc": start_utc, "end_utc": end_utc}))
        overlaps = (events.end_utc.isna() | (events.end_utc > pd.Timestamp(start))) & (
            events.start_utc < pd.Timestamp(end))
        return events[overlaps].reset_index(drop=True)

    def query(self) -> str:
        if self.options.get("query"):
            return self.options["query"]
        if self.default_query is None:
            raise VendorError(f"integration {self.integration.name}: vendor {self.spec.name} needs "
                              f"option 'query', a SELECT returning {sorted(COLUMNS)} (see "
                              f"include/sql/vendors/generic_sql.sql)")
        return vendor_query(self.default_query)


class SikomConnector(GenericSqlConnector):
    """Sikom: the generic contract over the view ``wfm_agent_status`` (vendors.md 6)."""

    spec = VENDORS["sikom"]
    default_query = "sikom"

