"""Avaya CMS: SQL on the CMS agent trace (vendors.md 9), local time with DST.

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/avaya_cms.py."""

from __future__ import annotations

import datetime as dt
import numbers

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.local_time import chain_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SqlConnector
from agent_status.connectors.time_of_day import seconds_of_day

WORKMODE_NAMES = {"AVAIL": "Available", "ACD": "ACD call", "ACW": "After call work",
                  "AUX": "AUX", "DACD": "Direct ACD call", "DACW": "Direct after call work",
                  "OTHER": "Other", "RINGING": "Ringing", "UNKNOWN": "Unknown",
                  "UNSTAFF": "Unstaffed"}
NAME_ALIASES = {"RING": "RINGING"}  # 9.2: RING in some releases
# 9.2: the codes Avaya publishes ("for example"); the others come from option workmode_codes
WORKMODE_CODES = {1: "AVAIL", 2: "ACD", 3: "ACW", 4: "AUX"}


class AvayaCmsConnector(SqlConnector):
    spec = VENDORS["avaya_cms"]
    default_query = "avaya_cms"

    def params(self, start: dt.datetime, end: dt.datetime, sample: bool) -> dict:
        # a state is recorded on the local date it started: read a day before the window for
        # states running into it, and a day after for the DST edge (not for check's sample)
        zone, margin = self.integration.source_zone, dt.timedelta(days=0 if sample else 1)
        return {"acd": int(self.options["acd"]),
                "start_date": (start.astimezone(zone) - margin).date(),
                "end_date": (end.astimezone(zone) + margin).date()}

    def query_columns(self) -> dict[str, str]:
        """The trace columns read, named as the options say (case-insensitive)."""
        columns = {"logid": "text", "row_date": "datetime", "workmode": "text",
                   "auxreason": "int", self.options["time_column"]: "int", "duration": "int"}
        if self.options["sequence_column"]:
            columns[self.options["sequence_column"]] = "int"
        return columns

    def events(self, trace: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        time_column, sequence = self.options["time_column"], self.options["sequence_column"]
        source = self.source
        trace = trace.assign(
            logid=login_ids(trace.logid, source),
            workmode=workmode_names(trace.workmode, self.workmode_codes(), source),
            local_start=trace.row_date.dt.normalize() + pd.to_timedelta(
                seconds_of_day(trace[time_column], self.options["time_encoding"], time_column,
                               source), unit="s"),
            seconds=trace.duration.astype("float64"))
        # the trace's own order: by time, then WMODE_SEQ within one second (Exony schema, 9.3),
        # or within one minute with HHMM times; the chain orders rows of one wall time by it
        trace = trace.sort_values(["logid", "local_start"] + ([sequence] if sequence else []),
                                  kind="stable").reset_index(drop=True)
        start_utc = chain_to_utc(trace, self.integration.source_zone, agent="logid",
                                 local_start="local_start", seconds="seconds",
                                 order=sequence or None, source=source)
        end_utc = start_utc + pd.to_timedelta(trace.seconds, unit="s")  # NaN -> NaT: open
        is_aux = trace.workmode.eq("AUX")
        reason = trace.auxreason.astype("Int64").astype("string")
        return pd.DataFrame({
            "external_user_id": trace.logid,
            "vendor_activity_id": trace.workmode.where(~is_aux, "AUX/" + reason.fillna("0")),
            "vendor_activity_name": trace.workmode.map(WORKMODE_NAMES).where(
                ~is_aux, "AUX " + reason.fillna("0")),
            "reason": reason.where(is_aux, None).astype("object"),
            "start_utc": start_utc, "end_utc": end_utc,
        })

    def workmode_codes(self) -> dict[int, str]:
        codes = dict(WORKMODE_CODES)
        for code, name in (self.options["workmode_codes"] or {}).items():
            label = NAME_ALIASES.get(str(name).strip().upper(), str(name).strip().upper())
            if label not in WORKMODE_NAMES or not str(code).strip().isdigit():
                raise VendorError(f"integration {self.integration.name}: option workmode_codes "
                                  f"maps {code!r} to {name!r}; expected a number and one of "
                                  f"{sorted(WORKMODE_NAMES)}")
            codes[int(str(code).strip())] = label
        return codes


def login_ids(values: pd.Series, source: str) -> pd.Series:
    """LOGID as administered: CHAR padding removed at the end, leading zeros kept (9.3)."""
    missing = values.isna()
    if missing.any():
        raise VendorError(f"{source}: LOGID is empty in {int(missing.sum())} row(s)")
    logins = values.map(lambda value: str(value).rstrip(" "))
    blank = logins.eq("")
    if blank.any():
        raise VendorError(f"{source}: LOGID is blank ({values[blank].iloc[0]!r})")
    return logins


def workmode_names(values: pd.Series, codes: dict[int, str], source: str) -> pd.Series:
    """WORKMODE as its report name: a number is looked up in ``codes`` (9.2), a name (a view
    that translates) is taken as it is; anything else fails, naming the value."""
    def name(value) -> str:
        text = "" if value is None else str(value).strip()
        if isinstance(value, numbers.Integral) or text.isdigit() or (
                isinstance(value, numbers.Real) and float(value).is_integer()):
            code = int(float(text))
            if code in codes:
                return codes[code]
            raise VendorError(f"{source}: WORKMODE {value!r} is not a known work mode code "
                              f"({dict(sorted(codes.items()))}); add it with option "
                              f"workmode_codes")
        label = NAME_ALIASES.get(text.upper(), text.upper())
        if label in WORKMODE_NAMES:
            return label
        raise VendorError(f"{source}: WORKMODE {value!r} is neither a work mode code nor one of "
                          f"{sorted(WORKMODE_NAMES)}")

    if values.isna().any():
        raise VendorError(f"{source}: WORKMODE is empty in {int(values.isna().sum())} row(s)")
    labels = {value: name(value) for value in values.unique()}
    return values.map(labels)
