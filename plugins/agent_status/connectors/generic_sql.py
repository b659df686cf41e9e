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
from collections.abc import Iterator
from typing import ClassVar

import pandas as pd

from agent_status.connectors.base import Connector, VendorError
from agent_status.connectors.local_time import localize
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import read_checked, vendor_query, window_params
from agent_status.frames import conform_raw_events

COLUMNS = {"agentidentifier": "text", "starttime": "datetime", "endtime": "datetime",
           "activity": "text"}
# local bounds are widened so that each status's predecessor is read (the DST chain) and the
# local-time filter cannot miss a status by the fall-back hour
MARGIN = dt.timedelta(days=1)


class GenericSqlConnector(Connector):
    spec = VENDORS["generic_sql"]
    default_query: ClassVar[str | None] = None  # generic_sql: the customer's query is required

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        zone = self.integration.source_zone
        source = f"{self.spec.name} query on {self.connection.conn_id}"
        rows = read_checked(self.connection, self.query(), window_params(start, end, zone, MARGIN),
                            COLUMNS, source, int(self.options.get("chunk_rows", 200_000)))
        if rows.empty:
            return
        for column in ("agentidentifier", "starttime", "activity"):
            empty = rows[column].isna()
            if empty.any():
                raise VendorError(f"{source}: column {column!r} is empty in {int(empty.sum())} "
                                  f"row(s), e.g. {rows[empty].iloc[0].to_dict()}")
        for column in ("starttime", "endtime"):
            if getattr(rows[column].dt, "tz", None) is not None:  # timestamp with time zone
                rows[column] = rows[column].dt.tz_convert(zone).dt.tz_localize(None)
        rows = rows.sort_values(["agentidentifier", "starttime"]).reset_index(drop=True)
        start_utc, end_utc = spans_to_utc(rows, zone, agent="agentidentifier",
                                          start="starttime", end="endtime")
        activity = rows.activity.astype("string").str.strip()  # CHAR columns pad
        events = conform_raw_events(pd.DataFrame({
            "external_user_id": rows.agentidentifier, "vendor_activity_id": activity,
            "vendor_activity_name": activity, "reason": None,
            "start_utc": start_utc, "end_utc": end_utc}))
        overlaps = (events.end_utc.isna() | (events.end_utc > pd.Timestamp(start))) & (
            events.start_utc < pd.Timestamp(end))
        yield events[overlaps].reset_index(drop=True)

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


def spans_to_utc(frame: pd.DataFrame, zone, *, agent: str, start: str,
                 end: str) -> tuple[pd.Series, pd.Series]:
    """UTC start and end of local spans (a NaT end stays NaT: still open); ``frame`` is sorted
    by agent and local start, with a default index.

    Outside the fall-back hour a wall time is one instant, and a span across the spring-forward
    gap simply gets its true (shorter) length. Wall times the fall-back repeats are walked per
    agent: a span starts on the occurrence where the agent's previous span ended (the chain),
    else on the earliest not before it, and ends on the earliest occurrence not before its start.
    """
    first_start, second_start, ambiguous_start = localize(frame[start], zone)
    first_end, second_end, ambiguous_end = localize(frame[end], zone)
    ambiguous_end = ambiguous_end & frame[end].notna()
    start_utc, end_utc = first_start.copy(), first_end.copy()
    pending = ambiguous_start | ambiguous_end
    # only spans touching a repeated hour are walked (a handful per agent and year)
    for name in frame.loc[pending, agent].unique():
        rows = frame.index[frame[agent] == name]
        walk = list(rows[pending[rows]])  # in local start order: the frame is sorted
        earliest = first_start[walk].min()
        before = [i for i in rows[~pending[rows]] if first_start[i] < earliest]
        chain = end_utc[max(before, key=lambda i: start_utc[i])] if before else pd.NaT
        while walk:
            choice = next(((i, value) for i in walk
                           for value in (first_start[i], second_start[i]) if value == chain), None)
            if choice is None:
                later = sorted((value, position) for position, i in enumerate(walk)
                               for value in (first_start[i], second_start[i])
                               if pd.isna(chain) or value >= chain)
                value, position = later[0] if later else (first_start[walk[0]], 0)
                choice = (walk[position], value)
            i, value = choice
            start_utc[i] = value
            if pd.notna(first_end[i]):
                ends = [e for e in (first_end[i], second_end[i]) if e >= value]
                end_utc[i] = min(ends) if ends else second_end[i]
            chain = end_utc[i] if pd.notna(end_utc[i]) else value
            walk.remove(i)
    return start_utc, end_utc
