"""Crashes in the middle of a load: the loading process SIGKILLed inside the night's
transaction, and the warehouse server restarted inside it. Either way the night keeps what it
had, and re-running it gives exactly a clean run's table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_status import tasks
from tests.conftest import ROOT
from tests.faults.harness import (assert_data_equal, assert_exact, data, env_for_subprocess,
                                  run_night, set_up)
from tests.faults.private_postgres import PrivatePostgres

STAMPS = ("run_id", "loaded_at", "quarantined_at")


def _staged(setup, tmp_path, run_id: str) -> Path:
    """extract + transform here; the load is what runs (and dies) in the subprocess."""
    night, integration = setup.night, setup.integration
    manifest = tasks.transform(integration, tasks.extract(
        integration, night.start_utc, night.end_utc, run_id, connection=setup.connection))
    path = tmp_path / f"{run_id}.json"
    path.write_text(json.dumps(manifest))
    return path


def _load_until_paused(manifest: Path, url: str, tmp_path) -> tuple[subprocess.Popen, Path]:
    marker, go = tmp_path / "in-transaction", tmp_path / "go"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.loader", str(manifest), str(marker), str(go)],
        cwd=ROOT, env=env_for_subprocess(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the load ended before its transaction: {process.stderr.read()}")
        assert time.monotonic() < deadline, "the load never reached its transaction"
        time.sleep(0.05)
    return process, go


def _clean_night(url, tmp_path, monkeypatch):
    setup = set_up("vonage", url, tmp_path, monkeypatch)
    run_night(setup, run_id="scheduled__clean")
    engine = setup.engine()
    clean = data(engine, setup.integration.name)
    engine.dispose()
    assert len(clean["agent_status_events"]) > 0
    return setup, clean


def _rerun_equals_clean(setup, clean) -> None:
    engine = setup.engine()
    try:
        # the interrupted load left the night as it was
        assert_data_equal(clean, data(engine, setup.integration.name))
        run_night(setup, run_id="manual__rerun")
        assert_data_equal(clean, data(engine, setup.integration.name), ignore=STAMPS)
        assert_exact(setup, engine)
    finally:
        engine.dispose()


def test_load_killed_mid_transaction_then_rerun(url, tmp_path, monkeypatch):
    setup, clean = _clean_night(url, tmp_path, monkeypatch)
    try:
        process, _ = _load_until_paused(_staged(setup, tmp_path, "manual__killed"), url,
                                        tmp_path)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
        _rerun_equals_clean(setup, clean)
    finally:
        setup.sandbox.stop()


@pytest.fixture
def private_postgres():
    try:
        server = PrivatePostgres().init()
        server.start()
    except Exception as error:  # no server binaries, or no user to run them as
        pytest.skip(f"cannot start a private PostgreSQL server: {error}")
    yield server
    server.stop()


def test_warehouse_server_restarted_mid_load_then_rerun(private_postgres, tmp_path,
                                                        monkeypatch):
    url = private_postgres.url
    setup, clean = _clean_night(url, tmp_path, monkeypatch)
    try:
        process, go = _load_until_paused(_staged(setup, tmp_path, "manual__restart"), url,
                                         tmp_path)
        private_postgres.restart()
        go.touch()
        _, stderr = process.communicate(timeout=120)
        assert process.returncode != 0, "the load cannot have committed across a restart"
        assert "OperationalError" in stderr or "connection" in stderr.lower()
        _rerun_equals_clean(setup, clean)
    finally:
        setup.sandbox.stop()
