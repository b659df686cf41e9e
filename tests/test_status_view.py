"""The status view ops read in the Airflow UI: what needs attention and why, per integration,
per night and per run, read from the warehouse at request time (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from agent_status.nights import Night
from agent_status.pipeline.load import load_night
from agent_status.status_view import create_app, integration_statuses, run_report
from tests.helpers import write_integrations

UTC = dt.timezone.utc


def _night(day: int) -> Night:
    return Night(dt.datetime(2026, 11, day, tzinfo=UTC), dt.datetime(2026, 11, day + 1, tzinfo=UTC),
                 dt.date(2026, 11, day))


def _segment(user, activity, start, seconds, **extra):
    start = pd.Timestamp(start, tz="UTC")
    return {"external_user_id": user, "vendor_activity_id": activity,
            "vendor_activity_name": activity.title(), "reason": None, "start_utc": start,
            "end_utc": start + pd.Timedelta(seconds=seconds), "duration_seconds": float(seconds),
            "is_open": False, **extra}


@pytest.fixture
def loaded(warehouse, tmp_path):
    write_integrations(tmp_path / "integrations.yaml", [
        {"name": "acme_vonage", "vendor": "vonage", "conn_id": "c1", "timezone": "UTC",
         "start_date": "2026-11-01"},
        {"name": "acme_idle", "vendor": "ujet", "conn_id": "c2", "timezone": "Europe/Berlin",
         "start_date": "2026-11-01"}])
    import sqlalchemy as sa

    with warehouse.begin() as c:
        c.execute(sa.text("INSERT INTO activities (activity_id, name) VALUES (10, 'Available')"))
        c.execute(sa.text("INSERT INTO activity_mappings (integration, vendor_activity_id, "
                          "activity_id, classification, updated_at) VALUES ('acme_vonage', "
                          "'Ready', 10, 1, CURRENT_TIMESTAMP)"))
    events = pd.DataFrame([
        _segment("40100", "Ready", "2026-11-02 08:00", 600, employee_id="E1", activity_id=10,
                 classification=1),
        _segment("40100", "Away", "2026-11-02 08:10", 900, employee_id="E1", activity_id=1,
                 classification=1)])
    quarantined = pd.DataFrame([
        _segment("40177", "Ready", "2026-11-02 09:00", 1800,
                 quarantine_reason="unmapped external_user_id", hint="no mapping")])
    load_night(warehouse, integration="acme_vonage", vendor="vonage", night=_night(2),
               run_id="scheduled__night_2026-11-02", try_number=1, events=events,
               quarantined=quarantined,
               run={"events_extracted": 3, "events_loaded": 2, "events_quarantined": 1,
                    "events_defaulted": 1, "validation_success": False},
               validation_rows=[])
    return warehouse


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_statuses_say_what_needs_attention(loaded):
    from agent_status.config import load_integrations

    by_name = {s.name: s for s in integration_statuses(loaded, load_integrations())}
    vonage = by_name["acme_vonage"]
    assert [r["external_user_id"] for r in vonage.unmapped_identifiers] == ["40177"]
    assert vonage.quarantined_seconds == 1800
    assert [r["vendor_activity_id"] for r in vonage.unmapped_activities] == ["Away"]
    assert vonage.nights[0]["night_date"].startswith("2026-11-02")
    assert any("unmapped identifier" in a for a in vonage.attention)
    assert any("defaulted to Present" in a for a in vonage.attention)
    assert by_name["acme_idle"].attention == ["no night imported yet"]

    report = run_report(loaded, "acme_vonage", "scheduled__night_2026-11-02")
    assert [r["external_user_id"] for r in report["quarantined"]] == ["40177"]
    assert [r["vendor_activity_id"] for r in report["defaulted"]] == ["Away"]
    assert report["nights"][0]["events_loaded"] == 2


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_pages_render_from_the_warehouse(loaded, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", loaded.url.render_as_string(
        hide_password=False))
    client = TestClient(create_app())
    overview = client.get("/")
    assert overview.status_code == 200
    assert "acme_vonage" in overview.text and "1 unmapped identifier(s)" in overview.text
    assert "no night imported yet" in overview.text
    page = client.get("/dags/agent_status__acme_vonage")
    assert page.status_code == 200 and "&#x27;40177&#x27;" in page.text
    run = client.get("/dags/agent_status__acme_vonage/runs/scheduled__night_2026-11-02")
    assert run.status_code == 200 and "Away" in run.text and "40177" in run.text
    # the outcome names the night's quality level and why, not a green "loaded"
    assert "loaded, quality failed" in run.text and "1 of 3 events quarantined" in run.text
    assert client.get("/api/status").json()[0]["unmapped_identifiers"][0]["external_user_id"] \
        == "40177"
    assert client.get("/integrations/nope").status_code == 404
    assert client.get("/dags/other_dag").status_code == 404
    assert "<script" not in overview.text  # plain HTML: renders without internet


def test_pages_require_a_signed_in_user(loaded):
    from fastapi import HTTPException

    def refuse():
        raise HTTPException(401, "not signed in")

    client = TestClient(create_app(require_user=refuse))
    assert client.get("/").status_code == 401
    assert client.get("/api/status").status_code == 401
