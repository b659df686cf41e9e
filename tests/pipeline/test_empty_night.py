"""A night without events (a closed day) loads as an empty night and is recorded (issue 9)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from agent_status import tasks
from agent_status.config import get_integration
from agent_status.frames import empty_raw_events
from agent_status.nights import nights_for_run
from agent_status.staging import RunStaging
from tests.helpers import write_integrations


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_empty_night_loads_and_is_recorded(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL",
                       warehouse.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AGENT_STATUS_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("AGENT_STATUS_GX_DIR", str(tmp_path / "gx"))
    monkeypatch.setenv("AGENT_STATUS_INTEGRATIONS", str(tmp_path / "integrations.yaml"))
    write_integrations(tmp_path / "integrations.yaml", [{
        "name": "holiday", "vendor": "avaya_cms", "conn_id": "holiday_conn",
        "timezone": "Europe/Berlin", "start_date": "2026-11-01", "lookback_nights": 1}])
    raw_path = RunStaging.for_run("holiday", "manual__1").create().raw
    empty_raw_events().to_parquet(raw_path, index=False)
    holiday = get_integration("holiday")
    nights = nights_for_run(holiday, "2026-11-02T23:00:00+00:00", "2026-11-03T23:00:00+00:00")
    manifest = {"integration": "holiday", "run_id": "manual__1", "raw_path": str(raw_path),
                "raw_events": 0, "nights": [n.as_json() for n in nights]}

    (tmp_path / "integrations.yaml").unlink()  # tasks get the integration, never re-read it
    with pytest.raises(ValueError, match="manifest of integration 'holiday'"):
        tasks.transform(dataclasses.replace(holiday, name="other"), manifest)

    summary = tasks.load(holiday, tasks.transform(holiday, manifest))

    assert [n["events_loaded"] for n in summary["nights"]] == [0, 0]
    with warehouse.connect() as c:
        runs = c.execute(sa.text("SELECT night_date, status, events_extracted, events_loaded "
                                 "FROM import_runs ORDER BY night_date")).all()
        events = c.execute(sa.text("SELECT COUNT(*) FROM agent_status_events")).scalar()
    assert [(str(r[0]), r[1], r[2], r[3]) for r in runs] == [
        ("2026-11-02", "success", 0, 0), ("2026-11-03", "success", 0, 0)]
    assert events == 0
