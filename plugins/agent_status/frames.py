"""The canonical frames every pipeline step exchanges.

A connector yields *raw events*: one row per status segment as the vendor told it, already in
UTC and already carrying the identifier the vendor is matched on (vendors.md 0.1). The pipeline
turns them into *segments*: one non-overlapping timeline per agent, clipped to one night.
"""

from __future__ import annotations

import pandas as pd

RAW_EVENT_COLUMNS = [
    "external_user_id",  # the vendor's user identifier: user name, e-mail or agent id
    "vendor_activity_id",  # the vendor's own state code, stable across runs
    "vendor_activity_name",  # its label, for humans
    "reason",  # reason / AUX code / secondary presence, or None
    "start_utc",
    "end_utc",  # NaT while the status is still open at the vendor
]

SEGMENT_COLUMNS = [
    "external_user_id",
    "vendor_activity_id",
    "vendor_activity_name",
    "reason",
    "start_utc",
    "end_utc",
    "duration_seconds",
    "is_open",
]

_TEXT = ["external_user_id", "vendor_activity_id", "vendor_activity_name", "reason"]


def empty_raw_events() -> pd.DataFrame:
    return conform_raw_events(pd.DataFrame({c: [] for c in RAW_EVENT_COLUMNS}))


def conform_raw_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a connector's frame to the canonical dtypes; fails naming a missing column."""
    missing = [c for c in RAW_EVENT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"raw event frame lacks column(s) {missing}; has {list(frame.columns)}")
    out = frame[RAW_EVENT_COLUMNS].copy()
    for column in _TEXT:
        out[column] = out[column].astype("object").where(out[column].notna(), None)
        if pd.api.types.infer_dtype(out[column], skipna=True) not in ("string", "empty"):
            # only a column holding non-text values pays a Python call per value (issue 10)
            out[column] = out[column].map(lambda v: None if v is None else str(v),
                                          na_action="ignore")
    for column in ("start_utc", "end_utc"):
        out[column] = to_utc(out[column])
    return out


def utc(moment) -> pd.Timestamp:
    """A moment as a UTC ``pd.Timestamp`` (a naive one is taken as UTC)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def overlapping(events: pd.DataFrame, start, end) -> pd.DataFrame:
    """The raw events overlapping ``[start, end)`` (a naive bound is UTC); an open one (no end)
    runs on."""
    start, end = utc(start), utc(end)
    keep = (events.end_utc.isna() | (events.end_utc > start)) & (events.start_utc < end)
    return events[keep.to_numpy()].reset_index(drop=True)


def to_utc(values: pd.Series) -> pd.Series:
    """Timestamps as tz-aware UTC with microsecond resolution (naive values are taken as UTC)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, utc=True, format="ISO8601")
    series = values
    if getattr(series.dt, "tz", None) is None:
        series = series.dt.tz_localize("UTC")
    return series.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
