"""What wraps every task: owner-only files, and a failure appended to the ledger naming the
task and its try before Airflow retries."""

from __future__ import annotations

import datetime as dt
import os
import stat
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from agent_status.config import get_integration
from agent_status.dag_factory import run_guarded
from agent_status.warehouse import create_warehouse_engine
from tests.helpers import write_integrations

UTC = dt.timezone.utc


@pytest.fixture
def restore_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize("warehouse_kind", ["sqlite", "postgres"])
def test_a_failing_step_is_recorded_and_its_files_are_private(request, tmp_path, monkeypatch,
                                                              restore_umask, warehouse_kind):
    url = (request.getfixturevalue("postgres_url") if warehouse_kind == "postgres"
           else f"sqlite:///{tmp_path / 'w.sqlite'}")
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "i.yaml", [
        {"name": "tk", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01", "lookback_nights": 0}])
    context = {"data_interval_start": dt.datetime(2026, 11, 1, tzinfo=UTC),
               "data_interval_end": dt.datetime(2026, 11, 2, tzinfo=UTC),
               "run_id": "scheduled__2026-11-02", "ti": SimpleNamespace(task_id="transform",
                                                                        try_number=2)}

    def step(folder):
        folder.mkdir()
        (folder / "events.parquet").write_text("employee identifiers")
        raise RuntimeError("vendor said no")

    with pytest.raises(RuntimeError, match="vendor said no"):
        run_guarded(get_integration("tk"), context, step, tmp_path / "staging")
    assert stat.S_IMODE((tmp_path / "staging").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "staging" / "events.parquet").stat().st_mode) == 0o600
    engine = create_warehouse_engine(url)
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT night_date, attempt, task_id, try_number, status, error "
                                 "FROM import_runs")).all()
    engine.dispose()
    assert [(str(d), *rest) for d, *rest in rows] == [
        ("2026-11-01", 1, "transform", 2, "failed", "RuntimeError: vendor said no")]
