"""Great Expectations: the mapping suite runs when the mapping changes; the night suite counts
unmapped rows from the join."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent_status.nights import Night
from agent_status.pipeline import validate

UTC = dt.timezone.utc
NIGHT = Night(dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 11, 2, tzinfo=UTC),
              dt.date(2026, 11, 1))


def test_mapping_suite_runs_only_when_the_mapping_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    runs = []
    real = validate._run
    monkeypatch.setattr(validate, "_run", lambda *a: runs.append(a[1]) or real(*a))
    mapping = pd.DataFrame({"employee_id": ["E1", "E2"], "external_employee_id": ["x1", "x2"],
                            "external_user_id": ["a@example.com", " b@example.com"]})
    first = validate.validate_mappings(mapping, "i1", "email")
    again = validate.validate_mappings(mapping.copy(), "i1", "email")
    assert runs == ["employee_mappings"] and again == first and not first.success
    assert [r["unexpected_count"] for r in first.failed()] == [1, 1]  # the leading space
    mapping.loc[1, "external_user_id"] = "b@example.com"
    fixed = validate.validate_mappings(mapping, "i1", "email")
    assert runs == ["employee_mappings"] * 2 and fixed.success
    validate.validate_mappings(mapping, "i1", "user_name")  # another rule set runs too
    assert len(runs) == 3


def test_night_suite_counts_unmapped_rows_and_bounds(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    start = pd.Series(pd.to_datetime(["2026-11-01 01:00", "2026-11-01 02:00", "2026-11-01 23:00",
                                      "2026-11-01 23:30"], utc=True)).astype("datetime64[us, UTC]")
    joined = pd.DataFrame({"employee_id": pd.Series(["E1", None, "E2", None], dtype="str"),
                           "start_utc": start,
                           "end_utc": start + pd.to_timedelta([60, 60, 60, 3600], unit="s")})
    report = validate.validate_night(joined, "i1", NIGHT)
    failed = {(r["expectation"], r["column"]): (r["unexpected_count"], r["element_count"])
              for r in report.failed()}
    assert failed == {("expect_column_values_to_not_be_null", "employee_id"): (2, 4),
                      ("expect_column_values_to_be_between", "end_epoch"): (1, 4)}


def test_an_empty_night_reports_what_great_expectations_reports(tmp_path, monkeypatch):
    """The empty night's report (no GX run) has the rows a GX run of the suite has."""
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    one = pd.DataFrame({"employee_id": ["E1"], "start_utc": [pd.Timestamp("2026-11-01 01:00Z")],
                        "end_utc": [pd.Timestamp("2026-11-01 02:00Z")]})
    ran = validate.validate_night(one, "i1", NIGHT)
    empty = validate.validate_night(one.iloc[:0], "i1", NIGHT)
    assert empty.success and ran.success
    assert [(r["expectation"], r["column"], r["success"]) for r in empty.results] == \
        [(r["expectation"], r["column"], r["success"]) for r in ran.results]
    assert {r["element_count"] for r in empty.results} == {0}
