"""Timelines on their own: touching equal runs joined; a state layered over another."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent_status.connectors.timeline import layered_timeline, merge_touching_runs

T = pd.Timestamp("2026-10-25T08:00Z")
M = pd.Timedelta(minutes=1)


def test_touching_runs_of_one_lane_and_label_become_one():
    frame = pd.DataFrame({
        "user": ["a", "a", "a", "a", "b"],
        "label": ["X", "X", "X", "Y", "X"],
        "start_utc": [T + 10 * M, T, T + 10 * M, T + 20 * M, T + 10 * M],
        "end_utc": [T + 20 * M, T + 10 * M, T + 20 * M, T + 30 * M, T + 20 * M]})
    merged = merge_touching_runs(frame, lane=["user"], labels=["label"])
    assert list(zip(merged.user, merged.label, merged.start_utc, merged.end_utc)) == [
        ("a", "X", T, T + 20 * M),  # two touching rows and a copy: one row
        ("a", "Y", T + 20 * M, T + 30 * M),  # another label touching: stays apart
        ("b", "X", T + 10 * M, T + 20 * M)]  # another lane: stays apart


def test_a_gap_keeps_runs_apart_and_missing_labels_are_equal():
    frame = pd.DataFrame({"user": ["a"] * 3, "label": [None, None, None],
                          "start_utc": [T, T + 10 * M, T + 21 * M],
                          "end_utc": [T + 10 * M, T + 20 * M, pd.NaT]})
    merged = merge_touching_runs(frame, lane=["user"], labels=["label"])
    assert list(merged.start_utc) == [T, T + 21 * M]
    assert merged.end_utc.iloc[0] == T + 20 * M and pd.isna(merged.end_utc.iloc[1])


def segments(rows, reason=True):
    frame = pd.DataFrame(rows, columns=["user_id", "start", "end", "code"])
    frame["start"] = pd.to_datetime(frame.start, utc=True)
    frame["end"] = pd.to_datetime(frame.end, utc=True)
    if reason:
        frame["reason"] = [f"r-{c}" for c in frame.code]
    return frame


def layered(base, overlay, start=T, end=T + 60 * M):
    timeline = layered_timeline(base, overlay, start, end, layered="ON", ignored=("NONE",),
                                label=str.lower)
    return [(r.user_id, r.vendor_activity_id, r.vendor_activity_name, r.reason,
             (r.start_utc - T) // M, None if pd.isna(r.end_utc) else (r.end_utc - T) // M)
            for r in timeline.itertuples()]


def test_the_overlay_is_the_state_within_the_layered_base_state_only():
    base = segments([("u", T, T + 10 * M, "AWAY"), ("u", T + 10 * M, T + 40 * M, "ON"),
                     ("u", T + 40 * M, T + 50 * M, "AWAY")])
    overlay = segments([("u", T + 5 * M, T + 20 * M, "IDLE"),  # starts before ON: clipped
                        ("u", T + 20 * M, T + 25 * M, "NONE"),  # ignored: plain ON
                        ("u", T + 30 * M, T + 45 * M, "BUSY")], reason=False)  # clipped at 40
    assert layered(base, overlay) == [
        ("u", "AWAY", "away", "r-AWAY", 0, 10),
        ("u", "ON/IDLE", "on/idle", None, 10, 20),
        ("u", "ON", "on", None, 20, 30),
        ("u", "ON/BUSY", "on/busy", None, 30, 40),
        ("u", "AWAY", "away", "r-AWAY", 40, 50)]


def test_uncovered_layered_time_is_known_only_inside_the_interval():
    base = segments([("u", T - 30 * M, T + 90 * M, "ON")])
    overlay = segments([("u", T + 10 * M, T + 20 * M, "IDLE")], reason=False)
    assert layered(base, overlay) == [("u", "ON", "on", None, 0, 10),
                                      ("u", "ON/IDLE", "on/idle", None, 10, 20),
                                      ("u", "ON", "on", None, 20, 60)]


def test_copies_count_once_a_closed_copy_wins_and_open_ends_stay_open():
    base = segments([("u", T, None, "AWAY"), ("u", T, T + 10 * M, "AWAY"),
                     ("v", T, None, "AWAY"), ("v", T, None, "AWAY")])
    overlay = segments([], reason=False)
    assert layered(base, overlay) == [("u", "AWAY", "away", "r-AWAY", 0, 10),
                                      ("v", "AWAY", "away", "r-AWAY", 0, None)]


def test_no_base_state_no_timeline():
    assert layered(segments([]), segments([], reason=False)) == []


def test_sorted_unique_is_numpys_unique():
    import numpy as np

    from agent_status.connectors.timeline import sorted_unique

    rng = np.random.default_rng(7)
    for values in (np.array([], dtype=np.int64), np.array([5]), np.array([3, 3, 3]),
                   rng.integers(-50, 50, 1000), rng.integers(0, 2**62, 10_000)):
        np.testing.assert_array_equal(sorted_unique(values), np.unique(values))


def test_once_per_start_keeps_the_rows_a_sort_of_every_copy_keeps():
    """Copies sorted alone (issue 10) keep what sorting every row on (user, start, end) keeps:
    per (user, start) the closed copy with the latest end, an open one only alone; rows in
    their order. Also with starts centuries apart, where the key is by rank."""
    import numpy as np

    from agent_status.connectors.timeline import _OPEN_US, _once_per_start

    def by_lexsort(user, start, end):
        order = np.lexsort((np.where(end == _OPEN_US, np.iinfo(np.int64).min, end), start, user))
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (user[order][1:] != user[order][:-1]) | (start[order][1:] != start[order][:-1])
        return np.sort(order[last])

    rng = np.random.default_rng(3)
    for size, spread in ((0, 10), (1, 10), (50, 4), (5000, 40), (5000, 10**9), (300, 2**62)):
        user = rng.integers(0, 7, size)
        start = rng.integers(0, spread, size, dtype=np.int64)
        end = np.where(rng.random(size) < 0.2, _OPEN_US, start + rng.integers(1, 9, size))
        np.testing.assert_array_equal(_once_per_start(user, start, end),
                                      by_lexsort(user, start, end))


def test_user_ids_as_categories_in_any_order_give_the_same_timeline():
    """A parse hands the user ids over as categories: their order is not the users' order."""
    base = segments([("b", T, T + 10 * M, "AWAY"), ("a", T, T + 10 * M, "ON"),
                     ("B", T, T + 5 * M, "AWAY")])
    overlay = segments([("a", T, T + 5 * M, "IDLE")], reason=False)
    expected = layered(base, overlay)
    for categories in (["b", "a", "B"], ["B", "a", "b"]):
        as_categories = [frame.assign(user_id=pd.Categorical(frame.user_id, categories))
                         for frame in (base, overlay)]
        assert layered(*as_categories) == expected
    assert [row[0] for row in expected] == ["B", "a", "a", "b"]
