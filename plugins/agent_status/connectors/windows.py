"""Windows: an extraction interval cut into steps the vendor accepts."""

from __future__ import annotations

import datetime as dt


def split_windows(start: dt.datetime, end: dt.datetime,
                  step: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, end)`` as consecutive half-open windows of at most ``step``."""
    if step <= dt.timedelta(0):
        raise ValueError("window step must be positive")
    windows = []
    cursor = start
    while cursor < end:
        upper = min(cursor + step, end)
        windows.append((cursor, upper))
        cursor = upper
    return windows
