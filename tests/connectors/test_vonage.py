"""Contract tests: the Vonage Contact Center connector against its sandbox over real HTTP
(vendors.md 8)."""

from __future__ import annotations

import dataclasses
import re
import datetime as dt
from contextlib import contextmanager

import pandas as pd
import pytest

from agent_status.config import Integration
from tests.connectors import contract
from tests.connectors.contract import imported
from agent_status.connectors.base import VendorError
from agent_status.connectors.http import RetryPolicy
from agent_status.connectors.vonage import VonageConnector, replace_copies
from agent_status.frames import RAW_EVENT_COLUMNS
from agent_status.nights import night_for_date
from agent_status.sandboxes.base import Faults, PagingFaults
from agent_status.sandboxes.vonage import VonageSandbox
from agent_status.simulator import Simulator

SIMULATOR = Simulator(agent_count=6)
FAST_RETRY = RetryPolicy(backoff_seconds=0.01)


def integration(**options) -> Integration:
    return Integration(name="vonage_test", vendor="vonage", conn_id="x",
                       timezone="Europe/Paris", start_date=dt.date(2026, 10, 1), options=options)


# two Paris nights, 25 and 26 October 2026; the first is 25 hours long (end of summer time)
NIGHTS = [night_for_date(integration(), dt.date(2026, 10, d)) for d in (25, 26)]
START, END = NIGHTS[0].start_utc, NIGHTS[-1].end_utc


@contextmanager
def served(**sandbox_args):
    sandbox = VonageSandbox(SIMULATOR, **sandbox_args)
    with sandbox:
        yield sandbox


def connector_for(sandbox: VonageSandbox, connection=None, **options) -> VonageConnector:
    connector = VonageConnector(connection or sandbox.connection(), integration(**options))
    connector.http.retry = connector.auth.retry = FAST_RETRY  # 503 has no Retry-After
    return connector


def extract(sandbox: VonageSandbox, start=START, end=END, **options) -> pd.DataFrame:
    connector = connector_for(sandbox, **options)
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()


def assert_matches_truth(frame, sandbox, start=START, end=END):
    contract.assert_matches_truth(frame, sandbox, start, end)


def truth(sandbox, start=START, end=END):
    return contract.truth(sandbox, start, end)


def test_output_equals_the_simulator_truth_over_two_nights_across_dst():
    with served() as sandbox:
        frame = extract(sandbox, page_size=500)

        assert list(frame.columns) == RAW_EVENT_COLUMNS
        assert set(frame.external_user_id) == {a.agent_id for a in SIMULATOR.agents}
        assert set(frame.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
        assert not frame.duplicated(["external_user_id", "start_utc"]).any()
        # sorted by start then agent, as VCC returns them (8.4)
        assert frame.equals(frame.sort_values(["start_utc", "external_user_id"]))
        assert_matches_truth(frame, sandbox)
        contract.assert_nights_match_truth(frame, sandbox, NIGHTS)
        # several pages, the last one short (8.3); a state running into the window from days
        # before is caught by reading its start
        assert max(meta["page"] for meta in sandbox.pages) > 1 and sandbox.short_pages
        assert (frame.start_utc < pd.Timestamp(START) - pd.Timedelta(days=1)).any()


def test_windows_never_exceed_31_days():
    start, end = START - dt.timedelta(days=20), END + dt.timedelta(days=20)
    with served() as sandbox:
        frame = extract(sandbox, start, end)

        spans = {window_end - window_start for window_start, window_end in sandbox.windows}
        assert len(sandbox.windows) > 1 and max(spans) <= dt.timedelta(days=31)
        assert_matches_truth(frame, sandbox, start, end)

        with pytest.raises(VendorError, match="option 'window_days' must be at most 31"):
            connector_for(sandbox, window_days=45)
        connector = connector_for(sandbox)
        with pytest.raises(VendorError, match="HTTP 400.*Request window size limit exceeded 31"):
            connector.http.get_json("/stats/wfm/agent-states", params={
                "start": "2026-10-01T00:00:00.000Z", "end": "2026-11-02T00:00:00.000Z"})
        connector.close()


def test_empty_pages_and_windows_end_the_paging():
    now = START + dt.timedelta(hours=30)  # inside the second night: later windows are empty
    with served(now=now, provisional=dt.timedelta(0), extra_empty_page=True) as sandbox:
        frame = extract(sandbox, page_size=400, window_days=1)

        assert any(meta["totalCount"] == 0 for meta in sandbox.empty_pages)
        assert any(meta["totalCount"] > 0 for meta in sandbox.empty_pages)
        assert_matches_truth(frame, sandbox)


def test_survives_rate_limits_server_errors_and_token_expiry():
    faults = Faults(rate_limit_every=5, server_error_every=7, retry_after_seconds=0)
    with served(faults=faults, token_ttl_requests=3) as sandbox:
        frame = extract(sandbox, page_size=300)

        assert faults.injected["429"] > 0 and faults.injected["5xx"] > 0
        assert sandbox.tokens_issued > 1
        assert_matches_truth(frame, sandbox)


def test_up_to_is_the_time_of_the_request_and_ends_nothing():
    """upTo is "the time of the request" (8.3): a window reaching past it is read once, with
    every state that existed then; it is not polled on until the window's end."""
    now = START + dt.timedelta(hours=30)
    with served(now=now, provisional=dt.timedelta(0)) as sandbox:
        frame = extract(sandbox, page_size=300)

        assert sandbox.early_up_to > 0
        assert all(meta["start"] != now for meta in sandbox.pages)  # never re-asked from upTo
        windows = {(meta["start"], meta["end"]) for meta in sandbox.pages}
        assert len(windows) == 1
        assert len(sandbox.pages) == max(meta["pageCount"] for meta in sandbox.pages)
        assert_matches_truth(frame, sandbox)


def test_copies_across_windows_are_kept_once():
    with served() as sandbox:
        frame = extract(sandbox, include="StartedOrEnded", window_days=1)

        assert max(sandbox.copies_served.values()) > 1
        assert not frame.duplicated(["external_user_id", "start_utc"]).any()
        assert_matches_truth(frame, sandbox)


def test_revised_states_replace_their_provisional_copies():
    """VCC serves recent states provisionally; the lookback's re-read replaces them (8.6)."""
    first_run = START + dt.timedelta(hours=33)
    with served(now=first_run) as sandbox:
        provisional = extract(sandbox)
        served_provisionally = sandbox.provisional_served
        early_truth = truth(sandbox)

        sandbox.now = END + dt.timedelta(days=1)  # the next runs re-read the night
        revised = extract(sandbox)

        assert served_provisionally > 0
        assert not imported(provisional).equals(early_truth)  # the first read was provisional
        assert_matches_truth(revised, sandbox)
        # the connector's own rule, over both reads in order, keeps the revised copies
        assert_matches_truth(replace_copies(pd.concat([provisional, revised])), sandbox)
        changed = provisional.merge(revised, on=["external_user_id", "start_utc"])
        changed = changed[changed.vendor_activity_id_x != changed.vendor_activity_id_y]
        assert len(changed) > 0 and set(changed.vendor_activity_id_x) == {"Ready/Ready"}


def test_open_statuses_stay_open():
    now = START + dt.timedelta(hours=34)
    with served(now=now, provisional=dt.timedelta(0)) as sandbox:
        frame = extract(sandbox)

        assert frame.end_utc.isna().sum() > 0
        assert frame.start_utc.max() < pd.Timestamp(now)
        assert_matches_truth(frame, sandbox)


@pytest.mark.parametrize("status", [400, 401])
def test_wrong_client_secret_fails_clearly(status):
    """RFC 6749 5.2: invalid_client may come as 400 (a secret sent in the body) or 401; both
    are wrong credentials, said as HTTP 401, never retried (issue 8 finding 9)."""
    with served(refused_client_status=status) as sandbox:
        wrong = dataclasses.replace(sandbox.connection(), password="not-the-secret")
        connector = connector_for(sandbox, connection=wrong)
        with pytest.raises(VendorError, match=r"/Auth/connect/token: HTTP 401\b.*invalid_client"):
            list(connector.extract(*(NIGHTS[0].start_utc, NIGHTS[0].end_utc)))
        assert sandbox.requests == [("POST", "/Auth/connect/token")]


def test_a_client_without_the_stats_scope_fails_clearly():
    with served(granted_scopes=("users:read",)) as sandbox:
        connector = connector_for(sandbox)
        with pytest.raises(VendorError, match=r"/Auth/connect/token: HTTP 400.*invalid_scope"):
            list(connector.extract(NIGHTS[0].start_utc, NIGHTS[0].end_utc))


def test_a_connection_without_region_or_token_url_fails_before_any_request():
    with served() as sandbox:
        bare = dataclasses.replace(sandbox.connection(), extra={})
        with pytest.raises(VendorError, match="extra 'region'"):
            VonageConnector(bare, integration())
        with pytest.raises(VendorError, match="option 'include' must be one of"):
            VonageConnector(sandbox.connection(), integration(include="Ended"))
        assert sandbox.requests == []


@pytest.mark.parametrize("fault", [PagingFaults(blank_page=2), PagingFaults(repeated_page=2)],
                         ids=["blank", "repeated"])
def test_a_transient_paging_fault_is_healed_by_asking_again(fault):
    with served(paging=fault) as sandbox:
        frame = extract(sandbox, page_size=300)

        assert sum(fault.injected.values()) == 1
        assert_matches_truth(frame, sandbox)


@pytest.mark.parametrize(("fault", "message"), [
    (PagingFaults(blank_page=2, blank_times=99), r"page 2 has no items after 300 of the \d+ items"),
    (PagingFaults(repeated_page=2, repeated_times=99), r"page 2 repeats page 1"),
    (PagingFaults(endless=True), r"paging did not end after \d+ pages"),
], ids=["blank", "repeated", "endless"])
def test_a_lasting_paging_fault_fails_the_night_never_a_partial_one(fault, message):
    """Issue 9: an empty page, a repeated page or pages that never run out end as a clear
    error after a bounded number of requests."""
    with served(paging=fault) as sandbox:
        with pytest.raises(VendorError, match=r"Vonage GET /stats/wfm/agent-states .*" + message):
            extract(sandbox, page_size=300)
        assert len(sandbox.requests) < 100


def test_an_answer_for_another_page_than_asked_fails_naming_meta_page():
    with served() as sandbox:
        original = sandbox.handle

        def wrong_page(method, path, query, headers, body):
            status, extra, payload = original(method, path, query, headers, body)
            if isinstance(payload, dict) and "meta" in payload:
                payload["meta"]["page"] = 1
            return status, extra, payload

        sandbox.handle = wrong_page
        with pytest.raises(VendorError, match=r"field meta.page is 1 for page 2"):
            extract(sandbox, page_size=300)


@pytest.mark.parametrize(("field", "value"), [
    ("agentId", None), ("start", None), ("start", "25/10/2026 08:00"), ("duration", "900s"),
    ("duration", -1000), ("state", None), ("state", "")])
def test_an_item_of_unexpected_shape_fails_naming_field_and_value(field, value):
    """Issue 8 finding 4: no bare pandas error, no silent NaT; a null duration stays an open
    state (test_open_statuses_stay_open)."""
    with served() as sandbox:
        original = sandbox.handle

        def spoiled(method, path, query, headers, body):
            status, extra, payload = original(method, path, query, headers, body)
            if isinstance(payload, dict) and payload.get("items"):
                item = payload["items"][-1]
                if value is None:
                    item.pop(field)
                else:
                    item[field] = value
            return status, extra, payload

        sandbox.handle = spoiled
        with pytest.raises(VendorError, match=(
                rf"^Vonage /stats/wfm/agent-states: {field} of item \d+ \(agentId .*, start "
                rf".*\): {re.escape(repr(value))}$")):
            extract(sandbox, page_size=300)
