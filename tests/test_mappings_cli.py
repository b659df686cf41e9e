"""Operating the warehouse as a user does, with `agent-status ...` (main([...])) on SQLite and
PostgreSQL: CSV import/export with line-numbered errors and nothing half-imported, unmapped and
summary with exit codes and script formats, one-line errors, no password printed."""

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.cli import main
from agent_status.mappings import (MappingFileError, parse_employee_csv, read_activity_mappings,
                                   read_employee_mappings)
from agent_status.pipeline.load import load_night, record_failure
from agent_status.warehouse import create_warehouse_engine, ensure_schema
from tests.helpers import write_integrations
from tests.pipeline.test_load import events, night

EMPLOYEES_HEADER = "employee_id,external_employee_id,external_user_id\n"


@pytest.fixture(params=["sqlite", "postgres"])
def setup(request, tmp_path, monkeypatch):
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "i.yaml", [
        {"name": "tk", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01"},
        {"name": "td", "vendor": "talkdesk", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01"}])
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    yield tmp_path, engine
    engine.dispose()


def seed_night(engine, day, quarantined=(), run_id="r1", integration="tk"):
    """One loaded night of 20 events (u0..u19), plus events of unmapped identifiers, with the
    validation rows transform writes (the night's null employee_id is the quarantine)."""
    frame = events(20, day)
    start = pd.Timestamp(f"2026-11-{day:02d} 12:00", tz="UTC")
    q = pd.DataFrame({"external_user_id": list(quarantined), "vendor_activity_id": "READY",
                      "vendor_activity_name": "Ready", "reason": None, "start_utc": start,
                      "end_utc": start + pd.Timedelta(seconds=30), "duration_seconds": 30.0,
                      "is_open": False, "quarantine_reason": "unmapped external user id",
                      "hint": "no employee has this identifier: add it to employee_external_ids"})
    checks = [("employee_mappings", "expect_column_values_to_be_unique", "external_user_id", 0),
              ("night_events", "expect_column_values_to_not_be_null", "employee_id", len(q))]
    rows = [{"integration": integration, "night_date": night(day).night_date, "run_id": run_id,
             "suite": suite, "expectation": expectation, "column_name": column,
             "success": unexpected == 0, "element_count": 20 + len(q),
             "unexpected_count": unexpected, "validated_at": start}
            for suite, expectation, column, unexpected in checks]
    load_night(engine, integration=integration, vendor="avaya_cms", night=night(day),
               run_id=run_id, try_number=1, events=frame, quarantined=q,
               run={"events_loaded": 20, "events_quarantined": len(q),
                    "validation_success": not len(q)}, validation_rows=rows)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_export_round_trip(setup, capsys):
    tmp, engine = setup
    (tmp / "e.csv").write_text(EMPLOYEES_HEADER + "E1,M1,jane.doe\nE2,M2,\"john \"\n")
    code, out, _ = run(capsys, "import-employees", "--integration", "tk", str(tmp / "e.csv"))
    assert code == 0 and "leading or trailing space" in out
    assert main(["export-employees", "--integration", "tk", str(tmp / "out.csv")]) == 0
    back = pd.read_csv(tmp / "out.csv", dtype=str, keep_default_na=False)
    assert list(back.external_user_id) == ["jane.doe", "john "]


def test_bad_row_reported_with_line_and_nothing_imported(setup, capsys):
    tmp, engine = setup
    (tmp / "good.csv").write_text(EMPLOYEES_HEADER + "E1,M1,a\n")
    main(["import-employees", "--integration", "tk", str(tmp / "good.csv")])
    (tmp / "bad.csv").write_text(EMPLOYEES_HEADER + "E5,M5,x\nE6,M6,y\nE7,M5,z\n")
    code, _, err = run(capsys, "import-employees", "--integration", "tk", str(tmp / "bad.csv"))
    assert code == 2
    assert "bad.csv:4" in err and "external_employee_id 'M5' already on line 2" in err
    assert list(read_employee_mappings(engine, "tk").external_user_id) == ["a"]


@pytest.mark.parametrize("value", ["bob", "@", "a@", "john doe@x y", "a@b", "@example.com",
                                   "a@@example.com"])
def test_email_vendors_need_email_shaped_identifiers(tmp_path, value):
    (tmp_path / "e.csv").write_text(EMPLOYEES_HEADER + f"E1,M1,{value}\n")
    with pytest.raises(MappingFileError, match=f"e.csv:2: external_user_id '{value}' is not an "
                                               "e-mail"):
        parse_employee_csv(tmp_path / "e.csv", "email")


def test_email_with_an_edge_space_is_imported_with_a_warning(setup, capsys):
    tmp, engine = setup
    (tmp / "e.csv").write_text(EMPLOYEES_HEADER + "E1,M1,jane.doe@example.com \n"
                                                  "E2,M2,j.o'neil+wfm@mail.example.co.uk\n")
    code, out, _ = run(capsys, "import-employees", "--integration", "td", str(tmp / "e.csv"))
    assert code == 0 and "leading or trailing space" in out
    assert len(read_employee_mappings(engine, "td")) == 2


def test_activity_csv_unknown_activity_and_bad_integer(setup, capsys):
    tmp, engine = setup
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification\nAUX/1,20,x\n")
    code, _, err = run(capsys, "import-activities", "--integration", "tk", str(tmp / "a.csv"))
    assert code == 2 and "a.csv:2: field 'classification' must be an integer" in err
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification\nAUX/1,20,1\n")
    code, _, err = run(capsys, "import-activities", "--integration", "tk", str(tmp / "a.csv"))
    assert code == 2 and "activity id(s) [20] do not exist" in err
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification,activity_name\n"
                               "AUX/1,20,1,Break\n")
    assert main(["import-activities", "--integration", "tk", str(tmp / "a.csv")]) == 0
    assert list(read_activity_mappings(engine, "tk").activity_name) == ["Break"]


@pytest.mark.parametrize("command,header,row", [
    ("import-employees", EMPLOYEES_HEADER, "E1,M1,a\n"),
    ("import-activities", "vendor_activity_id,activity_id,classification,activity_name\n",
     "AUX/1,20,1,Break\n"),
])
def test_header_only_csv_is_refused_and_the_mapping_kept(setup, capsys, command, header, row):
    """It deleted every mapping of the integration and said "0 imported"."""
    tmp, engine = setup
    (tmp / "full.csv").write_text(header + row)
    assert main([command, "--integration", "tk", str(tmp / "full.csv")]) == 0
    (tmp / "empty.csv").write_text(header)
    code, _, err = run(capsys, command, "--integration", "tk", str(tmp / "empty.csv"))
    assert code == 2 and "empty.csv: no rows under the header; nothing imported" in err
    kept = (read_employee_mappings if command == "import-employees"
            else read_activity_mappings)(engine, "tk")
    assert len(kept) == 1


@pytest.mark.parametrize("kind,message", [
    ("latin1", "latin1.csv:3: not UTF-8 (byte 0xe9); save the file as UTF-8"),
    ("semicolon", "semicolon.csv:1: fields are separated by ';'; use commas"),
    ("directory", "directory.csv: is a directory, not a CSV file"),
    ("missing", "missing.csv: no such file"),
])
@pytest.mark.parametrize("command", ["import-employees", "import-activities"])
def test_unreadable_csv_is_one_line_naming_the_file(setup, capsys, kind, message, command):
    tmp, engine = setup
    path = tmp / f"{kind}.csv"
    if kind == "latin1":
        path.write_bytes(EMPLOYEES_HEADER.encode() + b"E1,M1,a\nE2,M2,Ren\xe9\n")
    elif kind == "semicolon":
        path.write_text("employee_id;external_employee_id;external_user_id\nE1;M1;a\n")
    elif kind == "directory":
        path.mkdir()
    code, out, err = run(capsys, command, "--integration", "tk", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unmapped_and_summary_run_and_say_what_needs_attention(setup, capsys):
    """On PostgreSQL both failed: `(:i IS NULL OR integration = :i)` is an untyped parameter."""
    tmp, engine = setup
    seed_night(engine, 1, quarantined=["ghost"])
    for argv in (["unmapped"], ["unmapped", "--integration", "tk"], ["summary"],
                 ["summary", "--integration", "tk"]):
        code, out, err = run(capsys, *argv)
        assert code == 1 and err == "", argv  # something needs attention
    code, out, _ = run(capsys, "unmapped", "--format", "json")
    unmapped = json.loads(out)
    assert [(r["integration"], r["external_user_id"], r["events"])
            for r in unmapped["identifiers"]] == [("tk", "ghost", 1)]
    assert [r["vendor_activity_id"] for r in unmapped["activities"]] == ["READY"]
    code, out, _ = run(capsys, "unmapped", "--integration", "tk", "--format", "csv")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert list(frame.kind) == ["identifier", "activity"]
    assert list(frame.identifier) == ["ghost", "READY"]
    code, out, _ = run(capsys, "summary", "--format", "json")
    (summary,) = json.loads(out)
    assert summary["events_quarantined"] == 1 and summary["needs_attention"] is True

    # map the identifier and the activity, replay: nothing needs attention any more
    (tmp / "e.csv").write_text(EMPLOYEES_HEADER + "E99,M99,ghost\n")
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification,activity_name\n"
                               "READY,10,2,Available\n")
    assert main(["import-employees", "--integration", "tk", str(tmp / "e.csv")]) == 0
    assert main(["import-activities", "--integration", "tk", str(tmp / "a.csv")]) == 0
    assert main(["reapply-activities", "--integration", "tk"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "unmapped", "--format", "csv")
    assert code == 0 and out.strip() == ("kind,integration,identifier,name,hint,events,seconds,"
                                         "first_night,last_night")
    code, out, _ = run(capsys, "summary", "--format", "json")
    (summary,) = json.loads(out)
    # the summary reported the quarantine as it was at load time, after the replay too
    assert (summary["events_quarantined"], summary["events_loaded"]) == (0, 21)
    assert summary["unmapped_identifiers"] == [] and summary["events_defaulted"] == 0
    assert code == 0 and summary["needs_attention"] is False
    code, out, _ = run(capsys, "summary")
    assert "quarantined     : 0" in out and "validation      : passed" in out


def test_summary_names_gaps_failed_nights_and_real_validation_failures(setup, capsys):
    tmp, engine = setup
    seed_night(engine, 1)
    seed_night(engine, 4)
    # run r5 fails for its night 5 and for night 4, which it re-imports (lookback)
    record_failure(engine, integration="tk", vendor="avaya_cms", nights=[night(4), night(5)],
                   run_id="r5", task_id="extract", try_number=4, error="HTTPError: 503")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE validation_results SET success = :f, unexpected_count = 2 "
                          "WHERE night_date = :d AND suite = 'employee_mappings'"),
                  {"f": False, "d": "2026-11-04"})
    code, out, _ = run(capsys, "summary", "--format", "json")
    (summary,) = json.loads(out)
    assert code == 1
    assert summary["nights_imported"] == ["2026-11-01", "2026-11-04"]
    assert summary["nights_missing"] == ["2026-11-02", "2026-11-03"]
    assert summary["nights_failed"] == [{"night": "2026-11-05", "task": "extract",
                                         "error": "HTTPError: 503"}]
    assert summary["nights_reimport_failed"] == [{"night": "2026-11-04", "task": "extract",
                                                  "error": "HTTPError: 503"}]
    assert summary["validation_failed"] == [
        "2026-11-04 employee_mappings: expect_column_values_to_be_unique(external_user_id) "
        "2 unexpected of 20"]
    code, out, _ = run(capsys, "summary")
    assert "nights MISSING  : 2026-11-02, 2026-11-03" in out
    assert "night FAILED    : 2026-11-05 in extract: HTTPError: 503" in out
    assert "re-import FAILED: 2026-11-04 in extract (the earlier import stays)" in out
    assert "validation      : 1 failed check(s):" in out
    code, out, _ = run(capsys, "summary", "--format", "csv")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert list(frame.integration) == ["tk"] and json.loads(frame.nights_missing[0]) == [
        "2026-11-02", "2026-11-03"]


def test_unreachable_warehouse_is_one_line_without_the_password(capsys, monkeypatch, tmp_path):
    write_integrations(tmp_path / "i.yaml", [
        {"name": "tk", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01"}])
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL",
                       "postgresql+psycopg://ops:s3cret@127.0.0.1:1/wfm?connect_timeout=3")
    for argv in (["summary"], ["unmapped"], ["init-warehouse"], ["migrate"]):
        code, out, err = run(capsys, *argv)
        assert code == 3 and out == "", argv
        assert err.startswith("error: warehouse postgresql+psycopg://ops:***@127.0.0.1:1/wfm")
        assert err.count("\n") == 1 and "s3cret" not in err and "Traceback" not in err


def test_init_warehouse_does_not_print_the_password(postgres_url, capsys, monkeypatch):
    url = postgres_url.replace("://postgres@", "://postgres:s3cret@")  # trust auth ignores it
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    code, out, _ = run(capsys, "init-warehouse")
    assert code == 0 and "s3cret" not in out and "postgres:***@127.0.0.1" in out
    code, out, _ = run(capsys, "summary")
    assert code == 0 and "No import has run yet." in out


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["summary", "--help"])
    out = capsys.readouterr().out
    assert "--format {text,json,csv}" in out
    assert "1  unmapped / summary: something needs attention" in out
    assert "3  the warehouse cannot be reached" in out
