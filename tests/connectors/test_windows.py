"""Windows on their own: step, lookback, lookahead, granularity."""

from __future__ import annotations

import datetime as dt

import pytest

from agent_status.connectors.windows import Windows, split_windows

UTC = dt.timezone.utc
T = dt.datetime(2026, 10, 25, tzinfo=UTC)
H = dt.timedelta(hours=1)


def test_split_windows_are_consecutive_and_at_most_a_step():
    assert split_windows(T, T + 5 * H, 2 * H) == [(T, T + 2 * H), (T + 2 * H, T + 4 * H),
                                                  (T + 4 * H, T + 5 * H)]
    assert split_windows(T, T, H) == []
    with pytest.raises(ValueError, match="positive"):
        split_windows(T, T + H, dt.timedelta(0))


def test_lookback_and_lookahead_widen_the_interval():
    windows = Windows(step=10 * H, lookback=3 * H, lookahead=H).over(T, T + 2 * H)
    assert windows == [(T - 3 * H, T + 3 * H)]


def test_granularity_floors_the_start_and_ceils_the_end():
    second = dt.timedelta(seconds=1)
    start, end = T + dt.timedelta(microseconds=700_000), T + H + dt.timedelta(microseconds=1)
    assert Windows(step=10 * H, granularity=second).over(start, end) == [
        (T, T + H + second)]
    assert Windows(step=10 * H, granularity=second).over(T, T + H) == [(T, T + H)]  # aligned
    assert Windows(step=10 * H).over(start, end) == [(start, end)]  # none: as given
