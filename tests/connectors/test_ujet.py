"""Contract tests: the UJET connector against its sandbox over real HTTP (vendors.md 5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import contextmanager

import pandas as pd
import pytest

from agent_status.config import Integration
from tests.connectors import contract
from tests.connectors.contract import KEY
from agent_status.connectors.base import VendorError
from agent_status.connectors.http import RetryPolicy
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.ujet import UjetConnector, status_intervals
from agent_status.frames import RAW_EVENT_COLUMNS
from agent_status.nights import night_for_date
from agent_status.sandboxes.base import Faults
from agent_status.sandboxes.ujet import UjetSandbox
from agent_status.simulator import Simulator

SIMULATOR = Simulator(agent_count=6)
ACTIVITY_LOGS = "/manager/api/v1/agent_activity_logs"
FAST_RETRY = RetryPolicy(backoff_seconds=0.01)


def integration(**options) -> Integration:
    return Integration(name="ujet_test", vendor="ujet", conn_id="x", timezone="Europe/Paris",
                       start_date=dt.date(2026, 10, 1), options=options)


# two Paris nights, 25 and 26 October 2026; the first is 25 hours long (end of summer time)
NIGHTS = [night_for_date(integration(), dt.date(2026, 10, d)) for d in (25, 26)]
START, END = NIGHTS[0].start_utc, NIGHTS[-1].end_utc
FIRST = (NIGHTS[0].start_utc, NIGHTS[0].end_utc)  # one night, for the quirk tests


@contextmanager
def served(**sandbox_args):
    sandbox = UjetSandbox(SIMULATOR, **sandbox_args)
    with sandbox:
        yield sandbox


def connector_for(sandbox: UjetSandbox, connection=None, **options) -> UjetConnector:
    options = {"requests_per_second": 50, **options}  # the budget has its own test
    connector = UjetConnector(connection or sandbox.connection(), integration(**options))
    connector.http.retry = FAST_RETRY  # no Retry-After on 503: keep the backoff short
    return connector


def extract(sandbox: UjetSandbox, start=START, end=END, connection=None, **options):
    connector = connector_for(sandbox, connection, **options)
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()


def log_pages(sandbox: UjetSandbox) -> list[tuple[int, int]]:
    """(page, records) of every activity-log page served."""
    return [(page, count) for path, page, count in sandbox.pages_served if path == ACTIVITY_LOGS]


@pytest.fixture(scope="module")
def two_nights():
    """The sandbox and the connector's output for both nights, shared by the tests reading it."""
    with served() as sandbox:
        yield sandbox, extract(sandbox)


def assert_matches_truth(frame, sandbox, start=START, end=END):
    contract.assert_matches_truth(frame, sandbox, start, end)


def test_output_equals_the_simulator_truth_over_two_nights_across_dst(two_nights):
    sandbox, frame = two_nights
    assert list(frame.columns) == RAW_EVENT_COLUMNS
    assert set(frame.external_user_id) == {a.email for a in SIMULATOR.agents}
    assert set(frame.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
    assert_matches_truth(frame, sandbox)
    # each night as the pipeline cuts it, the 25-hour one included
    contract.assert_nights_match_truth(frame, sandbox, NIGHTS)
    # pages asked for by number until a short one (5.3)
    assert max(page for page, _ in log_pages(sandbox)) > 1


def test_a_status_started_days_before_the_window_is_caught(two_nights):
    """Reading by start: the look-behind finds a weekend off running into the window."""
    sandbox, frame = two_nights
    early = frame[frame.start_utc < pd.Timestamp(START) - pd.Timedelta(days=1)]
    assert len(early) > 0 and (early.end_utc > pd.Timestamp(START)).all()
    expected = sandbox.expected(START, END)
    assert len(early.merge(expected, on=KEY + ["end_utc"])) == len(early)  # whole, as true


@pytest.mark.parametrize("scheme", ["company_key", "api_token"])
def test_both_credential_schemes_are_login_and_password(scheme):
    with served() as sandbox:
        frame = extract(sandbox, *FIRST, connection=sandbox.connection(scheme))

        assert sandbox.schemes_used == {scheme}
        assert_matches_truth(frame, sandbox, *FIRST)


def test_events_of_every_family_mixed_into_the_log_are_dropped():
    """5.6: call, chat, deltacast and multicast events carry a status too; some have no
    call_id, so only their activity's family tells them apart."""
    with served() as sandbox:
        frame = extract(sandbox, *FIRST)

        kinds = sandbox.kinds_served
        assert all(kinds[kind] > 0 for kind in
                   ("call", "chat", "deltacast", "multicast", "notification"))
        assert "In Chat" not in set(frame.vendor_activity_id)
        assert_matches_truth(frame, sandbox, *FIRST)


def test_an_event_known_only_by_its_call_id_is_dropped():
    """An activity outside the documented families still is not a status when it has a call."""
    with served(undocumented_event="voicemail_left") as sandbox:
        frame = extract(sandbox, *FIRST)

        assert sandbox.kinds_served["undocumented"] > 0
        assert_matches_truth(frame, sandbox, *FIRST)


@pytest.mark.parametrize("activity", ["user_status_changed", "status_change", "status_override"])
def test_a_status_is_told_by_its_record_whatever_its_activity_name(activity):
    """5.6: Google's table says user_status_changed, our notes status_change; the name of a
    status change is not relied on."""
    with served(status_activity=activity) as sandbox:
        frame = extract(sandbox, *FIRST)

        assert {activity, "login", "logout"} <= sandbox.activities_served
        assert_matches_truth(frame, sandbox, *FIRST)


@pytest.mark.parametrize("link_header", [True, False], ids=["link", "no_link"])
@pytest.mark.parametrize("total_header", [True, False], ids=["total", "no_total"])
@pytest.mark.parametrize("per_page_header", [True, False], ids=["per_page", "no_per_page"])
def test_pages_are_read_to_the_short_page_with_or_without_link_total_and_per_page(
        link_header, total_header, per_page_header):
    """5.3: Google's page and tap-ujet disagree on whether Link, Total and Per-Page are sent."""
    with served(link_header=link_header, total_header=total_header,
                per_page_header=per_page_header) as sandbox:
        frame = extract(sandbox, *FIRST, per_page=40)

        pages = log_pages(sandbox)
        assert max(page for page, _ in pages) > 3
        assert_matches_truth(frame, sandbox, *FIRST)
        # the last page of each window read to its end is short (or empty)
        assert any(count < 40 for _, count in pages)


def test_a_per_page_above_100_is_read_as_100():
    """5.3: UJET reduces a larger per to 100: a page of 100 must not look like the last one."""
    with pytest.raises(ValueError, match="per_page.*at most 100"):
        VENDORS["ujet"].check_options({"per_page": 250})
    with served(total_header=False, per_page_header=False, link_header=False) as sandbox:
        frame = extract(sandbox, *FIRST, per_page=250)  # past validation, as a stale config

        assert max(page for page, _ in log_pages(sandbox)) > 1
        assert_matches_truth(frame, sandbox, *FIRST)


def test_a_page_size_other_than_the_per_asked_fails_rather_than_ending_early():
    """Issue 8 finding 6: the per asked for decides what a full page is; a Per-Page header is
    only checked against it, so a server paging by 30 is no silent end after page 1."""
    with served(serves_per=30) as sandbox:
        with pytest.raises(VendorError, match=r"UJET agent_activity_logs .*page 1 announces pages "
                                              r"of 30 records although 40 were asked for"):
            extract(sandbox, *FIRST, per_page=40)
    with served(serves_per=30, per_page_header=False) as sandbox:  # Total then tells
        with pytest.raises(VendorError, match=r"page 1 is the last .* of the \d+ records"):
            extract(sandbox, *FIRST, per_page=40)


def test_a_page_short_of_the_total_header_fails():
    with served(short_page=2) as sandbox:
        with pytest.raises(VendorError, match=r"UJET agent_activity_logs .*page 2 is the last.*"
                                              r"after \d+ of the \d+ records .*truncated"):
            extract(sandbox, *FIRST, per_page=50)


def test_a_server_ignoring_the_page_parameter_fails_instead_of_looping():
    with served(repeats_after=2, total_header=False) as sandbox:
        with pytest.raises(VendorError, match=r"UJET agent_activity_logs .*page 3 repeats page 2"):
            extract(sandbox, *FIRST, per_page=50)
        assert len(log_pages(sandbox)) == 3


def test_paging_is_bounded_by_max_pages():
    with served(total_header=False) as sandbox:
        with pytest.raises(VendorError, match=r"UJET agent_activity_logs .*more than 3 pages "
                                              r"of 20 records.*max_pages"):
            extract(sandbox, *FIRST, per_page=20, max_pages=3)
        assert len(log_pages(sandbox)) == 3


@pytest.mark.parametrize("field,value,message", [
    ("status", {"id": 4, "wfm_id": 104, "color": "#f5a623"},
     r"record 1 has a status without a name: status = \{'id': 4"),
    ("status", "Break", r"record 1 has a status without a name: status = 'Break'"),
    ("started_at", "01/05/2024 08:00",
     r"started_at of record 1 is not an ISO-8601 time: '01/05/2024 08:00'"),
    ("ended_at", "soon", r"ended_at of record 1 is not an ISO-8601 time: 'soon'"),
    ("agent_id", None, r"record 1 has no agent_id"),
])
def test_a_status_record_of_unexpected_shape_fails_naming_field_and_value(field, value, message):
    with served() as sandbox:
        connector = connector_for(sandbox)
        try:
            records = [record for page in connector.read(FIRST) for record in page]
        finally:
            connector.close()
    status = next(r for r in records if r["activity"] == "user_status_changed")
    status_intervals(records)  # as served: fine
    with pytest.raises(VendorError, match=rf"UJET agent_activity_logs: {message}"):
        status_intervals(records + [{**status, "id": 1, field: value}])


def test_an_ignored_started_at_to_filter_changes_nothing():
    """started_at[to] is not confirmed (5.3): records past it are filtered here."""
    with served(honours_to=False) as sandbox:
        frame = extract(sandbox, window_days=2)

        assert sandbox.served_past_to > 0
        assert_matches_truth(frame, sandbox)


def test_survives_rate_limits_and_server_errors():
    faults = Faults(rate_limit_every=4, server_error_every=7, retry_after_seconds=0)
    with served(faults=faults) as sandbox:
        frame = extract(sandbox, per_page=90)

        assert faults.injected["429"] > 0 and faults.injected["5xx"] > 0
        assert_matches_truth(frame, sandbox)


def test_requests_stay_within_the_shared_rate_budget():
    budget = 5
    sandbox = UjetSandbox(Simulator(agent_count=2))
    with sandbox:
        frame = extract(sandbox, *FIRST, per_page=100, requests_per_second=budget)

        times = pd.Series(sandbox.request_times)
        assert len(times) > 2 * budget  # the budget really had to hold requests back
        # requests seen within any 0.95 s (a little under the period, for network jitter)
        in_window = [((times >= t) & (times < t + 0.95)).sum() for t in times]
        assert max(in_window) <= budget
        assert_matches_truth(frame, sandbox, *FIRST)


def test_open_statuses_stay_open():
    now = START + dt.timedelta(hours=34)  # inside the second night
    with served(now=now) as sandbox:
        frame = extract(sandbox)

        assert frame.end_utc.isna().sum() > 0
        assert frame.start_utc.max() < pd.Timestamp(now)
        assert_matches_truth(frame, sandbox)


def test_an_agent_missing_from_the_agents_list_fails_naming_it():
    agent = SIMULATOR.agents[2]
    with served(unlisted_emails=(agent.email,)) as sandbox:
        with pytest.raises(VendorError, match=rf"agent_id\(s\).*: {sandbox.ujet_agent_id(agent)}"):
            extract(sandbox, *FIRST)


def test_wrong_credentials_fail_clearly():
    with served() as sandbox:
        wrong = dataclasses.replace(sandbox.connection(), password="not-the-secret")
        with pytest.raises(VendorError, match=r"UJET agent_activity_logs .*HTTP 401"):
            extract(sandbox, *FIRST, connection=wrong)


def test_a_connection_without_credentials_fails_before_any_request():
    with served() as sandbox:
        bare = dataclasses.replace(sandbox.connection(), login="")
        with pytest.raises(VendorError, match="login/password"):
            UjetConnector(bare, integration())
        assert sandbox.requests == []


def test_a_status_begun_before_the_look_behind_is_warned_about_naming_agent_and_option(caplog):
    """Issue 8 finding 5 (5.3): records are found by start; a status begun before the
    look-behind is not read, and the agents it concerns are named with the option to raise."""
    look_behind = dt.timedelta(hours=12)
    expected = contract.truth(UjetSandbox(SIMULATOR), START, END)
    lost = expected[expected.start_utc < pd.Timestamp(START - look_behind)]
    assert 0 < lost.external_user_id.nunique() < len(SIMULATOR.agents)
    with served() as sandbox, caplog.at_level("WARNING", logger="agent_status.connectors.ujet"):
        connector = connector_for(sandbox, look_behind_days=0.5)
        try:
            frame = pd.concat(list(connector.extract(START, END)), ignore_index=True)
        finally:
            connector.close()

    assert len(connector.warnings) == 1
    warning = connector.warnings[0]
    assert warning.startswith(f"UJET: {lost.external_user_id.nunique()} agent(s) have no status "
                              "starting in the 0.5 day(s) read before")
    assert "raise look_behind_days" in warning and warning in caplog.text
    for email in set(lost.external_user_id):
        assert email in warning
    for email in set(expected.external_user_id) - set(lost.external_user_id):
        assert email not in warning
    # everything else is read as it is
    kept = contract.imported(frame)
    rest = expected[~expected.set_index(KEY).index.isin(lost.set_index(KEY).index)]
    pd.testing.assert_frame_equal(kept, rest.reset_index(drop=True), check_dtype=False)


def test_the_default_look_behind_reads_every_status_and_warns_of_nothing():
    with served() as sandbox:
        assert (contract.truth(sandbox, START, END).start_utc
                >= pd.Timestamp(START - dt.timedelta(days=3))).all()
        connector = connector_for(sandbox)
        try:
            frame = pd.concat(list(connector.extract(START, END)), ignore_index=True)
        finally:
            connector.close()

        assert connector.windows.lookback == dt.timedelta(days=3) and connector.warnings == []
        assert_matches_truth(frame, sandbox)
    with pytest.raises(ValueError, match="look_behind_days.*at most 31"):
        VENDORS["ujet"].check_options({"look_behind_days": 45})
