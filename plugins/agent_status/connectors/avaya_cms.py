"""Avaya CMS: SQL on the CMS agent trace (vendors.md 9), local time with DST.

Work modes AVAIL, ACD, ACW, AUX, DACD, DACW, OTHER, RINGING, UNKNOWN, UNSTAFF; AUX carries a
reason code 0..99 (0 = system-forced AUX). The vendor activity id is the work mode, plus the
reason for AUX ("AUX/7"), so each AUX reason can be mapped to its own WFM activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd

from agent_status.connectors.base import Connector
from agent_status.connectors.local_time import chain_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import read_checked, vendor_query
from agent_status.frames import conform_raw_events

WORKMODE_NAMES = {"AVAIL": "Available", "ACD": "ACD call", "ACW": "After call work",
                  "AUX": "AUX", "DACD": "Direct ACD call", "DACW": "Direct after call work",
                  "OTHER": "Other", "RINGING": "Ringing", "UNKNOWN": "Unknown",
                  "UNSTAFF": "Unstaffed"}
COLUMNS = {"logid": "text", "workmode": "text", "auxreason": "int", "row_date": "datetime",
           "starttime": "int", "duration": "int"}


class AvayaCmsConnector(Connector):
    spec = VENDORS["avaya_cms"]

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        zone = self.integration.source_zone
        # a state is recorded on the local date it started: read a day before the window for
        # states running into it, and a day after for the DST edge
        params = {"acd": int(self.options.get("acd", 1)),
                  "start_date": (start.astimezone(zone) - dt.timedelta(days=1)).date(),
                  "end_date": (end.astimezone(zone) + dt.timedelta(days=1)).date()}
        trace = read_checked(self.connection, vendor_query("avaya_cms", self.options.get("query")),
                             params, COLUMNS, f"avaya_cms query on {self.connection.conn_id}",
                             int(self.options.get("chunk_rows", 200_000)))
        if trace.empty:
            return
        yield self._to_events(trace, zone, start, end)

    @staticmethod
    def _to_events(trace: pd.DataFrame, zone, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        hhmmss = trace.starttime.astype("int64")
        local = (trace.row_date.dt.normalize()
                 + pd.to_timedelta(hhmmss // 10000, unit="h")
                 + pd.to_timedelta(hhmmss // 100 % 100, unit="m")
                 + pd.to_timedelta(hhmmss % 100, unit="s"))
        trace = trace.assign(local_start=local, seconds=trace.duration.astype("float64"))
        start_utc = chain_to_utc(trace, zone, agent="logid", local_start="local_start",
                                 seconds="seconds")
        end_utc = start_utc + pd.to_timedelta(trace.seconds, unit="s")  # NaN -> NaT: open
        workmode = trace.workmode.str.strip().str.upper()
        is_aux = workmode.eq("AUX")
        reason = trace.auxreason.astype("Int64").astype("string")
        events = pd.DataFrame({
            "external_user_id": trace.logid,
            "vendor_activity_id": workmode.where(~is_aux, "AUX/" + reason.fillna("0")),
            "vendor_activity_name": workmode.map(WORKMODE_NAMES).fillna(workmode).where(
                ~is_aux, "AUX " + reason.fillna("0")),
            "reason": reason.where(is_aux, None).astype("object"),
            "start_utc": start_utc, "end_utc": end_utc,
        })
        events = conform_raw_events(events)
        overlaps = (events.end_utc.isna() | (events.end_utc > pd.Timestamp(start))) & (
            events.start_utc < pd.Timestamp(end))
        return events[overlaps].reset_index(drop=True)
