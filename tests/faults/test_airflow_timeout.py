"""Through Airflow (dag.test): a vendor that hangs is cut by the task's ``execution_timeout``;
the try fails, says so in ``import_runs``, and the warehouse keeps nothing of it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agent_status import dag_factory
from agent_status.connectors import http
from agent_status_dev.sandboxes.base import Faults
from tests.faults.harness import data, runs, set_up

pytestmark = pytest.mark.airflow


def test_a_hanging_vendor_is_cut_by_execution_timeout(airflow_db, tmp_path, monkeypatch):
    monkeypatch.setattr(http, "DEFAULT_TIMEOUT", (2.0, 60.0))  # the socket would wait a minute
    monkeypatch.setitem(dag_factory.EXECUTION_TIMEOUTS, "extract", dt.timedelta(seconds=3))
    monkeypatch.setitem(dag_factory.DEFAULT_ARGS, "retries", 0)
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    setup = set_up("vonage", url, tmp_path, monkeypatch,
                   faults=Faults.burst("hang", 2, 1, hang_seconds=30))
    connection = setup.connection
    monkeypatch.setenv(f"AIRFLOW_CONN_{setup.integration.conn_id.upper()}", json.dumps({
        "conn_type": "http", "host": connection.host, "login": connection.login,
        "password": connection.password, "extra": connection.extra}))
    try:
        dag = dag_factory.build_dag(setup.integration)
        assert dag.get_task("extract").execution_timeout == dt.timedelta(seconds=3)
        run = dag.test(logical_date=setup.night.end_utc + dt.timedelta(hours=1))
        assert run.state == "failed"
        engine = setup.engine()
        ledger = runs(engine, setup.integration.name)
        assert list(ledger.status) == ["failed"]
        assert "AirflowTaskTimeout" in ledger.error.iloc[0]
        assert all(t.empty for t in data(engine, setup.integration.name).values())
        engine.dispose()
    finally:
        setup.sandbox.stop()
