"""Concurrency: two integrations loading at once into SQLite while a reader holds a long read;
the same night of one integration loaded twice at once (no duplicates, one consistent
ledger). Loads run in separate processes, as Airflow's task runners do."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from tests.conftest import ROOT
from tests.faults.harness import (Setup, assert_exact, data, env_for_subprocess,
                                  integration_entry, map_everything, runs, set_up,
                                  start_sandbox)
from tests.faults.test_crashes import _load_until_paused, _staged


def _load_all(manifests, url, tmp_path) -> None:
    """Start every load at once; each must succeed."""
    (tmp_path / "go").touch()  # no pause in the loader
    processes = [subprocess.Popen(
        [sys.executable, "-m", "tests.faults.loader", str(m), str(tmp_path / f"marker{i}"),
         str(tmp_path / "go")], cwd=ROOT, env=env_for_subprocess(url),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, m in enumerate(manifests)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]


def test_two_integrations_load_at_once_beside_a_long_read(tmp_path, monkeypatch):
    from agent_status.config import get_integration
    from agent_status.warehouse import create_warehouse_engine

    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    first = set_up("vonage", url, tmp_path, monkeypatch, name="first", entries=[
        integration_entry("first", "vonage"), integration_entry("second", "ujet")])
    sandbox, connection = start_sandbox("ujet", tmp_path)
    second = Setup(get_integration("second"), sandbox, connection, url)
    engine = create_warehouse_engine(url)
    map_everything(engine, "second", sandbox)
    engine.dispose()
    try:
        manifests = [_staged(first, tmp_path, "manual__a"), _staged(second, tmp_path, "manual__b")]
        reader = sqlite3.connect(tmp_path / "warehouse.sqlite", isolation_level=None)
        reader.execute("BEGIN")
        seen = reader.execute("SELECT COUNT(*) FROM agent_status_events").fetchone()[0]
        _load_all(manifests, url, tmp_path)
        # the long read kept its snapshot throughout, and was never blocked
        assert reader.execute("SELECT COUNT(*) FROM agent_status_events").fetchone()[0] == seen
        reader.execute("COMMIT")
        reader.close()
        assert_exact(first)
        assert_exact(second)
    finally:
        first.sandbox.stop()
        sandbox.stop()


def _waiting_for_a_lock(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(sa.text(
                "SELECT COUNT(*) FROM pg_locks WHERE NOT granted")).scalar())
    finally:
        engine.dispose()


def test_same_night_loaded_twice_at_once(url, tmp_path, monkeypatch):
    """The first load pauses inside its transaction; the second starts then (on PostgreSQL:
    until it waits on the first's locks); then the first commits and both finish."""
    setup = set_up("vonage", url, tmp_path, monkeypatch)
    try:
        manifests = [_staged(setup, tmp_path, f"manual__twin{i}") for i in (1, 2)]
        first, go = _load_until_paused(manifests[0], url, tmp_path)
        (tmp_path / "go2").touch()
        second = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.loader", str(manifests[1]),
             str(tmp_path / "marker2"), str(tmp_path / "go2")], cwd=ROOT,
            env=env_for_subprocess(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        if url.startswith("postgresql"):
            deadline = time.monotonic() + 120
            while not _waiting_for_a_lock(url):
                assert second.poll() is None, second.stderr.read()[-3000:]
                assert time.monotonic() < deadline, "the second load never met the first"
                time.sleep(0.1)
        go.touch()
        for process in (first, second):
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr[-3000:]
        assert_exact(setup)  # no duplicates, nothing lost
        engine = setup.engine()
        events = data(engine, setup.integration.name)["agent_status_events"]
        ledger = runs(engine, setup.integration.name)
        engine.dispose()
        # one consistent ledger: both loads recorded as successes; the night's rows all come
        # from the one that committed last, not a mix
        assert sorted(ledger.run_id) == ["manual__twin1", "manual__twin2"]
        assert set(ledger.status) == {"success"}
        assert list(events.run_id.unique()) == ["manual__twin2"]
    finally:
        setup.sandbox.stop()
