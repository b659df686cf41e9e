"""Local wall time to UTC across the fall-back hour (connectors/local_time.py), for every vendor
that reports local time: each row is placed so the agent's whole timeline stays consistent,
whatever the order the rows come in, and the import fails when the data cannot decide."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from agent_status.connectors.base import VendorError
from agent_status.connectors.local_time import (chain_to_utc, fall_back_instants, spans_to_utc,
                                                wall_middle, wall_windows)
from agent_status_dev.simulator import Simulator

UTC = dt.timezone.utc
NEW_YORK = "America/New_York"
FALL_BACK = dt.date(2026, 11, 1)  # 01:00-02:00 happens twice: 05:00-06:00 and 06:00-07:00 UTC


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def local(moment: pd.Timestamp, zone: str = NEW_YORK) -> pd.Timestamp:
    return moment.tz_convert(zone).tz_localize(None)


def trace(truth: pd.DataFrame, zone: str = NEW_YORK) -> pd.DataFrame:
    """The truth as a store of local wall starts and durations (Avaya, Mitel, Five9)."""
    return pd.DataFrame({
        "agent": truth.agent.values, "state": truth.state.values,
        "start_local": truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None).values,
        "seconds": (truth.end_utc - truth.start_utc).dt.total_seconds().values})


def spans(truth: pd.DataFrame, zone: str = NEW_YORK) -> pd.DataFrame:
    """The truth as a store of local wall starts and ends (Sikom, the generic contract)."""
    return pd.DataFrame({
        "agent": truth.agent.values, "state": truth.state.values,
        "start_local": truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None).values,
        "end_local": truth.end_utc.dt.tz_convert(zone).dt.tz_localize(None).values})


def shuffled(rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.Index]:
    """The rows in another order, numbered afresh as a database would return them, and where
    each came from."""
    order = rows.sample(frac=1, random_state=seed).index
    return rows.loc[order].reset_index(drop=True), order


def assert_placed(got: pd.Series, want: pd.Series, order: pd.Index) -> None:
    pd.testing.assert_series_equal(got.reset_index(drop=True),
                                   want.loc[order].reset_index(drop=True),
                                   check_names=False, check_dtype=False)


def simulated_night(logged_out: bool) -> pd.DataFrame:
    simulator = Simulator(seed=5, agent_count=15, timezone=NEW_YORK)
    truth = simulator.segments(utc("2026-10-31 12:00"), utc("2026-11-01 18:00"))
    if not logged_out:  # Avaya, Sikom: no row while the agent is logged out, a gap
        truth = truth[truth.state != "logged_out"]
    return truth.reset_index(drop=True)


@pytest.mark.parametrize("logged_out", [True, False], ids=["logout-rows", "logout-gaps"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_shuffled_trace_across_the_repeated_hour_is_placed_exactly(logged_out, seed):
    truth = simulated_night(logged_out)
    rows, order = shuffled(trace(truth), seed)
    repeated = rows.start_local.between(pd.Timestamp("2026-11-01 01:00"),
                                        pd.Timestamp("2026-11-01 01:59:59"))
    assert rows[repeated].agent.nunique() >= 2 and repeated.sum() > 20

    start = chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    assert_placed(start, truth.start_utc, order)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_spans_across_the_repeated_hour_are_placed_exactly(seed):
    truth = simulated_night(logged_out=False)
    rows, order = shuffled(spans(truth), seed)
    # spans whose wall end comes before their wall start: they cross the change
    assert (rows.end_local < rows.start_local).any()

    start, end = spans_to_utc(rows, NEW_YORK, agent="agent", start="start_local",
                              end="end_local")

    assert_placed(start, truth.start_utc, order)
    assert_placed(end, truth.end_utc, order)


def one_agent(steps) -> pd.DataFrame:
    return pd.DataFrame({"agent": "4711", "state": [s for _, s, _ in steps],
                         "start_utc": [utc(t) for t, _, _ in steps],
                         "end_utc": [utc(t) + pd.Timedelta(seconds=d) for t, _, d in steps]})


def identical_wall_times() -> pd.DataFrame:
    """One agent through the repeated hour: a state starts at 01:30 in both occurrences, and a
    30-minute AUX runs from 01:30 (first time) to 01:00 (second time)."""
    return one_agent([
        ("2026-11-01 04:40", "ready", 1800), ("2026-11-01 05:10", "acd", 1200),
        ("2026-11-01 05:30", "aux", 1800), ("2026-11-01 06:00", "acd", 700),
        ("2026-11-01 06:11:40", "acw", 800), ("2026-11-01 06:25", "ready", 300),
        ("2026-11-01 06:30", "acd", 900), ("2026-11-01 06:45", "acw", 1500),
        ("2026-11-01 07:10", "ready", 300)])


@pytest.mark.parametrize("seed", range(6))
def test_identical_wall_times_in_both_occurrences_keep_every_second(seed):
    truth = identical_wall_times()
    rows, order = shuffled(trace(truth), seed)
    assert rows.start_local.duplicated().sum() == 1

    start = chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    assert_placed(start, truth.start_utc, order)
    # the chain holds: each state starts where the previous one ended, the AUX keeps 1800 s
    placed = rows.assign(start=start).sort_values("start")
    ends = placed.start + pd.to_timedelta(placed.seconds, unit="s")
    assert (placed.start.iloc[1:].values == ends.iloc[:-1].values).all()


@pytest.mark.parametrize("seed", range(6))
def test_identical_wall_times_as_spans(seed):
    truth = identical_wall_times()
    rows, order = shuffled(spans(truth), seed)

    start, end = spans_to_utc(rows, NEW_YORK, agent="agent", start="start_local",
                              end="end_local")

    assert_placed(start, truth.start_utc, order)
    assert_placed(end, truth.end_utc, order)


def test_a_session_inside_the_repeated_hour_between_logouts_cannot_be_placed():
    """Logged in at 01:10 and out at 01:40: both occurrences fit equally; no guessing."""
    rows = pd.DataFrame({
        "agent": ["4711"] * 4, "state": ["acd", "ready", "acd", "acw"],
        "start_local": pd.to_datetime(["2026-10-31 20:00", "2026-11-01 01:10",
                                       "2026-11-01 01:25", "2026-11-01 09:00"]),
        "seconds": [3600.0, 900.0, 900.0, 60.0]})

    with pytest.raises(VendorError, match=r"avaya_cms query: agent '4711'.*2026-11-01 "
                                          r"01:10:00, 01:25:00.*cannot decide"):
        chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                     seconds="seconds", source="avaya_cms query")


def test_statuses_swappable_between_two_wall_times_of_both_occurrences_cannot_be_placed():
    """01:10 -> 01:30 is filled once by one 20-minute ACD and once by 15 minutes of ACW and
    5 of READY: either filling fits either occurrence, the chain stays whole both ways."""
    rows = trace(one_agent([
        ("2026-11-01 04:40", "ready", 1800), ("2026-11-01 05:10", "acd", 1200),
        ("2026-11-01 05:30", "aux", 2400), ("2026-11-01 06:10", "acw", 900),
        ("2026-11-01 06:25", "ready", 300), ("2026-11-01 06:30", "acd", 2400)]))

    with pytest.raises(VendorError, match="agent '4711'.*cannot decide"):
        chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                     seconds="seconds")


def test_a_session_the_chain_decides_is_placed_even_after_a_logout():
    """Logged in at 01:50 (second occurrence) after a logout: only the second occurrence lets
    the session run on into 02:00 without another gap."""
    rows = pd.DataFrame({
        "agent": ["a"] * 4, "state": ["acd", "ready", "acd", "acw"],
        "start_local": pd.to_datetime(["2026-10-31 20:00", "2026-11-01 01:50",
                                       "2026-11-01 01:55", "2026-11-01 02:05"]),
        "seconds": [3600.0, 300.0, 600.0, 60.0]}).iloc[[3, 1, 0, 2]]

    start = chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    assert list(start.sort_index()) == [utc("2026-11-01 00:00"), utc("2026-11-01 06:50"),
                                        utc("2026-11-01 06:55"), utc("2026-11-01 07:05")]


def test_an_open_state_in_the_repeated_hour_stays_open_and_last():
    truth = identical_wall_times().iloc[:6]
    rows = trace(truth)
    rows.loc[5, "seconds"] = np.nan  # still running at the time of the read

    start = chain_to_utc(rows.iloc[::-1], NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    pd.testing.assert_series_equal(start.sort_index(), truth.start_utc, check_names=False,
                                   check_dtype=False)


def test_identical_rows_in_both_occurrences_are_one_placement():
    """Two rows alike in every column (a 30-minute READY from 01:30, each time round) are
    interchangeable: not a reason to fail."""
    truth = one_agent([
        ("2026-11-01 04:40", "acd", 3000), ("2026-11-01 05:30", "ready", 1800),
        ("2026-11-01 06:00", "acw", 1800), ("2026-11-01 06:30", "ready", 1800),
        ("2026-11-01 07:00", "acd", 300)])
    rows = trace(truth)
    assert rows.duplicated().sum() == 1

    start = chain_to_utc(rows.iloc[::-1], NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    assert sorted(start) == sorted(truth.start_utc)


def test_rows_outside_the_repeated_hour_are_untouched_and_spring_forward_is_exact():
    truth = Simulator(seed=5, agent_count=10, timezone=NEW_YORK).segments(
        utc("2026-03-07 12:00"), utc("2026-03-08 18:00"))
    rows, order = shuffled(trace(truth), 3)

    start = chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                         seconds="seconds")

    assert_placed(start, truth.start_utc, order)


@pytest.mark.parametrize("seed", range(4))
def test_the_vendors_sequence_orders_rows_of_one_wall_second_before_their_ends(seed):
    """Avaya's WMODE_SEQ (9.3): at 01:30:00 of both occurrences a state of no length, then the
    rest of a longer one. By end times both of no length come first and could trade
    occurrences (equally cheap: the import would stop); the sequence says which came first."""
    truth = pd.DataFrame({
        "agent": 1, "state": ["ready", "break", "ready", "wrap_up", "ready", "ready"],
        "start_utc": [utc("2026-11-01 05:00"), utc("2026-11-01 05:30"), utc("2026-11-01 05:30"),
                      utc("2026-11-01 06:30"), utc("2026-11-01 06:30"), utc("2026-11-01 06:50")],
        "end_utc": [utc("2026-11-01 05:30"), utc("2026-11-01 05:30"), utc("2026-11-01 06:30"),
                    utc("2026-11-01 06:30"), utc("2026-11-01 06:50"), utc("2026-11-01 07:10")]})
    rows = trace(truth).assign(seq=[0, 0, 1, 2, 3, 0])
    rows, order = shuffled(rows, seed)

    got = chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                       seconds="seconds", order="seq")

    assert_placed(got, truth.start_utc, order)
    with pytest.raises(VendorError, match="fit both occurrences"):
        chain_to_utc(rows, NEW_YORK, agent="agent", local_start="start_local",
                     seconds="seconds")


def test_windows_are_cut_where_the_report_zone_falls_back():
    lo, hi = dt.datetime(2026, 10, 31, 12, tzinfo=UTC), dt.datetime(2026, 11, 2, tzinfo=UTC)
    assert fall_back_instants("America/Los_Angeles", lo, hi) == [
        dt.datetime(2026, 11, 1, 9, tzinfo=UTC)]
    assert fall_back_instants("America/Los_Angeles", lo - dt.timedelta(days=200), lo) == []
    assert fall_back_instants("Europe/London", lo - dt.timedelta(days=7), lo) == [
        dt.datetime(2026, 10, 25, 1, tzinfo=UTC)]
    windows = wall_windows(lo, hi, dt.timedelta(hours=24), "America/Los_Angeles")
    assert windows[0] == (lo, dt.datetime(2026, 11, 1, 9, tzinfo=UTC))
    assert windows[-1][1] == hi
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:]))
    assert all(end - start <= dt.timedelta(hours=24) for start, end in windows)
    assert wall_windows(lo, hi, dt.timedelta(hours=24), "Europe/Berlin") == [
        (lo, lo + dt.timedelta(hours=24)), (lo + dt.timedelta(hours=24), hi)]
    # a bound at 08:30Z (01:30 PDT) is kept, and the cut (01:00 PST) and 09:15Z (01:15 PST),
    # whose wall times go back, are dropped; an end inside the hour reads to 01:30 PST
    at = dt.datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert wall_windows(at - dt.timedelta(minutes=45), at + dt.timedelta(minutes=90),
                        dt.timedelta(minutes=45), "America/Los_Angeles") == [
        (at - dt.timedelta(minutes=45), at), (at, at + dt.timedelta(minutes=90))]
    assert wall_windows(at - dt.timedelta(minutes=45), at + dt.timedelta(minutes=45),
                        dt.timedelta(minutes=45), "America/Los_Angeles") == [
        (at - dt.timedelta(minutes=45), at), (at, at + dt.timedelta(hours=1))]


def test_a_window_is_halved_where_its_halves_wall_times_do_not_go_back():
    """01:00 PDT (08:00Z) to 01:10 PST (09:10Z): the middle, 01:35 PDT, is after the end's wall
    time, so the window is cut at the fall-back (09:00Z, 01:00 PST) instead."""
    zone = "America/Los_Angeles"
    start, end = dt.datetime(2026, 11, 1, 8, tzinfo=UTC), dt.datetime(2026, 11, 1, 9, 10, tzinfo=UTC)
    assert wall_middle(start, end, zone) == dt.datetime(2026, 11, 1, 9, tzinfo=UTC)
    # away from a fall-back, the middle
    start, end = dt.datetime(2026, 11, 2, 8, tzinfo=UTC), dt.datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert wall_middle(start, end, zone) == dt.datetime(2026, 11, 2, 9, tzinfo=UTC)
