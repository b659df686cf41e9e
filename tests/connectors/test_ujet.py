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
from agent_status.connectors.ujet import UjetConnector
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


def extract(sandbox: UjetSandbox, start=START, end=END, connection=None, **options):
    options = {"per_page": 250, "requests_per_second": 50, **options}  # the budget has its test
    connector = UjetConnector(connection or sandbox.connection(), integration(**options))
    connector.http.retry = FAST_RETRY  # no Retry-After on 503: keep the backoff short
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()






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
    # pages followed along the Link header (5.3)
    assert max(page for path, page, _ in sandbox.pages_served if path == ACTIVITY_LOGS) > 1


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


def test_call_and_chat_events_mixed_into_the_log_are_dropped():
    with served() as sandbox:
        frame = extract(sandbox, *FIRST)

        served_kinds = sandbox.kinds_served
        assert served_kinds["call"] > 0 and served_kinds["chat"] > 0
        assert served_kinds["notification"] > 0
        assert "In Chat" not in set(frame.vendor_activity_id)
        assert_matches_truth(frame, sandbox, *FIRST)


def test_an_ignored_started_at_to_filter_changes_nothing():
    """started_at[to] is not confirmed (5.3): records past it are filtered here."""
    with served(honours_to=False) as sandbox:
        frame = extract(sandbox, window_days=2)

        assert sandbox.served_past_to > 0
        assert_matches_truth(frame, sandbox)


def test_survives_rate_limits_and_server_errors():
    faults = Faults(rate_limit_every=4, server_error_every=7, retry_after_seconds=0)
    with served(faults=faults) as sandbox:
        frame = extract(sandbox, per_page=150)

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


def test_a_truncated_link_chain_fails():
    with served(drop_link_on_page=2) as sandbox:
        with pytest.raises(VendorError, match=r"Link chain ended after \d+ of \d+ records"):
            extract(sandbox, per_page=100)


def test_an_agent_missing_from_the_agents_list_fails_naming_it():
    agent = SIMULATOR.agents[2]
    with served(unlisted_emails=(agent.email,)) as sandbox:
        with pytest.raises(VendorError, match=rf"agent_id\(s\).*: {sandbox.ujet_agent_id(agent)}"):
            extract(sandbox, *FIRST)


def test_an_unknown_activity_on_a_status_fails_naming_it():
    with served(unknown_activity="status_override") as sandbox:
        with pytest.raises(VendorError, match="status_override"):
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
