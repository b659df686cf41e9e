"""DAG integrity: every DAG imports, one per integration, nightly intervals, catchup, paused
at creation, one active run, retries, tags; a wrong integrations file is an import error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pendulum
import pytest

from agent_status.connectors.registry import VENDORS
from agent_status.config import load_integrations
from tests.helpers import write_integrations

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "include" / "integrations.yaml"


@pytest.fixture(autouse=True)
def _metadata(airflow_db):
    return airflow_db


def _dagbag(monkeypatch, path: Path):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AGENT_STATUS_INTEGRATIONS", str(path))
    return DagBag(dag_folder=str(ROOT / "dags"))


def test_demo_dags_import_one_per_integration(monkeypatch):
    bag = _dagbag(monkeypatch, DEMO)
    assert bag.import_errors == {}
    integrations = load_integrations(DEMO)
    assert sorted(bag.dag_ids) == sorted(i.dag_id for i in integrations)
    for integration in integrations:
        dag = bag.dags[integration.dag_id]
        assert dag.catchup is True
        assert dag.max_active_runs == 1
        assert dag.is_paused_upon_creation is True
        assert dag.tags == {"agent-status"}  # no run yet: nothing needs attention
        assert dag.dag_display_name.startswith(VENDORS[integration.vendor].label + ": ")
        assert all(task.retries >= 2 for task in dag.tasks)
        assert [t.task_id for t in dag.topological_sort()] == ["extract", "transform", "load",
                                                              "quality"]
        assert integration.timezone in dag.doc_md
        # readable in the DAG list: vendor, integration and zone; the schedule names its zone
        assert dag.dag_display_name.endswith(f"{integration.name} ({integration.timezone})")
        assert integration.timezone in dag.timetable.summary
        assert [o.name for o in dag.get_task("quality").outlets] == [
            f"agent_status__{integration.name}"]


@pytest.mark.parametrize("zone,day,hours", [
    ("Europe/Paris", dt.date(2026, 10, 25), 25), ("Europe/Paris", dt.date(2026, 3, 29), 23),
    ("America/New_York", dt.date(2026, 11, 1), 25), ("America/New_York", dt.date(2026, 6, 1), 24),
])
def test_timetable_intervals_are_local_nights(monkeypatch, tmp_path, zone, day, hours):
    from airflow.timetables.base import TimeRestriction

    write_integrations(tmp_path / "i.yaml", [{
        "name": "tt", "vendor": "avaya_cms", "conn_id": "c", "timezone": zone,
        "start_date": "2026-01-01"}])
    bag = _dagbag(monkeypatch, tmp_path / "i.yaml")
    assert bag.import_errors == {}
    timetable = bag.dags["agent_status__tt"].timetable
    tz = pendulum.timezone(zone)
    previous = pendulum.datetime(day.year, day.month, day.day, tz=tz).subtract(days=1)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=type("I", (), {"start": previous, "end": previous.add(days=1)})(),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True))
    start, end = info.data_interval.start, info.data_interval.end
    assert start.in_timezone(tz).date() == day and start.in_timezone(tz).hour == 0
    assert (end - start).total_seconds() == hours * 3600
    assert info.run_after == end  # a night is imported once it is over


@pytest.mark.parametrize("change,message", [
    ({"vendor": "acme"}, "field 'vendor'"),
    ({"timezone": "Mars/Olympus"}, "field 'timezone'"),
    ({"conn_id": None}, "field 'conn_id' is missing"),
    ({"start_date": "2026-13-01"}, "field 'start_date'"),
    ({"lookback_nights": -1}, "field 'lookback_nights'"),
    ({"schedule": "0 0 1 * *"}, "field 'schedule'"),
    ({"options": {"bogus": 1}}, "field 'options'"),
    ({"colour": "red"}, "unknown field"),
])
def test_wrong_file_is_an_import_error_naming_the_field(monkeypatch, tmp_path, change, message):
    entry = {"name": "bad_one", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
             "start_date": "2026-01-01", **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    path = write_integrations(tmp_path / "i.yaml", [entry])
    bag = _dagbag(monkeypatch, path)
    assert bag.dag_ids == []  # no DAG silently kept or dropped: the file fails as a whole
    (error,) = bag.import_errors.values()
    assert str(path) in error and "bad_one" in error and message in error


def test_duplicate_names_are_refused(monkeypatch, tmp_path):
    entry = {"name": "twice", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
             "start_date": "2026-01-01"}
    path = write_integrations(tmp_path / "i.yaml", [entry, entry])
    (error,) = _dagbag(monkeypatch, path).import_errors.values()
    assert "'twice'" in error and "duplicates integration #1" in error


def test_parsing_touches_no_vendor_and_no_warehouse(monkeypatch, tmp_path):
    """Parse-time work is reading the YAML only: no connector module is imported."""
    import sys

    for name in [m for m in sys.modules if m.startswith("agent_status.connectors.") and
                 m not in ("agent_status.connectors.registry", "agent_status.connectors.base")]:
        monkeypatch.delitem(sys.modules, name)
    _dagbag(monkeypatch, DEMO)
    assert "agent_status.connectors.genesys_cloud" not in sys.modules
    assert "agent_status.connectors.avaya_cms" not in sys.modules
