"""One timeline per agent from rows that overlap: at each instant, of the rows in effect, the
one ranked first wins (the rows' order in the frame, best first). Rows are in epoch seconds
(``start_s``, ``end_s``, NaN while open); ``timeline.merge_touching_runs`` joins touching rows with
equal labels.
Genesys Info Mart's media collapse is built on it (vendors.md 3.1, 3.4)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from agent_status.connectors.timeline import merge_touching_runs, sorted_unique

LABELS = ["activity_id", "reason"]  # what makes two touching rows one status
AGENTS_PER_BATCH = 500  # bounds the memory of the spread over elementary intervals
# (states, interval, row, interval count) -> the (interval, row) pairs allowed to compete
Eligible = Callable[[pd.DataFrame, np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def ranked_timeline(states: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                    carry: list[str], eligible: Eligible | None = None) -> pd.DataFrame:
    """The winner of every elementary interval of each ``user``, cut to ``[start, end)``:
    columns ``user``, ``carry``, ``start_s``, ``end_s`` (NaN: the winner is still open)."""
    states = states.assign(order=np.arange(len(states)))
    w0, w1 = math.floor(start.timestamp()), math.ceil(end.timestamp())
    users = pd.Series(pd.factorize(states.user)[0], index=states.index)
    return pd.concat([_winners(states[users // AGENTS_PER_BATCH == batch], w0, w1, carry,
                               eligible)
                      for batch in range(int(users.max()) // AGENTS_PER_BATCH + 1)],
                     ignore_index=True)


def ranked_statuses(states: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                    eligible: Eligible | None = None) -> pd.DataFrame:
    """Rows labelled ``activity_id``, ``activity_name`` and ``reason``: the winners of every
    instant (``ranked_timeline``), touching runs of one label joined into statuses, as raw
    events cut to the window."""
    timeline = merge_touching_runs(
        ranked_timeline(states, start, end, ["activity_id", "activity_name", "reason"],
                        eligible), ["user"], LABELS, start="start_s", end="end_s")
    return pd.DataFrame({
        "external_user_id": timeline.user, "vendor_activity_id": timeline.activity_id,
        "vendor_activity_name": timeline.activity_name, "reason": timeline.reason,
        "start_utc": pd.to_datetime(timeline.start_s, unit="s", utc=True),
        "end_utc": pd.to_datetime(timeline.end_s.astype("float64"), unit="s", utc=True)})


def _winners(states: pd.DataFrame, w0: int, w1: int, carry: list[str],
             eligible: Eligible | None) -> pd.DataFrame:
    """Every row is spread over the elementary intervals (between consecutive start/end
    instants of an agent's rows) it covers; in each, the lowest ``order`` among the eligible
    pairs wins."""
    start = states.start_s.clip(lower=w0, upper=w1).to_numpy("int64")
    end = states.end_s.fillna(w1).clip(lower=w0, upper=w1).to_numpy("int64")
    keep = end > start
    states, start, end = states[keep].reset_index(drop=True), start[keep], end[keep]
    user = pd.factorize(states.user)[0].astype("int64")
    span = np.int64(w1 - w0 + 1)
    first, last = user * span + (start - w0), user * span + (end - w0)
    instants = sorted_unique(np.concatenate([first, last]))
    lo, hi = np.searchsorted(instants, first), np.searchsorted(instants, last)
    counts = hi - lo
    row = np.repeat(np.arange(len(states)), counts)
    interval = lo[row] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    if eligible is not None:
        interval, row = eligible(states, interval, row, len(instants))
    by_interval = np.lexsort((states.order.to_numpy()[row], interval))
    interval, row = interval[by_interval], row[by_interval]
    winner = np.diff(interval, prepend=-1) != 0
    interval, row = interval[winner], row[winner]
    base = user[row] * span - w0
    out = states.iloc[row][["user", *carry]].reset_index(drop=True)
    out["start_s"] = instants[interval] - base
    out["end_s"] = (instants[interval + 1] - base).astype("float64")
    # the last interval of a row still open at the source stays open
    open_ = states.end_s.isna().to_numpy()[row] & (out.end_s.to_numpy() == w1)
    out.loc[open_, "end_s"] = np.nan
    return out


def led_by(lead: str, same: str) -> Eligible:
    """Eligible pairs where a lead row decides the state (boolean column ``lead``): in each
    interval, the first lead row in order, and the other rows whose ``same`` equals its; an
    interval without a lead row has no winner."""
    def eligible(states: pd.DataFrame, interval: np.ndarray, row: np.ndarray,
                 intervals: int) -> tuple[np.ndarray, np.ndarray]:
        leads = states[lead].to_numpy(bool)
        key = pd.factorize(states[same])[0]
        order = states.order.to_numpy()
        pairs = leads[row]
        first = np.lexsort((order[row[pairs]], interval[pairs]))
        lead_interval, lead_row = interval[pairs][first], row[pairs][first]
        firsts = np.diff(lead_interval, prepend=-1) != 0
        chosen = np.full(intervals, -1)
        chosen[lead_interval[firsts]] = lead_row[firsts]
        winner = chosen[interval]
        keep = (winner >= 0) & (key[row] == key[np.maximum(winner, 0)]) & (
            (row == winner) | ~leads[row])
        return interval[keep], row[keep]

    return eligible
