"""Local wall time to UTC, exactly, across DST (vendors that store the ACD's local time).

The spring-forward night has no ambiguity (23 hours). The fall-back night repeats an hour: a
wall time in it happened twice. A trace is a chain (each status starts where the previous one
ended), so each repeated wall time is placed on the occurrence that continues its agent's
chain; when the chain is broken (a logout) the earlier occurrence not before the previous end
is taken.
"""

from __future__ import annotations

import pandas as pd


def localize(local: pd.Series, zone) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC assuming the first occurrence, UTC assuming the second, is_ambiguous)."""
    naive = pd.to_datetime(local).astype("datetime64[us]")
    tz = str(zone)
    first = naive.dt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    second = naive.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    return (first.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            second.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), first != second)


def chain_to_utc(frame: pd.DataFrame, zone, *, agent: str, local_start: str,
                 seconds: str) -> pd.Series:
    """UTC start of each row, given its agent, local start and duration in seconds."""
    first, second, ambiguous = localize(frame[local_start], zone)
    start = first.copy()
    if not ambiguous.any():
        return start
    duration = pd.to_timedelta(frame[seconds].astype("float64"), unit="s")
    # only agents with a row in a repeated hour need the chain walk (a few rows a year)
    for _, rows in frame[ambiguous].groupby(agent, sort=False):
        agent_rows = frame.index[frame[agent] == rows[agent].iloc[0]]
        fixed = agent_rows.difference(rows.index)
        pending = set(rows.index)
        before = start[fixed][first[fixed] < second[rows.index].min()]
        if len(before):
            last = before.idxmax()
            chain_end = start[last] + duration[last]
        else:
            chain_end = None
        while pending:
            chosen = None
            for candidate in (first, second):
                matches = [i for i in pending if chain_end is not None and candidate[i] == chain_end]
                if matches:
                    chosen = (matches[0], candidate[matches[0]])
                    break
            if chosen is None:
                options = sorted((value, i) for i in pending for value in (first[i], second[i])
                                 if chain_end is None or value >= chain_end)
                if not options:
                    options = sorted((first[i], i) for i in pending)
                chosen = (options[0][1], options[0][0])
            index, value = chosen
            start[index] = value
            chain_end = value + duration[index]
            pending.discard(index)
    return start
