"""Late records: a vendor that selects by END time (Talkdesk, vendors.md 4.3) hands over a long
status only once it has ended, nights after it started. The run that receives it replaces every
night it covers, however old, to the second, on SQLite and PostgreSQL (tasks.extract)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status import tasks
from agent_status.config import get_integration
from agent_status.mappings import import_employee_mappings
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes.talkdesk import TalkdeskSandbox
from agent_status_dev.simulator import Simulator, clip
from tests.helpers import employee_frame, write_integrations

NAME = "late_talkdesk"
# agent 0 has Monday and Tuesday off: Offline from Sunday 8 November 2026 15:08:14Z to
# Wednesday 11 November 07:34:38Z (64 h), in four Paris nights; no month change in between
SIMULATOR = Simulator(agent_count=6, timezone="Europe/Paris")
SUNDAY = dt.date(2026, 11, 8)
OFFLINE_START = pd.Timestamp("2026-11-08 15:08:14", tz="UTC")
OFFLINE_END = pd.Timestamp("2026-11-11 07:34:38", tz="UTC")
COLUMNS = ["external_user_id", "vendor_activity_id", "start_utc", "end_utc", "duration_seconds"]


def _run(sandbox: TalkdeskSandbox, night_date: dt.date, run_id: str) -> dict:
    """One nightly run, an hour after its night: the world as Talkdesk shows it then."""
    integration = get_integration(NAME)
    night = night_for_date(integration, night_date)
    sandbox.now = night.end_utc + dt.timedelta(hours=1)
    manifest = tasks.extract(integration, night.start_utc, night.end_utc, run_id,
                             connection=sandbox.connection())
    tasks.load(integration, tasks.transform(integration, manifest))
    return manifest


def _events(engine: sa.Engine) -> pd.DataFrame:
    frame = pd.read_sql_query(sa.text("SELECT * FROM agent_status_events WHERE integration = :i"),
                              engine, params={"i": NAME})
    for column in ("start_utc", "end_utc"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    frame["night_date"] = frame.night_date.astype(str)
    frame["is_open"] = frame.is_open.astype(bool)
    return frame.sort_values(["night_date", "external_user_id", "start_utc"]).reset_index(
        drop=True)


def _offline_of_agent_0(events: pd.DataFrame) -> pd.DataFrame:
    email = SIMULATOR.agents[0].email
    return events[(events.external_user_id == email) & (events.vendor_activity_id == "Offline")
                  & (events.end_utc > OFFLINE_START) & (events.start_utc < OFFLINE_END)]


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_a_status_ending_three_nights_late_replaces_every_night_it_covers(
        warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL",
                       warehouse.url.render_as_string(hide_password=False))
    write_integrations(tmp_path / "integrations.yaml", [{
        "name": NAME, "vendor": "talkdesk", "conn_id": "unused", "timezone": "Europe/Paris",
        "start_date": "2026-11-01", "lookback_nights": 0,
        "options": {"poll_seconds": 0.005}}])
    integration = get_integration(NAME)
    nights = [night_for_date(integration, SUNDAY + dt.timedelta(days=i)) for i in range(4)]
    # no team or campaign splits: a status open at run time then shows no record at all
    with TalkdeskSandbox(SIMULATOR, report_offline=True, team_change_every=0,
                         campaign_split_every=0) as sandbox:
        import_employee_mappings(warehouse, NAME, employee_frame(sandbox))
        for night in nights[:3]:
            _run(sandbox, night.night_date, f"run_{night.label}")
        # the Offline is still running at each of these runs: Talkdesk has no record of it
        assert _offline_of_agent_0(_events(warehouse)).empty

        manifest = _run(sandbox, nights[3].night_date, f"run_{nights[3].label}")
        # the run reached back exactly to the night where the late record starts
        assert [n["night_date"] for n in manifest["nights"]] == [n.label for n in nights]
        events = _events(warehouse)
        offline = _offline_of_agent_0(events)
        assert list(offline.night_date) == [n.label for n in nights]
        assert offline.start_utc.iloc[0] == OFFLINE_START
        assert offline.end_utc.iloc[-1] == OFFLINE_END
        assert offline.duration_seconds.sum() == (OFFLINE_END - OFFLINE_START).total_seconds()

        # every one of the four nights is the truth as seen after the last run, to the second:
        # every status that has ended by then, clipped to the night
        truth = sandbox.expected(nights[0].start_utc, nights[-1].end_utc)
        ended = truth[truth.end_utc.notna()]
        for night in nights:
            expected = clip(ended, night.start_utc, night.end_utc)
            loaded = events[events.night_date == night.label]
            assert not loaded.is_open.any()
            pd.testing.assert_frame_equal(
                loaded[COLUMNS].reset_index(drop=True),
                expected.sort_values(["external_user_id", "start_utc"])[COLUMNS]
                .reset_index(drop=True), check_dtype=False)

        # the same run again replaces the same nights with the same rows
        keep = [c for c in events.columns if c not in ("run_id", "loaded_at")]
        _run(sandbox, nights[3].night_date, "run_again")
        pd.testing.assert_frame_equal(_events(warehouse)[keep], events[keep])

    # the older nights were loaded by that run; a failure of a run is recorded on its own
    # nights only: the older ones keep the data and the success they had
    runs = pd.read_sql_query(sa.text("SELECT night_date, run_id, status FROM import_runs WHERE "
                                     "integration = :i"), warehouse, params={"i": NAME})
    runs["night_date"] = runs.night_date.astype(str)
    again = runs[runs.run_id == "run_again"]
    assert sorted(again.night_date) == [n.label for n in nights]
    assert (again.status == "success").all()
    tasks.record_failure(get_integration(NAME), nights[3].start_utc, nights[3].end_utc,
                         "run_failed", "extract", 1, "VendorError: boom")
    runs = pd.read_sql_query(sa.text("SELECT night_date, status FROM import_runs WHERE "
                                     "integration = :i AND run_id = 'run_failed'"), warehouse,
                             params={"i": NAME})
    assert list(runs.night_date.astype(str)) == [nights[3].label]
    assert list(runs.status) == ["failed"]


def test_the_older_nights_a_record_reaches_back_to():
    from agent_status.config import Integration
    from agent_status.nights import nights_before

    # nights cut over at 06:00 Paris (05:00Z in November)
    paris = Integration(name="n", vendor="talkdesk", conn_id="c", timezone="Europe/Paris",
                        start_date=dt.date(2026, 11, 5), schedule="0 6 * * *")
    first = night_for_date(paris, dt.date(2026, 11, 10))
    utc = dt.timezone.utc

    def dates(moment):
        return [n.night_date.isoformat() for n in nights_before(paris, moment, first)]

    assert dates(dt.datetime(2026, 11, 10, 5, 0, tzinfo=utc)) == []  # starts in the first
    assert dates(dt.datetime(2026, 11, 10, 4, 59, 59, tzinfo=utc)) == ["2026-11-09"]
    assert dates(dt.datetime(2026, 11, 8, 3, tzinfo=utc)) == [  # before 06:00 local: the 7th
        "2026-11-07", "2026-11-08", "2026-11-09"]
    assert dates(dt.datetime(2026, 10, 1, tzinfo=utc))[0] == "2026-11-05"  # never before start
    older = nights_before(paris, dt.datetime(2026, 11, 8, 3, tzinfo=utc), first)
    assert [n.end_utc for n in older[:-1]] == [n.start_utc for n in older[1:]]
    assert older[-1].end_utc == first.start_utc
