"""What every REST contract test compares: the connector's output as the pipeline keeps it
(each status once, adjacent equal statuses as one) against the sandbox's truth."""

from __future__ import annotations

import pandas as pd

from agent_status.frames import conform_raw_events
from agent_status.sandboxes.base import merge_adjacent

KEY = ["external_user_id", "vendor_activity_id", "start_utc"]


def imported(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop_duplicates(KEY).sort_values(["external_user_id", "start_utc"])
    return conform_raw_events(merge_adjacent(frame)).reset_index(drop=True)


def truth(sandbox, start, end) -> pd.DataFrame:
    return conform_raw_events(sandbox.expected(start, end)).reset_index(drop=True)


def assert_matches_truth(frame: pd.DataFrame, sandbox, start, end) -> None:
    expected = truth(sandbox, start, end)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(imported(frame), expected, check_dtype=False)
