"""One canonical, non-overlapping timeline per agent, clipped to one night.

Rules, in order:
1. exact duplicates are dropped (vendors repeat records across pages, days and windows);
2. copies of the same status (same agent, activity and start) keep the longest known end,
   a closed copy winning over an open one;
3. overlaps are resolved by the connector's rule: ``later_start_wins`` (default: a status ends
   where the agent's next one starts) or ``shorter_wins`` (Five9, vendors.md 1.6: the longer
   status starts where the shorter one ends);
4. adjacent equal statuses (same activity and reason, touching) are merged;
5. each segment is clipped to ``[night.start, night.end)``; a status still open at the vendor
   ends at the night's end and is marked ``is_open``; zero-length remainders are dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from agent_status.frames import SEGMENT_COLUMNS, conform_raw_events
from agent_status.nights import Night

KEY = ["external_user_id", "start_utc"]


class BadEventsError(ValueError):
    """Vendor data that cannot be a status timeline; the message names the agent and time."""


def normalise(raw: pd.DataFrame, night: Night, overlap_rule: str = "later_start_wins") -> pd.DataFrame:
    events = conform_raw_events(raw)
    _check(events)
    events, texts = _encode(events)
    events = _collapse_copies(events)  # exact duplicates are copies too: one is kept
    events = OVERLAP_RULES[overlap_rule](events)
    events = merge_adjacent(events)
    return _decode(clip_to_night(events, night), texts)


_TEXT = ["external_user_id", "vendor_activity_id", "vendor_activity_name", "reason"]


def _encode(events: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Text columns as integer codes in the text's sort order (None = -1), so that the rules'
    sorts, duplicate checks and comparisons run on integers: the strings of a night are
    hashed once here instead of in every step (issue 10). ``_decode`` restores them."""
    texts, coded = {}, {}
    for column in _TEXT:
        codes, uniques = pd.factorize(events[column], sort=True)
        coded[column] = codes
        texts[column] = np.append(np.asarray(uniques, dtype=object), None)  # -1 -> None
    return events.assign(**coded), texts


def _decode(events: pd.DataFrame, texts: dict) -> pd.DataFrame:
    return events.assign(**{column: pd.Series(texts[column].take(events[column].to_numpy()),
                                              index=events.index, dtype=object)
                            for column in _TEXT})


def read_night(path, night: Night, overlap_rule: str = "later_start_wins") -> pd.DataFrame:
    """The staged raw events (Parquet) that can shape ``night``'s timeline, so that a run with
    lookback nights holds about one night in memory at a time (issue 10). ``normalise`` of this
    frame equals ``normalise`` of the whole file (tests/pipeline/test_normalise.py):

    - ``later_start_wins``: every status ends where the agent's next one starts, so a status
      starting at or after the night's end never reaches into it, and of the statuses started
      before the night only those at the agent's latest start before it can;
    - ``shorter_wins`` resolves overlaps pairwise over repeated passes, and what it makes of a
      night can depend on statuses well outside it: the whole file is read.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    # text read as dictionaries (categories in pandas): each distinct string one Python object,
    # shared by its rows, and the earlier nights' user ids below never spelled out row by row
    # (a night's 2.5M strings fragmented the heap night after night, issue 10)
    text = [f.name for f in pq.read_schema(path) if pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type)]
    dataset = ds.dataset(str(path), format=ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns=text)))
    stamp = dataset.schema.field("start_utc").type
    night_start = pa.scalar(pd.Timestamp(night.start_utc), type=stamp)
    night_end = pa.scalar(pd.Timestamp(night.end_utc), type=stamp)
    start = ds.field("start_utc")
    if overlap_rule == "later_start_wins":
        latest = dataset.to_table(columns=["external_user_id", "start_utc"],
                                  filter=start < night_start).unify_dictionaries().group_by(
            "external_user_id").aggregate([("start_utc", "max")])
        earliest = pc.min(latest["start_utc_max"]) if latest.num_rows else night_start
        agents = pc.cast(latest["external_user_id"], pa.string()).combine_chunks() \
            if latest.num_rows else None

        def kept(batch):  # a lookup, not a join: rows keep their order and every type
            keep = pc.greater_equal(batch["start_utc"], night_start)
            if agents is not None:
                where = pc.index_in(batch["external_user_id"], value_set=agents)
                keep = pc.or_kleene(keep, pc.equal(batch["start_utc"],
                                                   latest["start_utc_max"].take(where)))
            return batch.filter(pc.fill_null(keep, False))

        # batch by batch: of the rows since the earliest agent's latest start (most of the
        # night before) only the few kept are held, not all of them at once (issue 10)
        table = pa.Table.from_batches(
            [kept(batch) for batch in dataset.to_batches(
                filter=(start < night_end) & (start >= earliest))], schema=dataset.schema)
    else:
        table = dataset.to_table()
    return table.unify_dictionaries().to_pandas()


def _check(events: pd.DataFrame) -> None:
    for column in ("external_user_id", "vendor_activity_id", "start_utc"):
        missing = events[column].isna()
        if missing.any():
            row = events[missing].iloc[0]
            raise BadEventsError(f"{missing.sum()} event(s) without {column}, e.g. "
                                 f"{row.to_dict()}")
    backwards = events.end_utc.notna() & (events.end_utc < events.start_utc)
    if backwards.any():
        row = events[backwards].iloc[0]
        raise BadEventsError(f"{backwards.sum()} event(s) end before they start, e.g. agent "
                             f"{row.external_user_id!r} {row.vendor_activity_id} "
                             f"{row.start_utc} -> {row.end_utc}")


def _collapse_copies(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (agent, activity, start): the closed copy with the longest end, else the
    first open one, in the order the vendor gave them. The rows come back ordered by agent,
    start and end (an open end last; a tie by activity), the order the overlap rules walk.

    Rows arrive ordered by agent and start as a rule (a connector reads an agent's statuses
    in time order): then only rows sharing an agent and start need sorting among themselves,
    a few here and there, instead of three sorts of the whole night (0.45 of normalise's
    0.9 s on a 1M-event night, issue 10). Rows in any other order are first sorted (stable)
    by agent and start; either way the result is that of stable sorts of the whole frame."""
    agent = events.external_user_id.to_numpy()
    start = _int64(events.start_utc)
    if not _ordered(agent, start):
        order = np.lexsort((start, agent))  # stable
        events, agent, start = events.take(order), agent[order], start[order]
    activity = events.vendor_activity_id.to_numpy()
    end = _int64(events.end_utc)
    is_open = events.end_utc.isna().to_numpy()
    # among copies: closed before open, the longest end first, else as they came
    order = _sorted_ties(agent, start, (activity, is_open, np.where(is_open, 0, -end)))
    agent, start, activity = agent[order], start[order], activity[order]
    first = np.ones(len(order), bool)
    first[1:] = (agent[1:] != agent[:-1]) | (start[1:] != start[:-1]) | \
        (activity[1:] != activity[:-1])
    order = order[first]
    open_last = np.where(is_open, np.iinfo(np.int64).max, end)[order]
    order = order[_sorted_ties(agent[first], start[first], (open_last,))]
    return events.take(order).reset_index(drop=True)


def _int64(stamps: pd.Series) -> np.ndarray:
    """Timestamps as int64 microseconds (UTC; NaT as the smallest int64)."""
    return stamps.to_numpy(dtype="datetime64[us]").view(np.int64)


def _ordered(*keys: np.ndarray) -> bool:
    """Whether the rows are in ascending order of ``keys`` (the first key first)."""
    if len(keys[0]) < 2:
        return True
    ascending, tied = np.ones(len(keys[0]) - 1, bool), np.ones(len(keys[0]) - 1, bool)
    for key in keys:
        equal = key[1:] == key[:-1]
        ascending &= ~tied | equal | (key[1:] > key[:-1])
        tied &= equal
    return bool(ascending.all())


def _in_key_order(events: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by KEY (stable), without a sort when they already are (the rules
    keep that order: issue 10)."""
    if not _ordered(events.external_user_id.to_numpy(), _int64(events.start_utc)):
        events = events.sort_values(KEY)
    return events.reset_index(drop=True)


def _sorted_ties(agent: np.ndarray, start: np.ndarray, by: tuple) -> np.ndarray:
    """The order of rows already in (agent, start) order when rows sharing an agent and
    start are sorted (stable) by the keys ``by``, the first key first."""
    order = np.arange(len(agent))
    if len(agent) < 2:
        return order
    tie = (agent[1:] == agent[:-1]) & (start[1:] == start[:-1])  # row i + 1 ties row i
    if tie.any():
        rows = np.zeros(len(agent), bool)
        rows[1:] |= tie
        rows[:-1] |= tie
        rows = np.flatnonzero(rows)
        group = np.cumsum(np.concatenate([[True], ~tie]))[rows]
        order[rows] = rows[np.lexsort((*[key[rows] for key in reversed(by)], group))]
    return order


def _later_start_wins(events: pd.DataFrame) -> pd.DataFrame:
    same_agent = events.external_user_id.eq(events.external_user_id.shift(-1))
    next_start = events.start_utc.shift(-1).where(same_agent)
    cut = next_start.notna() & (events.end_utc.isna() | (events.end_utc > next_start))
    events.loc[cut, "end_utc"] = next_start[cut]
    return events[events.end_utc.isna() | (events.end_utc > events.start_utc)]


def _shorter_wins(events: pd.DataFrame) -> pd.DataFrame:
    """Where two statuses overlap, the shorter keeps its time and the longer starts where the
    shorter ends (injixo's rule for Five9). Repeated until no overlap is left."""
    for _ in range(50):
        same_agent = events.external_user_id.eq(events.external_user_id.shift())
        prev_end = events.end_utc.shift()
        prev_open = same_agent & prev_end.isna() & events.start_utc.shift().notna()
        # an open status runs on: anything starting after it overlaps it
        overlap = same_agent & (prev_open | (prev_end.notna() & (events.start_utc < prev_end)))
        if not overlap.any():
            return events
        prev_len = (prev_end - events.start_utc.shift())
        this_len = events.end_utc - events.start_utc
        # this one is the longer (or open): it starts where the previous (shorter) ends
        longer = overlap & ~prev_open & (this_len.isna() | (this_len >= prev_len))
        events.loc[longer, "start_utc"] = prev_end[longer]
        # the previous one is the longer: it is cut at this one's start, its remainder after
        # this one ends is kept as its own segment
        shorter = overlap & ~longer
        idx = events.index[shorter]
        if len(idx):
            prev_idx = events.index[events.index.get_indexer(idx) - 1]
            remainder = events.loc[prev_idx].copy()
            remainder["start_utc"] = events.loc[idx, "end_utc"].to_numpy()
            events.loc[prev_idx, "end_utc"] = events.loc[idx, "start_utc"].to_numpy()
            remainder = remainder[remainder.end_utc.isna() | (remainder.end_utc > remainder.start_utc)]
            events = pd.concat([events, remainder], ignore_index=True)
        events = events[events.end_utc.isna() | (events.end_utc > events.start_utc)]
        events = events.sort_values(["external_user_id", "start_utc", "end_utc"],
                                    na_position="last").reset_index(drop=True)
    raise BadEventsError("overlapping statuses did not resolve after 50 passes")


OVERLAP_RULES = {"later_start_wins": _later_start_wins, "shorter_wins": _shorter_wins}


def merge_adjacent(events: pd.DataFrame) -> pd.DataFrame:
    if events.empty:
        return events.reset_index(drop=True)
    events = _in_key_order(events)
    keys = ["external_user_id", "vendor_activity_id", "reason"]
    filled = events[keys].fillna("\x00")
    same = filled.eq(filled.shift()).all(axis=1)
    touching = events.start_utc.eq(events.end_utc.shift())
    group = (~(same & touching)).cumsum()
    first = group.drop_duplicates(keep="first").index
    last = group.drop_duplicates(keep="last").index
    merged = events.loc[first].copy()
    # NaT (open) if the last is open; ``.array`` keeps datetime64 where ``to_numpy`` would
    # build a Python Timestamp per row (2.4 of normalise's 7 s on a 1M-event night, issue 10)
    merged["end_utc"] = events.end_utc.loc[last].array
    return merged.reset_index(drop=True)


def clip_to_night(events: pd.DataFrame, night: Night) -> pd.DataFrame:
    start, end = pd.Timestamp(night.start_utc), pd.Timestamp(night.end_utc)
    inside = (events.start_utc < end) & (events.end_utc.isna() | (events.end_utc > start))
    out = events[inside].copy()
    out["is_open"] = out.end_utc.isna()
    out["end_utc"] = out.end_utc.fillna(end).clip(upper=end)
    out["start_utc"] = out.start_utc.clip(lower=start)
    out = out[out.end_utc > out.start_utc]
    out["duration_seconds"] = (out.end_utc - out.start_utc).dt.total_seconds()
    return _in_key_order(out[SEGMENT_COLUMNS])
