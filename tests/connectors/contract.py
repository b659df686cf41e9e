"""What every contract test compares: the connector's output as the pipeline keeps it (each
status once, adjacent equal statuses as one) against the sandbox's truth (test_contract.py runs
it for every declared vendor; the vendor's own test files use it for their quirks)."""

from __future__ import annotations

import pandas as pd

from agent_status.frames import conform_raw_events
from agent_status_dev.sandboxes.base import merge_adjacent

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


def assert_nights_match_truth(frame: pd.DataFrame, sandbox, nights,
                              overlap_rule: str = "later_start_wins") -> None:
    """Per night, the pipeline's normalise of the connector output equals the clipped truth."""
    from agent_status.pipeline.normalise import normalise
    from agent_status_dev.simulator import clip

    columns = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc",
               "is_open"]
    for night in nights:
        expected = clip(truth(sandbox, night.start_utc, night.end_utc),
                        night.start_utc, night.end_utc)
        pd.testing.assert_frame_equal(
            normalise(frame, night, overlap_rule)[columns],
            expected[columns].sort_values(["external_user_id", "start_utc"])
            .reset_index(drop=True), check_dtype=False)


def touching_equal_pieces(frame: pd.DataFrame) -> int:
    """How many rows continue the previous row's status (same agent and activity, touching):
    the splits the pipeline must merge back."""
    ordered = frame.sort_values(["external_user_id", "start_utc"])
    return int((ordered.external_user_id.eq(ordered.external_user_id.shift())
                & ordered.vendor_activity_id.eq(ordered.vendor_activity_id.shift())
                & ordered.start_utc.eq(ordered.end_utc.shift())).sum())
