"""Windows: an extraction interval cut into steps the vendor accepts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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


@dataclass(frozen=True)
class Windows:
    """How a source cuts an extraction interval (Airbyte's vocabulary): windows of at most
    ``step`` (None: one window, for a source without a limit such as a database query),
    starting ``lookback`` before the interval (statuses running into it are found by their
    start) and ending ``lookahead`` after it (records selected by their end);
    ``granularity`` is the resolution of the vendor's time format: bounds are widened to it
    (start floored, end ceiled), so formatting a bound never cuts an instant off."""

    step: dt.timedelta | None
    lookback: dt.timedelta = dt.timedelta(0)
    lookahead: dt.timedelta = dt.timedelta(0)
    granularity: dt.timedelta | None = None

    def over(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        lo, hi = start - self.lookback, end + self.lookahead
        if self.granularity:
            lo, hi = _floor(lo, self.granularity), _ceil(hi, self.granularity)
        return split_windows(lo, hi, self.step) if self.step is not None else [(lo, hi)]

    def middle(self, window: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
        """Where a window is halved (a report at its row cap): its middle, to the second."""
        start, end = window
        return start + dt.timedelta(seconds=(end - start).total_seconds() // 2)


def _floor(moment: dt.datetime, unit: dt.timedelta) -> dt.datetime:
    """``moment`` rounded down to a multiple of ``unit`` since the epoch."""
    return moment - (moment - dt.datetime(1970, 1, 1, tzinfo=moment.tzinfo)) % unit


def _ceil(moment: dt.datetime, unit: dt.timedelta) -> dt.datetime:
    floored = _floor(moment, unit)
    return floored if floored == moment else floored + unit
