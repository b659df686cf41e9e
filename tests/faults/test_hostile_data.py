"""Hostile vendor data through transform and load: each case is handled by a documented rule
(pipeline/normalise.py, frames.py, remap) or fails the night naming the agent, with the
warehouse unchanged; nothing is dropped silently."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pytest

from agent_status import tasks
from agent_status.staging import RunStaging
from agent_status.frames import conform_raw_events
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status.nights import night_for_date
from agent_status.warehouse import create_warehouse_engine, ensure_schema
from tests.faults.harness import (NIGHT, assert_data_equal, data, integration_entry, runs,
                                  table)
from tests.helpers import write_integrations

NAME = "hostile"
UNICODE = "zoë.lefèvre-渡辺🙂"  # NFC, as the mapping has it
UNICODE_NFD = unicodedata.normalize("NFD", "chloé.dürand")  # the mapping has the NFC form


def _night(monkeypatch, url, tmp_path):
    from agent_status.config import get_integration

    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "integrations.yaml", [integration_entry(NAME, "genesys_cloud")])
    integration = get_integration(NAME)
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    import_employee_mappings(engine, NAME, pd.DataFrame({
        "employee_id": ["E1", "E2", "E3"], "external_employee_id": ["M1", "M2", "M3"],
        "external_user_id": ["ten.days", UNICODE, unicodedata.normalize("NFC", UNICODE_NFD)]}))
    import_activity_mappings(engine, NAME, pd.DataFrame({
        "vendor_activity_id": ["AVAILABLE"], "activity_id": [10], "classification": [1],
        "activity_name": ["Ready"]}))
    return integration, night_for_date(integration, NIGHT), engine


def _raw(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["external_user_id", "vendor_activity_id",
                                       "vendor_activity_name", "reason", "start_utc", "end_utc"])


def _run(integration, night, raw: pd.DataFrame, run_id: str) -> dict:
    """transform -> load over a raw frame a vendor could have sent (as extract stages it)."""
    staging = RunStaging.for_run(integration.name, run_id).create()
    raw.to_parquet(staging.raw, index=False)
    manifest = {"integration": integration.name, "run_id": run_id,
                "raw_path": str(staging.raw), "raw_events": len(raw),
                "nights": [night.as_json()]}
    task_id = "transform"
    try:
        transformed = tasks.transform(integration, manifest)
        task_id = "load"
        return tasks.load(integration, transformed)
    except Exception as error:
        tasks.record_failure(integration, night.start_utc, night.end_utc, run_id, task_id,
                             1, f"{type(error).__name__}: {error}")
        raise


def _good(night) -> pd.DataFrame:
    s = pd.Timestamp(night.start_utc)
    return _raw([
        # a ten-day status: clipped to the night (normalise rule 5)
        ("ten.days", "AVAILABLE", "Available", None, s - pd.Timedelta(days=5),
         s + pd.Timedelta(days=5)),
        # unicode identifiers: matched exactly; an NFD spelling of a mapped NFC name is another
        # identifier, quarantined with a hint
        (UNICODE, "AVAILABLE", "Available", None, s + pd.Timedelta(hours=1),
         s + pd.Timedelta(hours=2)),
        (UNICODE_NFD, "AVAILABLE", "Available", None, s + pd.Timedelta(hours=1),
         s + pd.Timedelta(hours=3)),
        # an unknown state: loaded as Present (activity 1) until mapped, and counted
        (UNICODE, "NEVER_SEEN_STATE", "???", "odd reason", s + pd.Timedelta(hours=2),
         s + pd.Timedelta(hours=2, minutes=30)),
    ])


def test_hostile_data_follows_the_documented_rules(url, tmp_path, monkeypatch):
    integration, night, engine = _night(monkeypatch, url, tmp_path)
    try:
        summary = _run(integration, night, _good(night), "manual__hostile")
        events = table(engine, "agent_status_events", NAME)
        quarantine = table(engine, "agent_status_quarantine", NAME)
        ten = events[events.external_user_id == "ten.days"]
        assert list(ten.duration_seconds) == [86400.0]
        assert ten.start_utc.iloc[0] == pd.Timestamp(night.start_utc)
        assert ten.end_utc.iloc[0] == pd.Timestamp(night.end_utc)
        uni = events[events.external_user_id == UNICODE].sort_values("start_utc")
        assert list(uni.employee_id) == ["E2", "E2"]
        assert list(uni.activity_id) == [10, 1]  # the unknown state is Present
        assert summary["nights"][0]["events_defaulted"] == 1
        assert list(quarantine.external_user_id) == [UNICODE_NFD]
        assert quarantine.quarantine_reason.iloc[0] == "unmapped external user id"
        assert quarantine.hint.iloc[0]
        # nothing dropped: every input second is in the warehouse, in events or quarantine
        assert events.duration_seconds.sum() + quarantine.duration_seconds.sum() == \
            86400 + 3600 + 7200 + 1800
    finally:
        engine.dispose()


def test_a_timestamp_without_zone_is_utc(url, tmp_path, monkeypatch):
    """frames.to_utc: naive timestamps are UTC (connectors convert local times first)."""
    integration, night, engine = _night(monkeypatch, url, tmp_path)
    try:
        aware = _good(night)
        naive = aware.assign(start_utc=aware.start_utc.dt.tz_localize(None),
                             end_utc=aware.end_utc.dt.tz_localize(None))
        _run(integration, night, naive, "manual__naive")
        from_naive = data(engine, NAME)
        _run(integration, night, aware, "manual__aware")
        assert_data_equal(from_naive, data(engine, NAME),
                          ignore=("run_id", "loaded_at", "quarantined_at"))
        assert conform_raw_events(naive).start_utc.equals(conform_raw_events(aware).start_utc)
    finally:
        engine.dispose()


FAILING = {
    "end_before_start": (lambda s: ("ten.days", "AVAILABLE", "Available", None,
                                    s + pd.Timedelta(hours=2), s + pd.Timedelta(hours=1)),
                         "end before they start, e.g. agent 'ten.days'"),
    "null_user": (lambda s: (None, "AVAILABLE", "Available", None, s, s + pd.Timedelta(hours=1)),
                  "without external_user_id"),
}


@pytest.mark.parametrize("case", sorted(FAILING))
def test_impossible_events_fail_the_night_naming_them(case, url, tmp_path, monkeypatch):
    integration, night, engine = _night(monkeypatch, url, tmp_path)
    try:
        _run(integration, night, _good(night), "scheduled__clean")
        before = data(engine, NAME)
        make, message = FAILING[case]
        bad = pd.concat([_good(night), _raw([make(pd.Timestamp(night.start_utc))])],
                        ignore_index=True)
        with pytest.raises(ValueError, match=message):
            _run(integration, night, bad, "manual__bad")
        assert_data_equal(before, data(engine, NAME))
        failed = runs(engine, NAME).query("status == 'failed'")
        assert len(failed) == 1 and message in failed.error.iloc[0]
    finally:
        engine.dispose()
