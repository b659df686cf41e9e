"""Great Expectations: the mapping suite runs when the mapping changes; the night suite counts
unmapped rows from the join."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

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
    monkeypatch.setattr(validate, "_run", lambda *a, **k: runs.append(a[1]) or real(*a, **k))
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
                           "vendor_activity_id": "READY", "start_utc": start,
                           "end_utc": start + pd.to_timedelta([60, 60, 60, 3600], unit="s")})
    report = validate.validate_night(joined, "i1", NIGHT)
    failed = {(r["expectation"], r["column"]): (r["unexpected_count"], r["element_count"])
              for r in report.failed()}
    assert failed == {("expect_column_values_to_not_be_null", "employee_id"): (2, 4),
                      ("expect_column_values_to_be_between", "end_epoch"): (1, 4)}


def test_an_empty_night_reports_what_great_expectations_reports(tmp_path, monkeypatch):
    """The empty night's report (no GX run) has the rows a GX run of the suite has."""
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    one = pd.DataFrame({"employee_id": ["E1"], "vendor_activity_id": ["READY"],
                        "start_utc": [pd.Timestamp("2026-11-01 01:00Z")],
                        "end_utc": [pd.Timestamp("2026-11-01 02:00Z")]})
    ran = validate.validate_night(one, "i1", NIGHT)
    empty = validate.validate_night(one.iloc[:0], "i1", NIGHT)
    assert empty.success and ran.success
    assert [(r["expectation"], r["column"], r["success"]) for r in empty.results] == \
        [(r["expectation"], r["column"], r["success"]) for r in ran.results]
    assert {r["element_count"] for r in empty.results} == {0}


def test_thresholds_grade_coverage_and_data_docs_name_the_night_offline(tmp_path, monkeypatch,
                                                                       capfd):
    """Issue 11: a few unmapped agents pass within ``mostly`` (a warning), a night below it
    fails; Data Docs list the run under its night and load no script from the internet; GX
    draws no progress bar (a task log shows stderr as ERROR lines)."""
    from agent_status import docs_assets

    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    start = pd.Series(pd.to_datetime(["2026-11-01 01:00"] * 10, utc=True)).astype(
        "datetime64[us, UTC]") + pd.to_timedelta(range(10), unit="min")
    joined = pd.DataFrame({"employee_id": ["E1"] * 9 + [None],
                           "vendor_activity_id": ["READY"] * 7 + ["MEETING"] * 3,
                           "start_utc": start, "end_utc": start + pd.Timedelta(seconds=30)})
    within = validate.validate_night(joined, "i1", NIGHT, {"identifiers_mapped": 0.8},
                                     {"READY"})
    assert within.success  # 90 % of identifiers mapped, 70 % of activities: both within
    stricter = validate.validate_night(joined, "i1", NIGHT, {"identifiers_mapped": 0.95,
                                                            "activities_mapped": 0.8}, {"READY"})
    assert not stricter.success
    assert {r["column"] for r in stricter.failed()} == {"employee_id", "activity_id"}
    assert "Calculating Metrics" not in capfd.readouterr().err
    site = tmp_path / "i1" / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert any("i1 night 2026-11-01" in page for page in pages), pages
    assert not any("__none__" in page for page in pages)
    if not docs_assets.missing():
        for page in site.rglob("*.html"):
            text = page.read_text()
            for url in docs_assets.CDN_MAP:
                assert f'"{url}"' not in text, (page, url)


def test_staged_checks_grade_by_the_night_and_become_ledger_rows_of_both_suites():
    """transform stages a night's checks as JSON; load writes them as validation_results rows:
    the night's suite decides success, the mapping suite's findings ride along."""
    import json

    mappings = validate.ValidationReport("employee_mappings", False, [
        {"expectation": "expect_column_values_to_match_regex", "column": "external_user_id",
         "success": False, "element_count": 2, "unexpected_count": 1}])
    night = validate.ValidationReport("night_events", True, [
        {"expectation": "expect_column_values_to_not_be_null", "column": "employee_id",
         "success": True, "element_count": 4, "unexpected_count": 0}], data_docs="/docs/x.html")
    checks = json.loads(json.dumps(validate.staged_checks(mappings, night)))
    assert checks["success"] is True and checks["data_docs"] == "/docs/x.html"
    assert checks["summary"] == [mappings.summary(), night.summary()]
    at = dt.datetime(2026, 11, 2, 6, tzinfo=UTC)
    rows = validate.result_rows(checks, integration="i1", night=NIGHT, run_id="r1",
                                validated_at=at)
    assert rows == [
        {"integration": "i1", "night_date": dt.date(2026, 11, 1), "run_id": "r1",
         "suite": "employee_mappings", "expectation": "expect_column_values_to_match_regex",
         "column_name": "external_user_id", "success": False, "element_count": 2,
         "unexpected_count": 1, "validated_at": at},
        {"integration": "i1", "night_date": dt.date(2026, 11, 1), "run_id": "r1",
         "suite": "night_events", "expectation": "expect_column_values_to_not_be_null",
         "column_name": "employee_id", "success": True, "element_count": 4,
         "unexpected_count": 0, "validated_at": at}]
    from agent_status.pipeline.load import VALIDATION_COLUMNS

    assert all(list(row) == VALIDATION_COLUMNS for row in rows)  # the table's columns


def test_data_docs_index_lists_the_latest_results_only(tmp_path, monkeypatch):
    """The index is rendered again on every run from every result it lists: it lists the
    latest ``DOCS_INDEX_LIMIT`` (issue 10); every night's page stays on disk."""
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path))
    monkeypatch.setattr(validate, "DOCS_INDEX_LIMIT", 2)
    monkeypatch.setattr(validate, "_CONTEXTS", {})
    for day in (1, 2, 3):
        start = pd.Timestamp(f"2026-11-0{day} 01:00Z")
        night = Night(dt.datetime(2026, 11, day, tzinfo=UTC),
                      dt.datetime(2026, 11, day + 1, tzinfo=UTC), dt.date(2026, 11, day))
        report = validate.validate_night(pd.DataFrame({
            "employee_id": ["E1"], "vendor_activity_id": ["READY"], "start_utc": [start],
            "end_utc": [start + pd.Timedelta(minutes=5)]}), "i1", night)
    index = Path(report.data_docs).read_text()
    site = Path(report.data_docs).parent
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "validations").rglob("*.html"))
    assert len(pages) == 3
    listed = [p for p in pages if quote(p) in index]  # links are URL-encoded
    assert len(listed) == 2 and all("2026-11-01" not in p for p in listed), listed
    # the pages' templates compiled once, kept for the next task (pipeline/gx_views.py)
    assert list((tmp_path / ".jinja-cache").glob("__jinja2_*.cache"))
