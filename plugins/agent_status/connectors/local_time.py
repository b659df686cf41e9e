"""Local wall time to UTC, exactly, across DST (vendors that store the ACD's local time:
Avaya CMS 9.4, Mitel 7.3, Sikom 6, the generic database contract 10.2, Five9 1.4).

The spring-forward night has no ambiguity (23 hours). The fall-back night repeats an hour: a
wall time in it happened twice, so each row there has two candidate placements, an hour apart.
One agent's statuses follow each other without overlapping; within the repeated hour the rows of
the first occurrence all come before those of the second, each group in wall-time order. So a
placement of the agent's rows is a choice of which rows happened in the first occurrence, and
its cost counts what the agent's timeline then needs: overlaps first, then gaps (a status not
starting where the previous one ended, i.e. a logout). The cheapest placement is taken, whatever
the order the rows came in; when two different placements are equally cheap (e.g. a short
session entirely inside the repeated hour, alone between two logouts) the data cannot decide and
the import fails, naming the agent and the wall times, rather than guess.

A vendor that selects rows by a window given in its local time (Five9 1.6) reads windows cut
where the zone falls back, whose bounds' wall times never go back (``WallWindows``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.windows import Windows, split_windows

# a search over more partial timelines than this means the data is not a timeline at all
MAX_STATES = 200_000
_ABSENT = object()  # no status on this side (yet)


def localize(local: pd.Series, zone) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(UTC assuming the first occurrence, UTC assuming the second, is_ambiguous)."""
    naive = pd.to_datetime(local).astype("datetime64[us]")
    tz = str(zone)
    first = naive.dt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    second = naive.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    return (first.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            second.dt.tz_convert("UTC").astype("datetime64[us, UTC]"), first != second)


def chain_to_utc(frame: pd.DataFrame, zone, *, agent: str, local_start: str, seconds: str,
                 order: str | None = None, parallel: str | None = None,
                 source: str = "local times") -> pd.Series:
    """UTC start of each row, given its agent, local start and duration in seconds (NaN: still
    running), in any row order; ``order``: the vendor's sequence of rows with one wall time
    (Avaya's WMODE_SEQ), which decides before their end times do; ``parallel``: the label of
    states that may run side by side (``parallel_spans``); ``source`` names the data in errors."""
    if parallel is not None:
        return _parallel_chain(frame, zone, agent, local_start, seconds, parallel, source)
    start, _ = _place(frame, zone, agent=agent, local_start=local_start, seconds=seconds,
                      order=order, source=source)
    return start


def _parallel_chain(frame: pd.DataFrame, zone, agent: str, local_start: str, seconds: str,
                    label: str, source: str) -> pd.Series:
    """States of one agent starting at one wall time with different labels are parallel (Five9
    1.6: Ready 5 s and On Call): one span from that start to the longest one's end, so the
    chain sees that span, not an overlap. The same label twice at one wall time is the repeated
    hour's two occurrences, not parallel: those rows stay apart."""
    twice = frame.duplicated([agent, local_start, label], keep=False)
    apart = twice.groupby([frame[agent], frame[local_start]]).transform("any")
    key = ["agent", "local", "part"]
    rows = pd.DataFrame({"agent": frame[agent], "local": frame[local_start],
                         "part": np.where(apart, np.arange(len(frame)), -1),
                         "seconds": frame[seconds]})
    spans = rows.groupby(key, sort=False).seconds.max().astype("float64").reset_index()
    spans["start_utc"] = chain_to_utc(spans[["agent", "local", "seconds"]], zone, agent="agent",
                                      local_start="local", seconds="seconds",
                                      source=source)  # identical rows must look identical
    return rows.merge(spans[key + ["start_utc"]], how="left", on=key).start_utc.set_axis(
        frame.index)


def spans_to_utc(frame: pd.DataFrame, zone, *, agent: str, start: str, end: str,
                 source: str = "local times") -> tuple[pd.Series, pd.Series]:
    """UTC start and end of local spans (a NaT end stays NaT: still open). Outside the
    fall-back hour a wall time is one instant, and a span across the spring-forward gap simply
    gets its true (shorter) length."""
    return _place(frame, zone, agent=agent, local_start=start, local_end=end, source=source)


def wall_windows(start: dt.datetime, end: dt.datetime, step: dt.timedelta,
                   zone: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """Windows of at most ``step`` (an hour more next to a fall-back), also cut where ``zone``
    falls back, for a vendor that may read a window's bounds as wall time (Five9 1.6). A bound
    whose wall time is before the previous bound's (in the first occurrence of the repeated
    hour, before the cut) is dropped: read as wall time, the windows would cover part of that
    hour twice."""
    bounds = sorted({start, end, *fall_back_instants(zone, start, end),
                     *(lo for lo, _ in split_windows(start, end, step))})
    kept = [bounds[0]]
    for bound in bounds[1:]:
        if wall_time(bound, zone) >= wall_time(kept[-1], zone):
            kept.append(bound)
        elif bound == end:  # the end inside the repeated hour: read to its second occurrence
            kept.append(max(end, kept[-1] + dt.timedelta(hours=1)))
    return list(zip(kept[:-1], kept[1:]))


@dataclass(frozen=True)
class WallWindows(Windows):
    """``Windows`` whose bounds' wall times in ``zone`` never go back (``wall_windows``)."""

    zone: str = field(default="UTC", kw_only=True)

    def over(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        return wall_windows(start - self.lookback, end + self.lookahead, self.step, self.zone)

    def middle(self, window: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
        return wall_middle(*window, self.zone)


def wall_time(moment: dt.datetime, zone: str) -> pd.Timestamp:
    """The naive wall time of ``moment`` in ``zone``."""
    return pd.Timestamp(moment).tz_convert(zone).tz_localize(None)


def wall_middle(start: dt.datetime, end: dt.datetime, zone: str) -> dt.datetime:
    """Where a window of ``wall_windows`` is halved: its middle, unless that is in the first
    occurrence of a repeated hour (its wall time after the end's); then the fall-back instant
    or the start of that hour, if inside the window."""
    middle = start + dt.timedelta(seconds=(end - start).total_seconds() // 2)
    candidates = [middle]
    for cut in fall_back_instants(zone, start - dt.timedelta(hours=1),
                                  end + dt.timedelta(hours=1)):
        candidates += [cut, cut - dt.timedelta(hours=1)]
    good = [c for c in candidates if start < c < end
            and wall_time(start, zone) <= wall_time(c, zone) <= wall_time(end, zone)]
    return min(good, key=lambda c: abs(c - middle)) if good else middle


def fall_back_instants(zone: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Instants in ``(start, end)`` where the zone's UTC offset decreases (wall time repeats)."""
    grid = pd.date_range(pd.Timestamp(start).floor("15min"), pd.Timestamp(end).ceil("15min"),
                         freq="15min")
    offset = grid.tz_convert(zone).tz_localize(None) - grid.tz_localize(None)
    drops = grid[1:][offset[1:] < offset[:-1]]
    return [moment.to_pydatetime() for moment in drops
            if pd.Timestamp(start) < moment < pd.Timestamp(end)]


@dataclass(frozen=True)
class _Option:
    second: bool  # starts in the second occurrence of the repeated hour
    start: pd.Timestamp
    end: pd.Timestamp | None  # None: still open


def _place(frame: pd.DataFrame, zone, *, agent: str, local_start: str,
           seconds: str | None = None, local_end: str | None = None, order: str | None = None,
           source: str) -> tuple[pd.Series, pd.Series]:
    first, second, ambiguous = localize(frame[local_start], zone)
    if seconds is not None:
        duration = pd.to_timedelta(frame[seconds].astype("float64"), unit="s")
        first_end, second_end = first + duration, second + duration
        end_ambiguous = pd.Series(False, index=frame.index)
    else:
        first_end, second_end, end_ambiguous = localize(frame[local_end], zone)
        end_ambiguous = end_ambiguous & frame[local_end].notna()
    start_utc, end_utc = first.copy(), first_end.copy()
    pending = ambiguous | end_ambiguous
    if not pending.any():
        return start_utc, end_utc
    wall = pd.to_datetime(frame[local_start])
    sequence = (frame[order].astype("float64").fillna(float("inf")) if order is not None
                else pd.Series(0.0, index=frame.index))
    wall_end = pd.to_datetime(frame[local_end]) if local_end is not None else None
    # the local date of the repeated hour each pending row touches (one fall-back a day at most)
    day = wall.dt.normalize().where(ambiguous, wall_end.dt.normalize() if wall_end is not None
                                    else wall.dt.normalize())

    def options(i) -> list[_Option]:
        out = []
        starts = [(False, first[i])] + ([(True, second[i])] if ambiguous[i] else [])
        for in_second, begin in starts:
            if seconds is not None:
                ends = [(second_end if in_second else first_end)[i]]
            else:
                ends = [first_end[i]] + ([second_end[i]] if end_ambiguous[i] else [])
            for finish in ends:
                finish = None if pd.isna(finish) else finish
                if finish is None or finish >= begin:
                    out.append(_Option(in_second, begin, finish))
        if not out:  # an end before its start in both occurrences
            length = (f"to {frame.at[i, local_end]}" if local_end is not None
                      else f"for {frame.at[i, seconds]} s")
            raise VendorError(f"{source}: agent {frame.at[i, agent]!r}: the status from "
                              f"{wall[i]} {length} ends before it starts")
        return out

    for (name, _), rows in frame[pending].groupby([agent, day[pending]], sort=False):
        agent_rows = frame.index[frame[agent] == name]
        fixed = agent_rows.difference(frame.index[pending])
        earliest, latest = first[rows.index].min(), second[rows.index].max()
        before = [i for i in fixed if first[i] < earliest]
        after = [i for i in fixed if first[i] > latest]
        # wall order, then the vendor's own sequence within one wall time, then the end (a
        # status of no length before the one starting in the same second; an open one last):
        # the result does not depend on the order the rows came in
        ordered = sorted(rows.index, key=lambda i: (wall[i], sequence[i], *_end_key(first_end[i]),
                                                    i))
        elements = [options(i) for i in ordered]
        if before:  # the agent's status just before: the head of the first part
            i = max(before, key=lambda i: (first[i], i))
            elements.insert(0, [_Option(False, first[i], _end(first_end[i]))])
        if after:  # and just after: the tail of the second part
            i = min(after, key=lambda i: (first[i], i))
            elements.append([_Option(True, first[i], _end(first_end[i]))])
        # identical rows are interchangeable: count a swap of two of them as one placement; and
        # of two rows of one wall time, the later in the vendor's sequence cannot be in the
        # first occurrence when the earlier is in the second. Either way: a row after one
        # placed in the second occurrence is in the second too.
        same = [False] * len(elements)
        offset = 1 if before else 0
        for k in range(1, len(ordered)):
            this, previous = ordered[k], ordered[k - 1]
            same[offset + k] = frame.loc[this].equals(frame.loc[previous]) or (
                order is not None and wall[this] == wall[previous]
                and sequence[this] > sequence[previous])
        choice = _cheapest(elements, same, name, [wall[i] for i in ordered], source)
        for i, option in zip(ordered, choice[offset:offset + len(ordered)]):
            start_utc[i] = option.start
            end_utc[i] = pd.NaT if option.end is None else option.end
    return start_utc, end_utc


def _end_key(value) -> tuple:
    """A sort key for an end that may be missing (still open: after every end)."""
    return (1, pd.Timestamp.min) if pd.isna(value) else (0, value)


def _end(value) -> pd.Timestamp | None:
    return None if pd.isna(value) else value


def _cheapest(elements: list[list[_Option]], same: list[bool], name, walls, source
              ) -> list[_Option]:
    """The one cheapest choice of an option per element (elements in wall order): the
    first-occurrence choices form the first part of the timeline, the second-occurrence ones
    the rest, each in element order. Cost = overlaps (weighted above any number of gaps) +
    gaps. Exact dynamic programme over (end of the first part so far, end of the second part
    so far, start of the second part, side of the previous element), searched with a growing
    cost bound so that only near-optimal partial timelines are kept."""
    overlap = len(elements) + 1
    bound = 0
    while True:
        result = _search(elements, same, bound, overlap)
        if result is not None:
            cost, count, choice = result
            if count > 1:
                shown = ", ".join(str(w.time()) for w in walls[:6]) + (" ..." if len(walls) > 6
                                                                         else "")
                raise VendorError(
                    f"{source}: agent {name!r}: the statuses at local {walls[0].date()} {shown} "
                    f"fit both occurrences of the repeated hour equally well (a session inside "
                    f"it between two logouts?); the data cannot decide where they belong")
            return choice
        # every choice has a finite cost, at most this: the search always ends
        assert bound < overlap * (len(elements) + 1)
        bound = max(1, bound * 2)


def _link(previous_end, start, overlap: int) -> int:
    """Cost of ``start`` following a status that ended at ``previous_end``."""
    if previous_end is _ABSENT:
        return 0
    if previous_end is None or start < previous_end:  # after an open status, or overlapping
        return overlap
    return 0 if start == previous_end else 1


def _search(elements, same, bound: int, overlap: int):
    """(cost, number of cheapest choices capped at 2, one cheapest choice) or None when every
    choice costs more than ``bound``."""
    # state: (first-part end, second-part end, second-part start, previous side)
    states = {(_ABSENT, _ABSENT, _ABSENT, None): (0, 1, None)}
    history = []
    for k, options in enumerate(elements):
        new: dict = {}
        for key, (cost, count, _) in states.items():
            first_end, second_end, second_start, previous = key
            for index, option in enumerate(options):
                if same[k] and previous is True and not option.second:
                    continue  # the swap of two identical rows, or against the sequence
                if option.second:
                    step = _link(second_end, option.start, overlap)
                    next_key = (first_end, option.end,
                                option.start if second_start is _ABSENT else second_start, True)
                else:
                    step = _link(first_end, option.start, overlap)
                    next_key = (option.end, second_end, second_start, False)
                total = cost + step
                if total > bound:
                    continue
                known = new.get(next_key)
                if known is None or total < known[0]:
                    new[next_key] = (total, count, (key, index))
                elif total == known[0]:
                    new[next_key] = (total, min(2, known[1] + count), known[2])
        if len(new) > MAX_STATES:
            raise VendorError(f"too many possible placements of {len(elements)} overlapping "
                              f"statuses of one agent in the repeated hour")
        history.append(new)
        states = new
    best = None
    for key, (cost, count, _) in states.items():
        first_end, _, second_start, _ = key
        total = cost + (_link(first_end, second_start, overlap)
                        if second_start is not _ABSENT else 0)
        if total > bound:
            continue
        if best is None or total < best[0]:
            best = (total, count, key)
        elif total == best[0]:
            best = (total, min(2, best[1] + count), best[2])
    if best is None:
        return None
    choice, key = [], best[2]
    for k in range(len(elements) - 1, -1, -1):
        previous_key, index = history[k][key][2]
        choice.append(elements[k][index])
        key = previous_key
    return best[0], best[1], choice[::-1]
