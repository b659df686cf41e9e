"""One night through normalise, quarantine, validate and remap (pipeline/transform.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.nights import night_for_date
from agent_status.pipeline import transform
from agent_status.pipeline.validate import ValidationReport

ITEM = Integration(name="t1", vendor="vonage", conn_id="c", timezone="UTC",
                   start_date=dt.date(2026, 11, 1))
NIGHT = night_for_date(ITEM, dt.date(2026, 11, 1))
EMPLOYEES = pd.DataFrame({"employee_id": ["E1"], "external_employee_id": ["M1"],
                          "external_user_id": ["a"]})
ACTIVITIES = pd.DataFrame({"vendor_activity_id": ["READY"], "activity_id": [10],
                           "classification": [2], "activity_name": ["Ready"]})


def raw(tmp_path):
    at = lambda h: pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(hours=h)  # noqa: E731
    frame = pd.DataFrame({
        "external_user_id": ["a", "a", "b", "a"],
        "vendor_activity_id": ["READY", "BREAK", "READY", "READY"],
        "vendor_activity_name": ["Ready", "Break", "Ready", "Ready"], "reason": None,
        # the last one is the night before's: read_night leaves it out
        "start_utc": [at(8), at(9), at(8), at(-5)], "end_utc": [at(9), at(10), at(12), at(-4)]})
    path = tmp_path / "raw.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_a_night_is_split_checked_and_remapped_with_its_counts(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path / "gx"))
    done = transform.transform_night(raw(tmp_path), NIGHT, ITEM, "later_start_wins",
                                     EMPLOYEES, ACTIVITIES)
    assert done.counts == {"events_extracted": 3, "events_loaded": 2, "events_quarantined": 1,
                           "events_defaulted": 1}
    assert sorted(zip(done.events.vendor_activity_id, done.events.activity_id)) == [
        ("BREAK", 1), ("READY", 10)]
    assert set(done.events.employee_id) == {"E1"}
    assert list(done.quarantined.external_user_id) == ["b"]
    assert done.checks.suite == "night_events"
    unmapped = [r for r in done.checks.results if r["column"] == "employee_id"]
    assert [(r["unexpected_count"], r["element_count"]) for r in unmapped] == [(1, 3)]


@pytest.mark.parametrize("column,fails", [("end_epoch", True), ("employee_id", False)])
def test_a_structural_break_fails_the_night_a_coverage_shortfall_does_not(
        tmp_path, monkeypatch, column, fails):
    report = ValidationReport("night_events", False, [
        {"expectation": "e", "column": column, "success": False, "element_count": 3,
         "unexpected_count": 1}])
    monkeypatch.setattr(transform, "validate_night", lambda *a, **k: report)
    if fails:
        with pytest.raises(ValueError, match="t1 night 2026-11-01: validation failed"):
            transform.transform_night(raw(tmp_path), NIGHT, ITEM, "later_start_wins",
                                      EMPLOYEES, ACTIVITIES)
    else:
        done = transform.transform_night(raw(tmp_path), NIGHT, ITEM, "later_start_wins",
                                         EMPLOYEES, ACTIVITIES)
        assert done.checks is report and done.counts["events_loaded"] == 2
