"""Timelines of states: touching runs of one state joined again; a state layered over another."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from agent_status.connectors.fields import utc
from agent_status.frames import RAW_EVENT_COLUMNS

_OPEN_US = pd.Timestamp("2200-01-01", tz="UTC").value // 1000  # an open end, microseconds


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of integers by a sort and a neighbour comparison: numpy 2's ``unique``
    goes through a hash table first, 5 times slower here on a million-event night (issue 10).
    The sort is numpy's stable one (timsort), which merges the sorted runs such values come in
    (each timeline's boundaries, already in order) ten times faster than its default, and is
    as fast on values in no order."""
    values = np.sort(values, kind="stable")
    keep = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def merge_touching_runs(frame: pd.DataFrame, lane: list[str], labels: list[str],
                        start: str = "start_utc", end: str = "end_utc") -> pd.DataFrame:
    """Rows of one lane (e.g. a user) with equal ``labels`` where each starts as the one before
    it ends become one row, ending where the last one ends; rows that are copies of one
    another count once. Sorted by lane, then start; missing labels are equal to each other."""
    frame = frame.drop_duplicates(lane + labels + [start, end])
    frame = frame.sort_values(lane + [start, end]).reset_index(drop=True)
    keys = frame[lane + labels].astype("object").fillna("\x00")
    same = keys.eq(keys.shift()).all(axis=1) & frame[start].eq(frame[end].shift())
    run = (~same).cumsum()
    merged = frame[~run.duplicated(keep="first")].copy()
    merged[end] = frame[end][~run.duplicated(keep="last")].to_numpy()
    return merged.reset_index(drop=True)


def layered_timeline(base: pd.DataFrame, overlay: pd.DataFrame, start: dt.datetime,
                     end: dt.datetime, *, layered: str, ignored: tuple[str, ...] = (),
                     label: Callable[[str], str] = str) -> pd.DataFrame:
    """One timeline per user from a base state (``base``, e.g. Genesys presence) and a state
    layered over it (``overlay``, e.g. routing status), the rule Verint applies to Genesys Cloud (vendors.md 2.6):

    - outside a ``layered`` base state the base state is the state (its code, its reason);
    - within one, each overlay segment, clipped to it, is the state: ``f"{layered}/{code}"``,
      no reason; overlay codes in ``ignored`` count as no overlay;
    - parts of a ``layered`` state no overlay covers are plain ``layered``, but only inside
      ``[start, end)``: outside it the overlay was not read.

    Both frames have user_id, start, end (NaT = open, and stays open), code; base also
    reason; a segment may come several times and is kept once per (user, start): a closed copy
    over an open one, else the latest end. Each user's time is cut at every boundary of either
    timeline; each piece takes the base and the overlay segment covering it (an as-of search),
    and consecutive pieces of the same two segments are joined again; ``label(activity)`` names
    each activity. Vectorised over sorted integer (user, time) keys: no Python object per row
    but the output's text (issue 10).
    """
    columns = ["user_id", *RAW_EVENT_COLUMNS[1:]]
    if base.empty:
        return pd.DataFrame({c: [] for c in columns})
    users = pd.concat([base.user_id, overlay.user_id], ignore_index=True)
    # categoricals of the same sorted users (a parse's) are factorized by their codes
    by_codes = isinstance(users.dtype, pd.CategoricalDtype) and \
        users.cat.categories.is_monotonic_increasing
    users, names = pd.factorize(users if by_codes else users.astype(object), sort=True)
    p_user, p_start, p_end, p_code, p_reason = _copies_once(
        users[:len(base)], base, base.reason)
    r_user, r_start, r_end, r_code, _ = _copies_once(users[len(base):], overlay, None)
    routed_status = ~r_code.isin(ignored).to_numpy()
    r_user, r_start, r_end = (a[routed_status] for a in (r_user, r_start, r_end))
    r_code = r_code[routed_status]
    # every boundary of either timeline, as (user, time code) in one sortable integer
    (p_start, p_end, r_start, r_end), span, moments = _time_codes(
        [p_start, p_end, r_start, r_end], len(names))
    cuts = sorted_unique(np.concatenate([
        u.astype(np.int64) * span + t
        for u, t in ((p_user, p_start), (p_user, p_end), (r_user, r_start), (r_user, r_end))]))
    cut_user, cut_rank = np.divmod(cuts, span)
    same_user = cut_user[1:] == cut_user[:-1]
    piece_key = cuts[:-1][same_user]
    piece_user, piece_start, piece_end = (cut_user[:-1][same_user], cut_rank[:-1][same_user],
                                          cut_rank[1:][same_user])
    presence_no = _covering(piece_key, piece_user, piece_start, p_user, p_start, p_end, span)
    routing_no = _covering(piece_key, piece_user, piece_start, r_user, r_start, r_end, span)
    inside = presence_no >= 0
    piece_user, piece_start, piece_end, presence_no, routing_no = (
        a[inside] for a in (piece_user, piece_start, piece_end, presence_no, routing_no))

    # the activity as an integer: base codes first, then <layered>/<overlay code>
    p_codes, p_names = pd.factorize(p_code, use_na_sentinel=False)
    r_codes, r_names = pd.factorize(r_code, use_na_sentinel=False)
    on_queue_code = np.asarray(p_names, dtype=object) == layered
    on_queue = on_queue_code[p_codes][presence_no]
    routed = on_queue & (routing_no >= 0)
    routing_no = np.where(routed, routing_no, -1)
    activity = np.where(routed, len(p_names) + r_codes[np.maximum(routing_no, 0)] if len(r_codes)
                        else 0, p_codes[presence_no])
    activities = np.asarray([*p_names, *(f"{layered}/{r}" if isinstance(r, str) else None
                                         for r in r_names)], dtype=object)

    first = np.ones(len(presence_no), dtype=bool)
    first[1:] = ((presence_no[1:] != presence_no[:-1]) | (routing_no[1:] != routing_no[:-1])
                 | (piece_user[1:] != piece_user[:-1]) | (piece_start[1:] != piece_end[:-1]))
    last = np.append(first[1:], True)[:len(first)]
    run_presence, run_activity = presence_no[first], activity[first]
    run_start, run_end = moments(piece_start[first]), moments(piece_end[last])

    # an uncovered layered state is known only inside the interval the overlay was read for
    start_us, end_us = (utc(moment).value // 1000 for moment in (start, end))  # .value: ns
    bare = (run_activity < len(p_names)) & on_queue_code[np.minimum(run_activity, len(p_names) - 1)]
    keep = ~bare | ((run_start < end_us) & (run_end > start_us))
    bare, run_presence, run_activity, run_start, run_end, run_user = (
        a[keep] for a in (bare, run_presence, run_activity, run_start, run_end,
                          piece_user[first]))
    run_start = np.where(bare, np.maximum(run_start, start_us), run_start)
    run_end = np.where(bare & (run_end != _OPEN_US), np.minimum(run_end, end_us), run_end)
    run_end = np.where(run_end == _OPEN_US, np.iinfo(np.int64).min, run_end)  # NaT: still open

    reasons = p_reason.iloc[run_presence].astype(object).to_numpy()  # a base state's own reason
    reasons = np.where(~on_queue_code[p_codes[run_presence]] & pd.notna(reasons), reasons, None)
    labels = np.asarray([label(a) if isinstance(a, str) else None for a in activities],
                        dtype=object)
    return pd.DataFrame({
        "user_id": pd.Series(np.asarray(names, dtype=object)[run_user], dtype=object),
        "vendor_activity_id": pd.Series(activities[run_activity], dtype=object),
        "vendor_activity_name": pd.Series(labels[run_activity], dtype=object),
        "reason": pd.Series(reasons, dtype=object),
        "start_utc": _stamps(run_start),
        "end_utc": _stamps(run_end)})


def _time_codes(stamps: list[np.ndarray], users: int):
    """Microsecond stamps as small non-negative codes in the same order, ``span`` (codes are
    below it, so ``user * span + code`` sorts by user then time) and the decoding function: the
    offset from the earliest stamp (an open end just after the latest) when that fits in 62
    bits with the users, else the rank among the distinct stamps (a sort more)."""
    every = np.concatenate(stamps)
    low, closed = every.min(), every[every != _OPEN_US]
    high = (closed.max() if len(closed) else low) + 1  # the code of an open end, as an offset
    if (high - low + 1) * max(users, 1) < 2 ** 62:
        def moments(codes):
            return np.where(codes == high - low, _OPEN_US, codes + low)

        return ([np.where(t == _OPEN_US, high, t) - low for t in stamps], int(high - low + 1),
                moments)
    times = sorted_unique(every)
    return [np.searchsorted(times, t) for t in stamps], len(times), times.__getitem__


def _copies_once(user: np.ndarray, segments: pd.DataFrame, reason: pd.Series | None):
    """user, start, end (microseconds) arrays and code, reason series (their dtype kept: a
    categorical stays one; reason None when not given) of the segments once per (user, start),
    whichever chunk each copy came in: a closed copy over an open one, else the latest end
    (2.6)."""
    start, end = _micros(segments.start), _micros(segments.end)
    rows = _once_per_start(user, start, end)
    reasons = None if reason is None else reason.iloc[rows].reset_index(drop=True)
    return (user[rows], start[rows], end[rows], segments.code.iloc[rows].reset_index(drop=True),
            reasons)


def _once_per_start(user: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The rows kept, in their order: one per (user, start), the closed copy over an open one,
    else the latest end, else the last row. Copies are few (a status crossing midnight comes on two days' pages),
    so rows are sorted on one integer (user, start) key and only the copies on their ends."""
    low = int(start.min()) if len(start) else 0
    span = int(start.max()) - low + 1 if len(start) else 1
    if (int(user.max(initial=0)) + 1) * span >= 2 ** 62:  # a span of centuries: by rank
        span, start_code = len(start) + 1, np.unique(start, return_inverse=True)[1]
    else:
        start_code = start - low
    key = user.astype(np.int64) * span + start_code
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    copy = sorted_key[1:] == sorted_key[:-1]
    if not copy.any():
        return np.arange(len(key))
    in_copies = np.zeros(len(key), dtype=bool)
    in_copies[1:] |= copy
    in_copies[:-1] |= copy
    members = order[in_copies]
    members = members[np.lexsort((np.where(end[members] == _OPEN_US, np.iinfo(np.int64).min,
                                           end[members]), key[members]))]
    best = np.ones(len(members), dtype=bool)  # the last of each (user, start) group
    best[:-1] = key[members][1:] != key[members][:-1]
    keep = np.ones(len(key), dtype=bool)
    keep[members] = False
    keep[members[best]] = True
    return np.flatnonzero(keep)


def _covering(piece_key: np.ndarray, piece_user: np.ndarray, piece_start: np.ndarray,
              user: np.ndarray, start: np.ndarray, end: np.ndarray, span: int) -> np.ndarray:
    """The row of the segment of the same user covering each piece (latest start wins), -1 if
    none: the as-of search on (user, start rank) keys."""
    key = user.astype(np.int64) * span + start
    order = np.argsort(key, kind="stable")
    at = np.searchsorted(key[order], piece_key, side="right") - 1
    row = order[np.maximum(at, 0)] if len(order) else np.zeros(len(piece_key), dtype=np.int64)
    covered = (at >= 0) & (user[row] == piece_user) & (end[row] > piece_start) if len(order) \
        else np.zeros(len(piece_key), dtype=bool)
    return np.where(covered, row, -1)


def _micros(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch; an open end (NaT) as the far-future ``_OPEN_US``."""
    stamps = pd.DatetimeIndex(values)
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    micros = stamps.as_unit("us").asi8
    return np.where(pd.isna(values).to_numpy(), _OPEN_US, micros)


def _stamps(micros: np.ndarray) -> pd.Series:
    return pd.Series(micros.view("M8[us]")).dt.tz_localize("UTC")
