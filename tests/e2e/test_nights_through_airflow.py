"""End to end through Airflow: DAG runs (dag.test) for 3 nights into PostgreSQL, reconciled
with the simulator's truth to the second, per agent and activity; idempotency; quarantine then
fix then reload; the DST nights."""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.config import get_integration
from agent_status.connectors.registry import VENDORS
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator
from tests.helpers import employee_frame, expected_night, seconds_per_agent_activity, write_integrations

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.postgres]


def fall_back_eve(zone: str, year: int = 2026) -> dt.date:
    """The night before the zone's autumn clock change: the range from it holds a 25 h night."""
    day = dt.date(year, 8, 1)
    while day.year == year:
        noon = [dt.datetime.combine(d, dt.time(12), ZoneInfo(zone))
                for d in (day, day + dt.timedelta(days=1))]
        if noon[1].utcoffset() < noon[0].utcoffset():
            return day
        day += dt.timedelta(days=1)
    raise AssertionError(f"{zone} has no autumn clock change in {year}")


def case(vendor: str) -> tuple[str, dt.date]:
    """(zone, first night) of a vendor: its sandbox's site, or the zone its options give its
    times (Five9's data center, vendors.md 1.4)."""
    zone = (VENDORS[vendor].timezone_from_options({}) or sandbox_class(vendor).site_timezone)
    return zone, fall_back_eve(zone)


def _working_agent(dates: list[dt.date], agent_count: int) -> int:
    """An agent who works every night of the range (the simulator's days off are fixed)."""
    for index in range(agent_count):
        if all(d.weekday() not in (index % 7, (index + 1) % 7) for d in dates):
            return index
    raise AssertionError("no agent works the whole range")


def _start_sandbox(vendor, zone, first, last, tmp_path):
    simulator = Simulator(seed=11, agent_count=12, timezone=zone)
    cls = sandbox_class(vendor)
    if hasattr(cls, "build"):
        sandbox = cls(simulator, path=tmp_path / f"{vendor}.sqlite")
        sandbox.build(first - dt.timedelta(days=3), last)
    else:
        sandbox = cls(simulator)
    return sandbox, sandbox.start()


def _set_connection(conn_id, connection):
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({
        "conn_type": connection.conn_type or "http", "host": connection.host,
        "login": connection.login, "password": connection.password, "port": connection.port,
        "schema": connection.schema, "extra": connection.extra})


def _run_night(dag, integration, night_date):
    night = night_for_date(integration, night_date)
    run = dag.test(logical_date=night.end_utc + dt.timedelta(hours=1))
    assert run.state == "success", f"{dag.dag_id} night {night_date}: run {run.state}"
    assert pd.Timestamp(run.data_interval_start) == pd.Timestamp(night.start_utc)
    assert pd.Timestamp(run.data_interval_end) == pd.Timestamp(night.end_utc)
    return night


def _table(engine, table, integration):
    frame = pd.read_sql_query(sa.text(f"SELECT * FROM {table} WHERE integration = :i"), engine,
                              params={"i": integration})
    for column in ("start_utc", "end_utc"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.sort_values(["external_user_id", "start_utc"]).reset_index(drop=True)


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_three_nights_through_airflow(vendor, airflow_db, postgres_url, tmp_path, monkeypatch):
    from agent_status.dag_factory import build_dag
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    zone, first = case(vendor)
    dates = [first + dt.timedelta(days=i) for i in range(3)]
    missing_agent = _working_agent(dates, 12)
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", postgres_url)
    sandbox, connection = _start_sandbox(vendor, zone, first, dates[-1], tmp_path)
    try:
        name = f"e2e_{vendor}"
        write_integrations(tmp_path / "integrations.yaml", [{
            "name": name, "vendor": vendor, "conn_id": f"e2e_{vendor}_conn", "timezone": zone,
            "start_date": first.isoformat(), "lookback_nights": 1,
            **({"source_timezone": zone} if VENDORS[vendor].reports_local_time else {}),
            # a SQL sandbox's site query (Mitel's is required input, vendors.md 7.1)
            **({"options": sandbox.options()} if hasattr(sandbox, "options") else {})}])
        monkeypatch.setenv(f"AIRFLOW_CONN_E2E_{vendor.upper()}_CONN", "")
        _set_connection(f"e2e_{vendor}_conn", connection)
        integration = get_integration(name)
        engine = create_warehouse_engine(postgres_url)
        ensure_schema(engine)
        import_employee_mappings(engine, name, employee_frame(sandbox, skip={missing_agent}))
        meeting = sandbox.state_map["meeting"][0]
        vendor_ids = sorted({v[0] for v in sandbox.state_map.values()} - {meeting})
        import_activity_mappings(engine, name, pd.DataFrame({
            "vendor_activity_id": vendor_ids, "activity_id": [10 + i for i in range(len(vendor_ids))],
            "classification": 1, "activity_name": [f"A{i}" for i in range(len(vendor_ids))]}))
        dag = build_dag(integration)
        nights = [_run_night(dag, integration, d) for d in dates]
        hours = [(n.end_utc - n.start_utc).total_seconds() / 3600 for n in nights]
        assert 25 in hours, f"the range should hold the 25 h night, got {hours}"

        missing_id = sandbox.simulator.agents[missing_agent].identifier(sandbox.identifier)
        events = _table(engine, "agent_status_events", name)
        quarantine = _table(engine, "agent_status_quarantine", name)
        for night in nights:
            expected = expected_night(sandbox, night)
            loaded = pd.concat([events[events.night_date.astype(str) == night.label],
                                quarantine[quarantine.night_date.astype(str) == night.label]])
            # to the second, per agent and vendor activity
            assert seconds_per_agent_activity(loaded) == seconds_per_agent_activity(expected)
            # and segment by segment
            cols = ["external_user_id", "vendor_activity_id", "start_utc", "end_utc"]
            pd.testing.assert_frame_equal(
                loaded[cols].sort_values(cols[:3]).reset_index(drop=True),
                expected[cols].sort_values(cols[:3]).reset_index(drop=True), check_dtype=False)
            assert abs(loaded.duration_seconds.sum()
                       - expected.duration_seconds.sum()) < 1e-6
        assert set(quarantine.external_user_id) == {missing_id}
        # a missing agent's identifier: nobody has it, or (numeric agent ids) a neighbour does
        assert quarantine.hint.iloc[0].startswith(("no employee has this identifier",
                                                   "one character from"))
        meeting = sandbox.state_map["meeting"][0]
        assert (events[events.vendor_activity_id == meeting].activity_id == 1).all()
        assert (events[events.vendor_activity_id != meeting].activity_id != 1).all()

        # re-running a night replaces it exactly: same table after one run or two
        keep = [c for c in events.columns if c not in ("run_id", "loaded_at")]
        before = events[keep]
        _run_night(dag, integration, dates[-1])
        after = _table(engine, "agent_status_events", name)[keep]
        pd.testing.assert_frame_equal(before, after)

        # fix the mapping: the next run of the integration loads the quarantined events too
        import_employee_mappings(engine, name, employee_frame(sandbox))
        _run_night(dag, integration, dates[-1])
        assert _table(engine, "agent_status_quarantine", name).empty
        events = _table(engine, "agent_status_events", name)
        runs = pd.read_sql_query(sa.text("SELECT * FROM import_runs WHERE integration = :i"),
                                 engine, params={"i": name})
        assert set(events.night_date.astype(str)[events.external_user_id == missing_id]) == \
            {n.label for n in nights}, runs[["night_date", "run_id", "attempt", "events_loaded", "events_quarantined", "events_replayed"]].to_string()
        assert (runs.status == "success").all() and len(runs) >= 3
        if VENDORS[vendor].selects_by != "end_time":
            # the first night came back by replay; a vendor that selects by end time re-reads
            # the older night a status started in, loading it directly instead (tasks.extract)
            assert runs.events_replayed.fillna(0).sum() > 0
        engine.dispose()
    finally:
        sandbox.stop()
