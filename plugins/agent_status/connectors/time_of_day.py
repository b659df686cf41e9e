"""A local time of day kept as an integer, in one of the encodings databases use for it: seconds
since midnight, or "military" HHMM or HHMMSS (e.g. the CMS ODBC guide, vendors.md 9.3)."""

from __future__ import annotations

import pandas as pd

from agent_status.connectors.base import VendorError

ENCODINGS = {"seconds": "0..86399", "hhmm": "HHMM, HH < 24, MM < 60",
             "hhmmss": "HHMMSS, HH < 24, MM < 60, SS < 60"}


def seconds_of_day(values: pd.Series, encoding: str, column: str, source: str) -> pd.Series:
    """Time of day in seconds from integers in ``encoding`` ("seconds", "hhmm", "hhmmss"); a
    value that cannot be a time of day in it fails, naming column and value."""
    if values.isna().any():
        raise VendorError(f"{source}: {column} is empty in {int(values.isna().sum())} row(s)")
    number = values.astype("int64")
    if encoding == "seconds":
        hours, minutes, seconds = number // 3600, number // 60 % 60, number % 60
        bad = (number < 0) | (number >= 86400)
    elif encoding == "hhmm":
        hours, minutes, seconds = number // 100, number % 100, number * 0
        bad = (number < 0) | (hours >= 24) | (minutes >= 60)
    elif encoding == "hhmmss":
        hours, minutes, seconds = number // 10000, number // 100 % 100, number % 100
        bad = (number < 0) | (hours >= 24) | (minutes >= 60) | (seconds >= 60)
    else:
        raise VendorError(f"{source}: unknown time encoding {encoding!r}")
    if bad.any():
        raise VendorError(f"{source}: {column} value {int(number[bad].iloc[0])} cannot be a "
                          f"time of day in encoding {encoding!r} ({ENCODINGS[encoding]}); "
                          f"{int(bad.sum())} row(s) like it. Set option time_encoding to the "
                          f"database's own (seconds, hhmm or hhmmss)")
    return hours * 3600 + minutes * 60 + seconds
