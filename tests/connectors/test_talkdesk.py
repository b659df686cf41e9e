"""Contract tests: the Talkdesk connector against its Explore sandbox, real HTTP (vendors.md 4)."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from contextlib import contextmanager

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.talkdesk import TalkdeskConnector, endpoints
from agent_status.frames import RAW_EVENT_COLUMNS, conform_raw_events
from agent_status_dev.sandboxes.base import Faults, merge_adjacent
from agent_status_dev.sandboxes.talkdesk import CLIENT_SECRET, TalkdeskSandbox
from agent_status_dev.simulator import Simulator

UTC = dt.timezone.utc
ZONE = "America/Los_Angeles"
# two Los Angeles nights, 31 October and 1 November 2026: the month changes at 00:00Z (17:00
# local, agents at work) and the second night is 25 hours long (end of daylight saving time)
START = dt.datetime(2026, 10, 31, 7, tzinfo=UTC)
END = dt.datetime(2026, 11, 2, 8, tzinfo=UTC)
KEY = ["external_user_id", "start_utc"]
SIMULATOR = Simulator(timezone=ZONE)
FEW_AGENTS = Simulator(agent_count=3, timezone=ZONE)  # for many days: fewer agents


def integration(**options) -> Integration:
    options.setdefault("poll_seconds", 0.005)
    return Integration(name="td", vendor="talkdesk", conn_id="x", timezone=ZONE,
                       start_date=dt.date(2026, 10, 1), options=options)


@contextmanager
def served(simulator=SIMULATOR, **sandbox_args):
    with TalkdeskSandbox(simulator, **sandbox_args) as sandbox:
        yield sandbox


def connector_for(sandbox: TalkdeskSandbox, connection=None, **options) -> TalkdeskConnector:
    return TalkdeskConnector(connection or sandbox.connection(), integration(**options))


def extract(sandbox: TalkdeskSandbox, start=START, end=END, connection=None,
            **options) -> pd.DataFrame:
    connector = connector_for(sandbox, connection, **options)
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return conform_raw_events(frame.sort_values(KEY)).reset_index(drop=True)


def assert_matches_truth(raw: pd.DataFrame, sandbox: TalkdeskSandbox) -> None:
    expected = ordered(sandbox.expected(START, END))
    assert len(expected) > 2000
    # already one row per status: the split records were joined by the connector (4.6)
    pd.testing.assert_frame_equal(ordered(raw), expected)


def test_output_equals_the_truth_over_two_nights_with_split_records_joined():
    with served() as sandbox:
        raw = extract(sandbox, window_days=1)

        assert list(raw.columns) == RAW_EVENT_COLUMNS
        assert not raw.duplicated(KEY).any()
        assert len(merge_adjacent(raw)) == len(raw)
        assert set(raw.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
        assert_matches_truth(raw, sandbox)
        # the sandbox did split statuses at the month change, on team and campaign changes
        assert sandbox.counts["split_month"] > 0
        assert sandbox.counts["split_team"] > 0 and sandbox.counts["split_campaign"] > 0
        assert sandbox.counts["records"] > len(raw)
        # timespans in UTC, a margin on both sides (records are selected by end time, 4.3)
        assert min(s for s, _ in sandbox.timespans) < START
        assert max(e for _, e in sandbox.timespans) > END
        # each file fetched once, right away, never with the bearer token
        assert sandbox.counts["downloads"] == sandbox.counts["jobs"] == len(sandbox.timespans)
        assert sandbox.counts["signed_refused_authorization"] == 0
        assert sandbox.counts["signed_refused_expired"] == 0


@pytest.mark.parametrize(("job_done_answer", "file_answer", "done_to_storage"), [
    *[(done, file, False) for done in (300, 303, 200) for file in (303, 302, 200)],
    (300, 303, True), (303, 302, True)],
    ids=lambda value: {True: "to_storage", False: "to_files"}.get(value, str(value)))
def test_every_documented_way_to_say_done_and_to_serve_the_file(job_done_answer, file_answer,
                                                                done_to_storage):
    """4.3: the job-status call redirects when done (300 with a relative Location now, 303 with
    an absolute one in the older guide) or answers 200 "done"; the file call answers 200 with
    the report or redirects (302/303) to a signed URL; ``sending`` (older API) is no failure.
    A done redirect may point straight at signed storage on another origin: fetched there
    without the bearer token (issue 8 finding 11)."""
    extra = ("sending",) if (job_done_answer + file_answer) % 2 else ()
    with served(FEW_AGENTS, job_done_answer=job_done_answer, file_answer=file_answer,
                extra_statuses=extra, polls_per_status=2,
                done_to_storage=done_to_storage) as sandbox:
        raw = extract(sandbox, window_days=1)
        expected = ordered(sandbox.expected(START, END))
        assert len(expected) > 300
        pd.testing.assert_frame_equal(ordered(raw), expected)
        jobs = sandbox.counts["jobs"]
        assert jobs >= 3 and sandbox.counts["downloads"] == jobs
        assert sandbox.counts["done_redirects"] == (jobs if job_done_answer != 200 else 0)
        assert sandbox.counts["links"] == (jobs if file_answer != 200 or done_to_storage else 0)
        assert sandbox.counts["signed_refused_authorization"] == 0
        files_asked = [path for _, path in sandbox.requests if "/files/" in path]
        if done_to_storage:  # the report came from the storage's port, the API never asked
            assert len(sandbox.storage.requests) == jobs and files_asked == []
            assert all(url.startswith(sandbox.storage.base_url) for url in sandbox.signed_urls)
            assert sandbox.storage.port != sandbox.port


def test_a_status_outside_the_documented_list_is_waited_for_within_the_job_timeout():
    with served(FEW_AGENTS, extra_statuses=("sending",), stall_at="sending") as sandbox:
        connector = connector_for(sandbox)
        connector.job.timeout_seconds = 0.3
        try:
            with pytest.raises(VendorError, match=r"to finish not there 0.3s after its creation "
                                                  r"\(last answer: status 'sending', not a "
                                                  r"documented one"):
                list(connector.extract(START, END))
        finally:
            connector.close()


def test_no_signed_url_nor_token_reaches_a_message_or_a_log_line(caplog):
    """Issue 9: the signed URL's query is its credential (4.3); urllib3 logs request lines and
    a connection error quotes the URL: neither may reach the task log, chained or not."""
    caplog.set_level(logging.DEBUG)
    with served(FEW_AGENTS, unreachable_first_urls=1) as sandbox:
        connector = TalkdeskConnector(sandbox.connection(), integration(window_days=31),
                                      sleep=lambda seconds: None)
        try:
            with pytest.raises(VendorError, match=r"signed file: gave up after 8 attempts: "
                                                  r".*ConnectionError") as failure:
                list(connector.extract(START, END))
        finally:
            connector.close()
        failed = "".join(traceback.format_exception(failure.value))
        assert "signed file" in failed
        extract(sandbox, window_days=1)  # and a run that works, logged at DEBUG as well
        logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
        assert "/signed/" in logged  # urllib3's request lines are there, their query is not
        secrets = [url.split("?", 1)[1] for url in sandbox.signed_urls]
        secrets += [url.rsplit("=", 1)[1] for url in sandbox.signed_urls]  # the signatures
        secrets += [*sandbox._tokens, CLIENT_SECRET]
        assert len(sandbox.signed_urls) > 2 and len(sandbox._tokens) >= 2
        for secret in secrets:
            assert secret not in failed and secret not in logged
        assert "X-Amz-Signature" not in failed + logged


def test_one_job_covers_a_month_at_most():
    with served(FEW_AGENTS) as sandbox:
        connector = connector_for(sandbox, window_days=90)
        try:
            frames = list(connector.extract(START - dt.timedelta(days=40), END))
        finally:
            connector.close()
        assert len(frames[0]) > 0
        assert len(sandbox.timespans) == 2
        assert all(e - s <= dt.timedelta(days=31) for s, e in sandbox.timespans)


def test_concurrent_jobs_stay_within_the_limit_and_429_is_waited_out():
    with served(FEW_AGENTS, polls_per_status=3) as sandbox:
        extract(sandbox, START - dt.timedelta(days=19), END, window_days=1,
                max_concurrent_jobs=40)
        assert len(sandbox.timespans) > 15
        assert 1 < sandbox.max_active_jobs <= 15  # capped at Talkdesk's 15
        assert sandbox.counts["concurrency_refused"] == 0
    with served(max_concurrent_jobs=2, polls_per_status=2) as sandbox:
        raw = extract(sandbox, window_days=1, max_concurrent_jobs=4)
        assert sandbox.counts["concurrency_refused"] > 0
        assert sandbox.max_active_jobs == 2
        assert_matches_truth(raw, sandbox)


def test_an_expired_download_link_is_asked_for_again():
    faults = Faults(rate_limit_every=7, server_error_every=9, retry_after_seconds=0)
    with served(expire_first_urls=2, faults=faults) as sandbox:
        raw = extract(sandbox, window_days=1)
        assert_matches_truth(raw, sandbox)
        assert sandbox.counts["signed_refused_expired"] == 2
        assert sandbox.counts["links"] == sandbox.counts["jobs"] + 2
        assert faults.injected["429"] > 0 and faults.injected["5xx"] > 0


def test_statuses_open_at_job_time_come_with_a_later_run():
    now = dt.datetime(2026, 11, 1, 19, 30, tzinfo=UTC)  # inside the second night
    with served(now=now) as sandbox:
        early = extract(sandbox)
        expected = sandbox.expected(START, END)
        running = expected[expected.end_utc.isna()]
        assert len(running) > 5
        # filtered by end time (4.6): an open status is missing, or only the records of it that
        # had ended (split at a team or campaign change) are there; the later run replaces them
        shown = running[KEY].merge(early[KEY + ["end_utc"]])
        assert len(shown) < len(running) and (shown.end_utc <= now).all()
        assert early.end_utc.notna().all()
        finished = ordered(expected[expected.end_utc.notna()])
        assert len(finished.merge(ordered(early))) == len(finished)  # all there, exactly
        others = ordered(early).merge(finished, how="left", indicator=True)
        assert len(others[others._merge == "left_only"]) == len(shown)

        sandbox.now = END + dt.timedelta(days=1)  # the next night's run re-reads (lookback)
        later = extract(sandbox)
        closed = running[KEY].merge(later[KEY + ["end_utc"]])
        assert len(closed) == len(running) and closed.end_utc.notna().all()
        assert_matches_truth(later, sandbox)


def test_failures_are_fatal_with_a_clear_message():
    with served(fail_jobs=(1,)) as sandbox:
        with pytest.raises(VendorError, match=r"user_status job [0-9a-f]+ ended 'failed'"):
            extract(sandbox)
    with served() as sandbox:
        wrong = ConnectionInfo(conn_id="td", host=sandbox.base_url,
                               login="sandbox-explore-client", password="wrong",
                               extra={"token_url": f"{sandbox.base_url}/oauth/token"})
        with pytest.raises(VendorError, match=r"oauth/token: HTTP 401"):
            extract(sandbox, connection=wrong)
    with served(scopes=("data-reports:read",)) as sandbox:
        with pytest.raises(VendorError, match=r"HTTP 403 .*data-reports:write"):
            extract(sandbox)
    with served(polls_per_status=10**6) as sandbox:
        connector = connector_for(sandbox)
        connector.job.timeout_seconds = 0.2
        with pytest.raises(VendorError, match=r"to finish not there 0.2s after its creation"):
            list(connector.extract(START, END))
        connector.close()


def test_token_and_api_urls_by_region():
    def urls(host="", **extra):
        return endpoints(ConnectionInfo(conn_id="c", host=host, extra=extra))

    assert urls(account="acme") == ("https://acme.talkdeskid.com/oauth/token",
                                    "https://api.talkdeskapp.com")
    assert urls(account="acme", region="eu") == ("https://acme.talkdeskid.eu/oauth/token",
                                                 "https://api.talkdeskapp.eu")
    assert urls(account="acme", region="CA") == ("https://acme.talkdeskidca.com/oauth/token",
                                                 "https://api.talkdeskappca.com")
    assert urls("https://api.example", token_url="https://id.example/oauth/token") == (
        "https://id.example/oauth/token", "https://api.example")
    assert urls("https://api.example", auth_url="https://id.example/oauth/token") == (
        "https://id.example/oauth/token", "https://api.example")  # the provider form's name
    with pytest.raises(VendorError, match="account"):
        urls()
    with pytest.raises(VendorError, match="region"):
        urls(account="acme", region="apac")
