"""Vendor faults through the sandboxes. Each night first loads clean; then the same night is
run again under the fault. It ends exact (the warehouse equals the truth), or as a failed
night with a clear error and the data unchanged: never as a silent partial night."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from agent_status.connectors import http
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes import SANDBOXES
from agent_status_dev.sandboxes.base import Faults
from tests.faults.harness import (NIGHT, ZONE, assert_data_equal, assert_exact, data,
                                  integration_entry, run_night, runs, set_up, start_sandbox)

DETAILS = "/api/v2/analytics/users/details/query"
# request 1 fetches the token, request 2 the first page of user details
# fresh Faults per test (they count requests)
EXACT = {
    "429_storm": lambda: Faults.burst("429", 2, 5, retry_after_seconds=1),
    "5xx_burst": lambda: Faults.burst("5xx", 2, 3),
    "connection_reset": lambda: Faults.burst("reset", 2, 2),
    "hang_past_timeout": lambda: Faults.burst("hang", 2, 1, hang_seconds=3),
    "truncated_json": lambda: Faults.burst("truncated", 2, 2),
    "dropped_mid_body": lambda: Faults.burst("cut", 2, 2),
    "html_200": lambda: Faults.burst("html", 2, 2),
    "token_expiry": lambda: Faults(at={3: "expire_tokens"}),
}
FAILED = {
    "429_past_retries": (lambda: Faults.burst("429", 2, 20, retry_after_seconds=0), "HTTP 429"),
    "html_200_persists": (lambda: Faults.burst("html", 2, 20), "expected JSON, got text/html"),
    "repeating_page": (lambda: Faults(repeat_path=DETAILS), "repeating a page"),
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
    faults = EXACT[fault]()
    setup = set_up("genesys_cloud", url, tmp_path, monkeypatch, faults=faults)
    try:
        caplog.set_level(logging.WARNING, logger=http.__name__)
        tokens = setup.sandbox.tokens_issued
        run_night(setup, run_id="manual__fault")
        assert sum(faults.injected.values()) > 0, "the fault was never injected"
        assert_exact(setup)
        if fault == "429_storm":  # Retry-After was honoured, every time
            waits = [r.getMessage() for r in caplog.records if "HTTP 429" in r.getMessage()]
            assert len(waits) == 5 and all(w.endswith("in 1.0s") for w in waits)
        if fault == "token_expiry":
            assert setup.sandbox.tokens_issued - tokens == 2  # one, then one more after the 401
        engine = setup.engine()
        assert set(runs(engine, setup.integration.name).status) == {"success"}
        engine.dispose()
    finally:
        setup.sandbox.stop()


@pytest.mark.parametrize("fault", sorted(FAILED))
def test_vendor_fault_fails_the_night_and_leaves_the_warehouse(fault, url, tmp_path,
                                                                monkeypatch, short_timeout):
    make, message = FAILED[fault]
    faults = make()
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
    setup = set_up("ujet", url, tmp_path, monkeypatch, agent_count=0)
    try:
        summary = run_night(setup)
        assert summary["nights"][0]["events_loaded"] == 0
        engine = setup.engine()
        assert all(t.empty for t in data(engine, setup.integration.name).values())
        assert list(runs(engine, setup.integration.name).status) == ["success"]
        engine.dispose()
    finally:
        setup.sandbox.stop()


@pytest.mark.parametrize("vendor", [
    v for v in sorted(SANDBOXES) if v != "generic_sql"])  # generic_sql is sikom's code path
def test_every_vendor_extracts_an_empty_night_as_empty(vendor, tmp_path):
    from agent_status.connectors.base import build_connector

    sandbox, connection = start_sandbox(vendor, tmp_path, agent_count=0)
    try:
        night = night_for_date(get_integration_for(vendor), NIGHT)
        connector = build_connector(get_integration_for(vendor), connection)
        try:
            rows = sum(len(f) for f in connector.extract(night.start_utc, night.end_utc))
        finally:
            connector.close()
        assert rows == 0
    finally:
        sandbox.stop()


def get_integration_for(vendor):
    from agent_status.config import Integration

    entry = integration_entry(f"empty_{vendor}", vendor)
    return Integration(name=entry["name"], vendor=vendor, conn_id=entry["conn_id"],
                       timezone=ZONE, start_date=dt.date(2026, 10, 1),
                       source_timezone=entry.get("source_timezone"),
                       options=entry.get("options", {}))


HTTP_VENDORS = ["five9", "genesys_cloud", "talkdesk", "ujet", "vonage"]
SWEEP = ["429", "5xx", "reset", "cut", "truncated", "html"]
@pytest.mark.parametrize("vendor,kind", [
    (v, k) for v in HTTP_VENDORS for k in SWEEP])
def test_every_http_vendor_survives_each_transient_fault(vendor, kind, tmp_path):
    """The connector alone (no warehouse): two of ``kind`` on the second and third requests,
    then the output, normalised by the vendor's overlap rule, equals the truth."""
    import pandas as pd

    from agent_status.connectors.base import build_connector
    from agent_status.pipeline.normalise import normalise
    from agent_status_dev.simulator import clip
    from tests.connectors.contract import truth

    faults = Faults.burst(kind, 2, 2, retry_after_seconds=0)
    sandbox, connection = start_sandbox(vendor, tmp_path, faults=faults)
    integration = get_integration_for(vendor)
    night = night_for_date(integration, NIGHT)
    connector = build_connector(integration, connection)
    try:
        frame = pd.concat(list(connector.extract(night.start_utc, night.end_utc)),
                          ignore_index=True)
        assert faults.injected[kind] == 2
        columns = ["external_user_id", "vendor_activity_id", "start_utc", "end_utc"]
        expected = clip(truth(sandbox, night.start_utc, night.end_utc), night.start_utc,
                        night.end_utc)
        pd.testing.assert_frame_equal(
            normalise(frame, night, connector.overlap_rule)[columns],
            expected[columns].sort_values(["external_user_id", "start_utc"])
            .reset_index(drop=True),
            check_dtype=False)
    finally:
        connector.close()
        sandbox.stop()
