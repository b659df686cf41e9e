"""Vendor faults through the sandboxes. Each night first loads clean; then the same night is
run again under the fault. It ends exact (the warehouse equals the truth), or as a failed
night with a clear error and the data unchanged: never as a silent partial night."""

from __future__ import annotations

import logging

import pytest

from agent_status.connectors import http
from agent_status.sandboxes.base import Faults
from tests.faults.harness import (assert_data_equal, assert_exact, data, run_night, runs,
                                  set_up)

DETAILS = "/api/v2/analytics/users/details/query"
# request 1 fetches the token, request 2 the first page of user details
EXACT = {
    "429_storm": Faults.burst("429", 2, 5, retry_after_seconds=1),
    "5xx_burst": Faults.burst("5xx", 2, 3),
    "connection_reset": Faults.burst("reset", 2, 2),
    "hang_past_timeout": Faults.burst("hang", 2, 1, hang_seconds=3),
    "truncated_json": Faults.burst("truncated", 2, 2),
    "html_200": Faults.burst("html", 2, 2),
    "token_expiry": Faults(at={3: "expire_tokens"}),
}
FAILED = {
    "429_past_retries": (Faults.burst("429", 2, 20, retry_after_seconds=0), "HTTP 429"),
    "html_200_persists": (Faults.burst("html", 2, 20), "expected JSON, got text/html"),
    "repeating_page": (Faults(repeat_path=DETAILS), "repeating a page"),
}


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(http, "DEFAULT_TIMEOUT", (2.0, 1.0))


def _clean_then(url, tmp_path, monkeypatch, faults):
    setup = set_up("genesys_cloud", url, tmp_path, monkeypatch, faults=faults)
    held = setup.sandbox.faults
    setup.sandbox.faults = Faults()
    run_night(setup, run_id="scheduled__clean")
    setup.sandbox.faults = held
    return setup


@pytest.mark.parametrize("fault", sorted(EXACT))
def test_vendor_fault_ends_exact(fault, url, tmp_path, monkeypatch, short_timeout, caplog):
    faults = EXACT[fault]
    setup = _clean_then(url, tmp_path, monkeypatch, faults)
    try:
        caplog.set_level(logging.WARNING, logger=http.__name__)
        run_night(setup, run_id="manual__fault")
        assert sum(faults.injected.values()) > 0, "the fault was never injected"
        assert_exact(setup)
        if fault == "429_storm":  # Retry-After was honoured, every time
            waits = [r.getMessage() for r in caplog.records if "HTTP 429" in r.getMessage()]
            assert len(waits) == 5 and all(w.endswith("in 1.0s") for w in waits)
        if fault == "token_expiry":
            assert setup.sandbox.tokens_issued == 2
        engine = setup.engine()
        assert set(runs(engine, setup.integration.name).status) == {"success"}
        engine.dispose()
    finally:
        setup.sandbox.stop()


@pytest.mark.parametrize("fault", sorted(FAILED))
def test_vendor_fault_fails_the_night_and_leaves_the_warehouse(fault, url, tmp_path,
                                                                monkeypatch, short_timeout):
    faults, message = FAILED[fault]
    setup = _clean_then(url, tmp_path, monkeypatch, faults)
    engine = setup.engine()
    try:
        before = data(engine, setup.integration.name)
        with pytest.raises(Exception, match=message) as raised:
            run_night(setup, run_id="manual__fault")
        assert "Genesys Cloud" in str(raised.value) or "/api/v2/" in str(raised.value)
        assert_data_equal(before, data(engine, setup.integration.name))
        failed = runs(engine, setup.integration.name).query("status == 'failed'")
        assert len(failed) == 1 and message in failed.error.iloc[0]
        assert_exact(setup, engine)  # still the clean night
        if fault == "repeating_page":  # bounded: stopped after a handful of repeats
            assert faults.injected["repeat"] < 5
    finally:
        engine.dispose()
        setup.sandbox.stop()


def test_empty_night_loads_nothing_and_says_so(url, tmp_path, monkeypatch):
    """A night the vendor has no data for: a success with zero events (not a failure, not a
    leftover of another night)."""
    from agent_status.simulator import Simulator

    setup = set_up("genesys_cloud", url, tmp_path, monkeypatch)
    try:
        setup.sandbox.simulator = Simulator(seed=11, agent_count=0, timezone="Europe/Paris")
        summary = run_night(setup)
        assert summary["nights"][0]["events_loaded"] == 0
        engine = setup.engine()
        assert all(t.empty for t in data(engine, setup.integration.name).values())
        assert list(runs(engine, setup.integration.name).status) == ["success"]
        engine.dispose()
    finally:
        setup.sandbox.stop()
