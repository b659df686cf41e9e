"""Timelines of states: touching runs of one state joined again."""

from __future__ import annotations

import pandas as pd


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
