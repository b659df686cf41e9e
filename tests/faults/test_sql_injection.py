"""SQL: no statement is built from text out of the integrations file, a CSV or a vendor. Each
such input is tried with an injection; values come back verbatim and every table survives.
(Table and column names in our SQL are constants; a configurable column name is validated.)"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.cli import main as cli
from agent_status.connectors.base import VendorError
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status.warehouse import create_warehouse_engine
from tests.faults.harness import integration_entry, run_night, runs, set_up
from tests.faults.test_hostile_data import _night, _raw, _run
from tests.helpers import write_integrations

PAYLOADS = [
    "x'); DROP TABLE agent_status_events; --",
    "'; DELETE FROM import_runs WHERE ''='",
    'quote " comma , newline\n\\.\nend',  # what breaks a hand-built COPY or CSV
    "Robert'); UPDATE employee_external_ids SET employee_id='owned",
]
TABLES = ["agent_status_events", "agent_status_quarantine", "import_runs",
          "employee_external_ids", "activity_mappings", "activities", "validation_results"]


def _tables_intact(engine) -> None:
    present = set(sa.inspect(engine).get_table_names())
    assert set(TABLES) <= present, f"missing {set(TABLES) - present}"


def test_injection_through_vendor_data(url, tmp_path, monkeypatch):
    integration, night, engine = _night(monkeypatch, url, tmp_path)
    try:
        import_employee_mappings(engine, "hostile", pd.DataFrame({
            "employee_id": [f"E{i}" for i in range(len(PAYLOADS))],
            "external_employee_id": [f"M{i}" for i in range(len(PAYLOADS))],
            "external_user_id": PAYLOADS}))
        start = pd.Timestamp(night.start_utc)
        rows = [(p, p, p, p, start + pd.Timedelta(hours=i), start + pd.Timedelta(hours=i + 1))
                for i, p in enumerate(PAYLOADS)]
        rows.append(("unmapped " + PAYLOADS[0], PAYLOADS[1], None, None, start,
                     start + pd.Timedelta(hours=1)))
        _run(integration, night, _raw(rows), "manual__inject")
        _tables_intact(engine)
        events = pd.read_sql_query(sa.text("SELECT external_user_id, vendor_activity_id, "
                                           "vendor_activity_name, reason, employee_id FROM "
                                           "agent_status_events ORDER BY start_utc"), engine)
        assert list(events.external_user_id) == PAYLOADS
        assert list(events.vendor_activity_id) == PAYLOADS
        assert list(events.vendor_activity_name) == PAYLOADS
        assert list(events.reason) == PAYLOADS
        assert list(events.employee_id) == [f"E{i}" for i in range(len(PAYLOADS))]
        quarantine = pd.read_sql_query(sa.text("SELECT external_user_id FROM "
                                               "agent_status_quarantine"), engine)
        assert list(quarantine.external_user_id) == ["unmapped " + PAYLOADS[0]]
        assert list(runs(engine, "hostile").status) == ["success"]
    finally:
        engine.dispose()


def test_injection_through_mapping_files(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "integrations.yaml",
                       [integration_entry("acme", "genesys_cloud")])
    employees = pd.DataFrame({"employee_id": PAYLOADS,
                              "external_employee_id": [f"M{i}" for i in range(len(PAYLOADS))],
                              "external_user_id": PAYLOADS})
    activities = pd.DataFrame({"vendor_activity_id": PAYLOADS,
                               "activity_id": range(10, 10 + len(PAYLOADS)),
                               "classification": 1, "activity_name": PAYLOADS})
    employees.to_csv(tmp_path / "employees.csv", index=False)
    activities.to_csv(tmp_path / "activities.csv", index=False)
    assert cli(["import-employees", "--integration", "acme", str(tmp_path / "employees.csv")]) == 0
    assert cli(["import-activities", "--integration", "acme",
                str(tmp_path / "activities.csv")]) == 0
    engine = create_warehouse_engine(url)
    try:
        _tables_intact(engine)
        stored = pd.read_sql_query(sa.text("SELECT employee_id, external_user_id FROM "
                                           "employee_external_ids ORDER BY external_employee_id"),
                                   engine)
        assert list(stored.employee_id) == PAYLOADS and list(stored.external_user_id) == PAYLOADS
        names = pd.read_sql_query(sa.text("SELECT name FROM activities WHERE activity_id >= 10 "
                                          "ORDER BY activity_id"), engine)
        assert list(names.name) == PAYLOADS
        capsys.readouterr()
        assert cli(["export-activities", "--integration", "acme"]) == 0
        assert PAYLOADS[0] in capsys.readouterr().out
    finally:
        engine.dispose()


def test_injection_through_the_integrations_file(url, tmp_path, monkeypatch):
    """A configurable column name (Genesys Engage ``user_name_column``) is validated when the
    integrations file loads: an injection is refused naming file, integration and option, so
    no DAG and no night exist to run it, and neither database is touched."""
    from agent_status.config import ConfigError, load_integrations

    entry = integration_entry("engage", "genesys_engage", options={
        "user_name_column": "RESOURCE_NAME FROM RESOURCE_; DROP TABLE RESOURCE_; --"})
    setup = set_up("genesys_engage", url, tmp_path, monkeypatch, name="engage")
    vendor_db = sa.create_engine(setup.connection.extra["sqlalchemy_url"])
    try:
        path = tmp_path / "injected.yaml"
        write_integrations(path, [entry])
        with pytest.raises(ConfigError, match="integration 'engage': field 'options': option "
                                              "'user_name_column' must be a plain column name"):
            load_integrations(path)
        assert "RESOURCE_" in sa.inspect(vendor_db).get_table_names()
        engine = setup.engine()
        _tables_intact(engine)
        assert runs(engine, "engage").empty
        engine.dispose()
    finally:
        vendor_db.dispose()
        setup.sandbox.stop()
