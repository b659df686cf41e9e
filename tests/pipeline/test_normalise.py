import datetime as dt

import pandas as pd
import pytest

from agent_status.nights import Night
from agent_status.pipeline.normalise import BadEventsError, normalise

UTC = dt.timezone.utc
NIGHT = Night(dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 11, 2, tzinfo=UTC),
              dt.date(2026, 11, 1))


def ev(user, activity, start, end, reason=None):
    ts = lambda v: None if v is None else pd.Timestamp(f"2026-11-{v}", tz="UTC")  # noqa: E731
    return {"external_user_id": user, "vendor_activity_id": activity,
            "vendor_activity_name": activity, "reason": reason, "start_utc": ts(start),
            "end_utc": ts(end)}


def run(rows, rule="later_start_wins"):
    out = normalise(pd.DataFrame(rows), NIGHT, rule)
    return [(r.external_user_id, r.vendor_activity_id, r.start_utc.strftime("%d %H:%M"),
             r.end_utc.strftime("%d %H:%M"), r.is_open) for r in out.itertuples()]


def test_duplicates_dropped_and_adjacent_equal_states_merged():
    rows = [ev("a", "READY", "01 08:00", "01 09:00"), ev("a", "READY", "01 08:00", "01 09:00"),
            ev("a", "READY", "01 09:00", "01 10:00"), ev("a", "BREAK", "01 10:00", "01 10:15")]
    assert run(rows) == [("a", "READY", "01 08:00", "01 10:00", False),
                         ("a", "BREAK", "01 10:00", "01 10:15", False)]


def test_later_start_wins_on_overlap_and_copies_keep_the_closed_end():
    rows = [ev("a", "READY", "01 08:00", "01 09:30"), ev("a", "CALL", "01 09:00", "01 09:10"),
            ev("a", "CALL", "01 09:00", None)]
    assert run(rows) == [("a", "READY", "01 08:00", "01 09:00", False),
                         ("a", "CALL", "01 09:00", "01 09:10", False)]


def test_shorter_wins_moves_the_longer_start():
    rows = [ev("a", "Ready", "01 13:00:00", "01 13:00:05"), ev("a", "On Call", "01 13:00:00", "01 13:03:00")]
    out = normalise(pd.DataFrame(rows), NIGHT, "shorter_wins")
    assert list(zip(out.vendor_activity_id, out.duration_seconds)) == [("Ready", 5.0), ("On Call", 175.0)]


def test_clipped_to_the_night_and_open_status_ends_at_night_end():
    rows = [ev("a", "READY", "01 00:00", "01 00:00"), ev("a", "NIGHT", "01 00:00", "01 00:00"),
            ev("b", "LATE", "31 23:00".replace("31", "01"), None)]
    rows = [ev("a", "SHIFT", "01 00:00", "01 00:00")]  # zero length: dropped
    rows += [{**ev("b", "X", "01 00:00", "01 01:00"),
              "start_utc": pd.Timestamp("2026-10-31 22:00", tz="UTC")},
             ev("b", "Y", "01 23:00", None)]
    assert run(rows) == [("b", "X", "01 00:00", "01 01:00", False),
                         ("b", "Y", "01 23:00", "02 00:00", True)]


def test_events_ending_before_they_start_are_an_error_naming_the_agent():
    with pytest.raises(BadEventsError, match="agent 'zoe'"):
        run([ev("zoe", "READY", "01 09:00", "01 08:00")])


def test_shorter_wins_cuts_an_open_status_and_resumes_it_open():
    rows = [ev("a", "Not Ready", "01 10:00", None), ev("a", "On Call", "01 10:05", "01 10:08")]
    assert run(rows, "shorter_wins") == [("a", "Not Ready", "01 10:00", "01 10:05", False),
                                         ("a", "On Call", "01 10:05", "01 10:08", False),
                                         ("a", "Not Ready", "01 10:08", "02 00:00", True)]


def test_shorter_wins_keeps_a_longer_status_around_a_nested_one():
    rows = [ev("a", "Ready", "01 10:00", "01 11:00"), ev("a", "On Call", "01 10:10", "01 10:20")]
    assert run(rows, "shorter_wins") == [("a", "Ready", "01 10:00", "01 10:10", False),
                                         ("a", "On Call", "01 10:10", "01 10:20", False),
                                         ("a", "Ready", "01 10:20", "01 11:00", False)]


@pytest.mark.parametrize("reasons", [[None, "r1"], [None]])  # [None]: Arrow's null type
@pytest.mark.parametrize("rule", ["later_start_wins", "shorter_wins"])
def test_reading_one_night_from_staging_equals_normalising_everything(tmp_path, rule, reasons):
    """read_night keeps only what can shape the night; the result is the same to the second."""
    import numpy as np

    from agent_status.pipeline.normalise import read_night

    rng = np.random.default_rng(7)
    n = 4000 if rule == "later_start_wins" else 600  # Five9's overlaps are sparse
    base = pd.Timestamp("2026-10-30", tz="UTC")
    starts = base + pd.to_timedelta(np.sort(rng.integers(0, 4 * 86400, n)), unit="s")
    lengths = [30, 600, 7200, 50000, 200000] if n == 4000 else [30, 300, 1200, 9000]
    length = pd.to_timedelta(rng.choice(lengths, n), unit="s")
    raw = pd.DataFrame({
        "external_user_id": rng.choice(["a", "b", "c", "sparse"], n, p=[.33, .33, .33, .01]),
        "vendor_activity_id": rng.choice(["READY", "CALL", "BREAK"], n),
        "vendor_activity_name": "x", "reason": rng.choice(reasons, n),
        "start_utc": starts, "end_utc": starts + length})
    if rule == "later_start_wins":
        raw["end_utc"] = raw.end_utc.where(rng.random(n) > 0.02)
    else:  # an open Five9 status is an agent's last one
        raw["end_utc"] = raw.end_utc.where(raw.external_user_id.duplicated(keep="last"))
    raw = pd.concat([raw, raw.sample(200, random_state=1)], ignore_index=True)
    path = tmp_path / "raw.parquet"
    raw.to_parquet(path, index=False, row_group_size=500)
    for day in (30, 31, 1, 2):
        start = pd.Timestamp(f"2026-{10 if day > 2 else 11}-{day:02d}", tz="UTC")
        night = Night(start.to_pydatetime(), (start + pd.Timedelta(days=1)).to_pydatetime(),
                      start.date())
        whole = normalise(raw, night, rule)
        part = read_night(path, night, rule)
        if rule == "later_start_wins":
            assert len(part) < len(raw) / 2
        pd.testing.assert_frame_equal(normalise(part, night, rule), whole)


def test_a_staged_night_holds_each_distinct_text_once(tmp_path):
    """Issue 10: a night's text columns share one Python string per distinct value, rather than
    one per row (which fragmented the heap night after night in a run with lookback nights)."""
    from agent_status.frames import conform_raw_events
    from agent_status.pipeline.normalise import read_night

    start = pd.Timestamp("2026-11-01", tz="UTC")
    starts = start + pd.to_timedelta(range(0, 3000, 10), unit="s")
    raw = pd.DataFrame({"external_user_id": [f"agent{i % 3}" for i in range(len(starts))],
                        "vendor_activity_id": "READY", "vendor_activity_name": "Ready",
                        "reason": [None, "r1", "r2"] * (len(starts) // 3),
                        "start_utc": starts, "end_utc": starts + pd.Timedelta(seconds=10)})
    path = tmp_path / "raw.parquet"
    raw.to_parquet(path, index=False)
    night = Night(start.to_pydatetime(), (start + pd.Timedelta(days=1)).to_pydatetime(),
                  start.date())
    part = conform_raw_events(read_night(path, night))
    assert len(part) == len(raw)
    for column in ("external_user_id", "vendor_activity_id", "vendor_activity_name", "reason"):
        values = part[column].dropna()
        assert len({id(v) for v in values}) == values.nunique(), column
    pd.testing.assert_frame_equal(part, conform_raw_events(raw))


def _reference_normalise(raw, night, rule):
    """normalise as it was before issue 10's ordering work: the whole frame sorted and
    de-duplicated by pandas at each step. The rules, the merge and the clip are shared."""
    from agent_status.frames import SEGMENT_COLUMNS, conform_raw_events
    from agent_status.pipeline import normalise as module

    events = conform_raw_events(raw)
    events, texts = module._encode(events)
    events = events.drop_duplicates()
    ordered = events.assign(_open=events.end_utc.isna()).sort_values(
        ["external_user_id", "vendor_activity_id", "start_utc", "_open", "end_utc"],
        ascending=[True, True, True, True, False])
    events = ordered.drop_duplicates(["external_user_id", "vendor_activity_id", "start_utc"]) \
        .drop(columns="_open")
    events = events.sort_values(["external_user_id", "start_utc", "end_utc"], na_position="last")
    events = module.OVERLAP_RULES[rule](events.reset_index(drop=True))
    events = events.sort_values(module.KEY).reset_index(drop=True)
    events = module.merge_adjacent(events)
    clipped = module.clip_to_night(events, night)
    return module._decode(clipped[SEGMENT_COLUMNS].sort_values(module.KEY)
                          .reset_index(drop=True), texts)


@pytest.mark.parametrize("rule", ["later_start_wins", "shorter_wins"])
@pytest.mark.parametrize("shuffled", [False, True])
def test_copies_and_ties_resolve_as_whole_frame_sorts_did(rule, shuffled):
    """Issue 10: rows in agent and start order are sorted only where they tie; rows in any
    order are sorted first. Either way the timeline equals that of sorting the whole frame
    at every step, with exact duplicates, copies (open and closed, several ends), statuses
    sharing a start, and adjacent equal statuses."""
    import numpy as np

    rng = np.random.default_rng(11)
    n = 3000 if rule == "later_start_wins" else 300  # Five9's overlaps are sparse
    starts = pd.Timestamp("2026-10-31 20:00", tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, 36 * 3600 // 60, n)) * 60, unit="s")  # many shared starts
    raw = pd.DataFrame({
        "external_user_id": rng.choice(["a", "b", "c"], n),
        "vendor_activity_id": rng.choice(["READY", "CALL", "BREAK"], n),
        "vendor_activity_name": rng.choice(["x", "y"], n),
        "reason": rng.choice([None, "r1"], n),
        "start_utc": starts,
        "end_utc": starts + pd.to_timedelta(rng.choice([0, 60, 120, 600, 3600], n), unit="s")})
    if rule == "later_start_wins":
        raw["end_utc"] = raw.end_utc.where(rng.random(n) > 0.05)
    else:  # an open Five9 status is an agent's last one
        raw["end_utc"] = raw.end_utc.where(raw.external_user_id.duplicated(keep="last"))
    raw = pd.concat([raw, raw.sample(n // 8, random_state=2)])  # exact copies, out of place
    raw = raw.sort_values(["external_user_id", "start_utc"], kind="stable")
    if shuffled:
        raw = raw.sample(frac=1, random_state=3)
    raw = raw.reset_index(drop=True)
    pd.testing.assert_frame_equal(normalise(raw, NIGHT, rule),
                                  _reference_normalise(raw, NIGHT, rule))
