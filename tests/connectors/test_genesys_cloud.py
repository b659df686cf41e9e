"""Contract tests: the Genesys Cloud connector against its sandbox over real HTTP (vendors.md 2)."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager

import pandas as pd
import pytest

from agent_status.config import Integration
from tests.connectors import contract
from tests.connectors.contract import imported
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.genesys_cloud import GenesysCloudConnector, effective_timeline
from agent_status.connectors.http import RetryPolicy
from agent_status.frames import RAW_EVENT_COLUMNS
from agent_status_dev.sandboxes.base import Faults, PagingFaults
from agent_status_dev.sandboxes.genesys_cloud import GenesysCloudSandbox
from agent_status_dev.simulator import Simulator

UTC = dt.timezone.utc
# two Paris nights, 25 and 26 October 2026; the first is 25 hours long (end of summer time)
START = dt.datetime(2026, 10, 24, 22, tzinfo=UTC)
END = dt.datetime(2026, 10, 26, 23, tzinfo=UTC)
DETAILS_PATH = "/api/v2/analytics/users/details/query"
USERS_PATH = "/api/v2/users"
FAST_RETRY = RetryPolicy(backoff_seconds=0.01)


def integration(**options) -> Integration:
    return Integration(name="gc", vendor="genesys_cloud", conn_id="x", timezone="Europe/Paris",
                       start_date=dt.date(2026, 10, 1), options=options)


@contextmanager
def served(**sandbox_args):
    sandbox = GenesysCloudSandbox(**sandbox_args)
    with sandbox:
        yield sandbox


def extract(sandbox: GenesysCloudSandbox, start=START, end=END, **options) -> pd.DataFrame:
    connector = GenesysCloudConnector(sandbox.connection(), integration(**options))
    connector.http.retry = FAST_RETRY  # content faults are asked again with this policy
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()


def assert_matches_truth(frame, sandbox, start=START, end=END):
    contract.assert_matches_truth(frame, sandbox, start, end)


def test_output_equals_the_simulator_truth_over_two_nights():
    inactive = Simulator().agents[3].user_name  # deactivated since: listed only with state=any
    with served(inactive_user_names=(inactive,)) as sandbox:
        frame = extract(sandbox, page_size=10, users_page_size=7)

        assert list(frame.columns) == RAW_EVENT_COLUMNS
        assert not frame.duplicated(["external_user_id", "start_utc"]).any()
        assert set(frame.external_user_id) == {a.user_name for a in sandbox.simulator.agents}
        assert set(frame.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
        assert_matches_truth(frame, sandbox)
        # multi-night statuses came back on several pages (vendors.md 2.6)
        seen = [user for page in sandbox.pages for user in page.user_ids]
        assert len(seen) > len(set(seen))


def _page(details: list[dict], **more) -> bytes:
    """A user-details page's bytes, as the API sends them (vendors.md 2.4)."""
    return json.dumps({"userDetails": details, **more}).encode()


def _parsed(*pages: bytes, checked: bool = False) -> pd.DataFrame:
    """The connector's frame of these pages, each read as the HTTP client reads it (Arrow,
    falling back to the checked path) or, ``checked``, by the checked path only."""
    from agent_status.connectors.genesys_cloud import _Segments

    read = [_Segments.of_records(json.loads(page)["userDetails"], None) if checked
            else _Segments.read(page) for page in pages]
    assert all(isinstance(page, _Segments) for page in read)
    connector = GenesysCloudConnector(ConnectionInfo(conn_id="gc", login="id", password="s",
                                                     extra={"region": "example.com"}),
                                      integration())
    return connector.parse(read)


def _presence(frame: pd.DataFrame):
    presence, routing = (frame[frame.kind.eq(kind).to_numpy()] for kind in
                         ("primaryPresence", "routingStatus"))
    return presence, routing


def test_copies_of_a_status_in_different_chunks_are_kept_once(monkeypatch):
    """A status comes back on several pages (vendors.md 2.6) and pages may be parsed a few at a
    time: whichever page and chunk its copies come in, it is kept once, its closed copy
    winning."""
    closed = {"startTime": "2026-10-25T08:00:00.000Z", "endTime": "2026-10-25T08:30:00.000Z",
              "systemPresence": "BREAK"}
    open_copy = {"startTime": "2026-10-25T08:00:00.000Z", "systemPresence": "BREAK"}
    for copies in ([closed, open_copy], [open_copy, closed]):
        pages = [_page([{"userId": "u1", "primaryPresence": [copy]}]) for copy in copies]
        for frame in (_parsed(*pages), pd.concat([_parsed(page) for page in pages])):
            got = effective_timeline(*_presence(frame), START, END)
            assert got.end_utc.tolist() == [pd.Timestamp("2026-10-25T08:30:00Z")]
    # copies alike but for their reason: the one read last (a later page) is kept
    pages = [_page([{"userId": "u1", "primaryPresence": [{**closed, "organizationPresenceId": r}]}])
             for r in ("first", "second")]
    got = effective_timeline(*_presence(_parsed(*pages)), START, END)
    assert got.reason.tolist() == ["second"]

    monkeypatch.setattr(GenesysCloudConnector, "chunk_records", 3)  # user details per chunk
    with served() as sandbox:
        frame = extract(sandbox, page_size=2)

        assert not frame.duplicated(["external_user_id", "start_utc"]).any()
        assert_matches_truth(frame, sandbox)
        seen = [user for page in sandbox.pages for user in page.user_ids]
        assert len(seen) > len(set(seen))


def test_a_page_reads_the_same_through_arrow_and_through_the_checked_path():
    """Arrow reads a page's bytes straight into columns (issue 10); the checked path reads the
    decoded JSON. Both give the same frame, and a page Arrow cannot read so (a time in
    nanoseconds, a number where text is expected, a field given twice) is read by the checked
    path whole, nothing lost."""
    from agent_status.connectors.genesys_cloud import _Segments

    details = [
        {"userId": "u1", "primaryPresence": [
            {"startTime": "2026-10-25T08:00:00.000Z", "endTime": "2026-10-25T08:30:00.250Z",
             "systemPresence": "BREAK", "organizationPresenceId": "p"},
            {"startTime": "2026-10-25T08:30:00.250Z", "systemPresence": "ON_QUEUE",
             "organizationPresenceId": "q", "unknownField": {"nested": [1, 2]}}],
         "routingStatus": [{"startTime": "2026-10-25T08:30:00.250Z", "routingStatus": "IDLE"}]},
        {"userId": "u2", "primaryPresence": [{"startTime": "2026-10-25T10:00:00+02:00",
                                              "systemPresence": "MEAL"}]},
        {"userId": "u0"}]  # no segments: the arrays are left out
    page = _page(details, totalHits=3)
    assert isinstance(_Segments.read(page), _Segments) and _Segments.read(page).total == 3
    arrow, checked = _parsed(page), _parsed(page, checked=True)
    pd.testing.assert_frame_equal(arrow, checked)
    assert arrow.user_id.tolist() == ["u1", "u1", "u2", "u1"]
    assert arrow.start.iloc[2] == pd.Timestamp("2026-10-25T08:00Z")
    assert arrow.reason.tolist()[:2] == ["p", "q"] and pd.isna(arrow.reason.iloc[2])
    assert pd.isna(arrow.end.iloc[1])

    nanoseconds = {"userId": "u3", "primaryPresence": [
        {"startTime": "2026-10-25T09:00:00.000000001Z", "endTime": "2026-10-25T09:00:01Z",
         "systemPresence": "AWAY"}]}
    number = {"userId": "u3", "primaryPresence": [
        {"startTime": "2026-10-25T09:00:00Z", "systemPresence": "AWAY", "extra": 1}],
        "routingStatus": 7}
    for odd in (_page([*details, nanoseconds]), b'{"userDetails": [{"userId": "u1", '
                b'"userId": "u1"}]}'):
        assert isinstance(_Segments.read(odd), dict)  # decoded for the checked path
    frame = pd.concat([_parsed(page), _parsed(_page([nanoseconds]), checked=True)],
                      ignore_index=True)
    assert frame.user_id.astype(object).tolist() == ["u1", "u1", "u2", "u1", "u3"]
    with pytest.raises(VendorError, match=r"field 'routingStatus' must be a list, got 7"):
        _Segments.of_records([number], None)
    assert isinstance(_Segments.read(_page([number])), dict)
    # a reason that is no text is kept as its text, as before Arrow read the pages
    numeric = _page([{"userId": "u4", "primaryPresence": [
        {"startTime": "2026-10-25T09:00:00Z", "systemPresence": "AWAY",
         "organizationPresenceId": 5}]}])
    assert isinstance(_Segments.read(numeric), dict)
    assert _parsed(numeric, checked=True).reason.tolist() == ["5"]
    # a bare null is JSON, but no page: the checked path says so (Arrow is not asked, it
    # crashes on it: apache/arrow#47409)
    assert _Segments.read(b"null") is None and _Segments.read(b" null\n") is None


def test_a_page_that_is_not_json_is_asked_again():
    """Arrow's reader must not turn a body cut short into a frame: what is not one JSON
    document is a ``ValueError`` for the HTTP client, which asks again (issue 9)."""
    from agent_status.connectors.genesys_cloud import _Segments

    invalid_utf8 = _page([{"userId": "u1", "primaryPresence": [
        {"startTime": "2026-10-25T09:00:00Z", "systemPresence": "AWAY",
         "organizationPresenceId": "R\u00e9N"}]}]).replace(b"\\u00e9", b"\xe9")  # Latin-1 é
    for body in (_page([{"userId": "u1"}])[:-5], b"<html>busy</html>", b"", b'{"a": 1}{"b": 2}',
                 b"\xef\xbb\xbf" + _page([]), invalid_utf8):
        with pytest.raises(ValueError):
            _Segments.read(body)


def test_survives_rate_limits_server_errors_token_expiry_and_short_pages():
    faults = Faults(rate_limit_every=5, server_error_every=7, retry_after_seconds=0)
    with served(faults=faults, token_ttl_requests=4) as sandbox:
        frame = extract(sandbox, page_size=10, users_page_size=10)

        assert_matches_truth(frame, sandbox)
        assert faults.injected["429"] > 0 and faults.injected["5xx"] > 0
        assert sandbox.tokens_issued > 1
        # a short page was followed by more: paging did not stop there (vendors.md 2.3)
        assert sandbox.short_pages
        last = sandbox.pages[-1]
        assert last.user_ids == () and not last.more_follow


def test_open_statuses_have_no_end_when_now_falls_inside_the_interval():
    now = dt.datetime(2026, 10, 26, 4, 30, tzinfo=UTC)  # 05:30 in Paris: night shifts at work
    with served(now=now) as sandbox:
        frame = extract(sandbox)

        assert_matches_truth(frame, sandbox)
        open_ = imported(frame)[lambda f: f.end_utc.isna()]
        assert sorted(open_.external_user_id) == sorted(a.user_name for a in sandbox.simulator.agents)
        assert open_.vendor_activity_id.str.startswith("ON_QUEUE/").any()
        assert (frame.start_utc < pd.Timestamp(now)).all()


def test_an_interval_longer_than_seven_days_is_split_into_accepted_windows():
    start, end = dt.datetime(2026, 10, 19, 22, tzinfo=UTC), dt.datetime(2026, 10, 29, 23, tzinfo=UTC)
    with served(simulator=Simulator(agent_count=8)) as sandbox:
        frame = extract(sandbox, start, end)

        assert len({interval for interval in sandbox.intervals}) == 2
        assert all(upper - lower <= dt.timedelta(days=7) for lower, upper in sandbox.intervals)
        assert_matches_truth(frame, sandbox, start, end)


def test_a_bad_request_is_fatal_and_names_the_vendor_message():
    start, end = dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 10, 9, tzinfo=UTC)
    with served(simulator=Simulator(agent_count=2)) as sandbox:
        with pytest.raises(VendorError, match=r"HTTP 400 .*maximum of 7 days"):
            extract(sandbox, start, end, window_days=8)
        assert sandbox.requests.count(("POST", DETAILS_PATH)) == 1


def test_a_missing_permission_is_fatal_and_names_it():
    with served(simulator=Simulator(agent_count=2), permissions=("directory:user:view",)) as sandbox:
        with pytest.raises(VendorError, match=r"HTTP 403 .*analytics:userDetail:view"):
            extract(sandbox)
        assert sandbox.requests.count(("POST", DETAILS_PATH)) == 1


def test_wrong_client_secret_is_fatal():
    with served(simulator=Simulator(agent_count=2)) as sandbox:
        connection = sandbox.connection()
        wrong = ConnectionInfo(conn_id=connection.conn_id, host=connection.host,
                               login=connection.login, password="not-the-secret",
                               extra=connection.extra)
        connector = GenesysCloudConnector(wrong, integration())
        with pytest.raises(VendorError, match="HTTP 401"):
            list(connector.extract(START, END))
        assert sandbox.tokens_issued == 0


def test_a_user_missing_from_the_directory_fails_naming_the_user_id():
    agent = Simulator(agent_count=3).agents[1]
    with served(simulator=Simulator(agent_count=3), unlisted_user_names=(agent.user_name,)) as sandbox:
        with pytest.raises(VendorError, match=sandbox.user_id(agent)):
            extract(sandbox)


def test_region_gives_token_url_and_api_host():
    connection = ConnectionInfo(conn_id="gc", login="id", password="secret",
                                extra={"region": "mypurecloud.de"})
    connector = GenesysCloudConnector(connection, integration())
    assert connector.auth.token_url == "https://login.mypurecloud.de/oauth/token"
    assert connector.http.base_url == "https://api.mypurecloud.de"
    with pytest.raises(VendorError, match="region"):
        GenesysCloudConnector(ConnectionInfo(conn_id="gc", login="id", password="s"), integration())
    # the token URL under the provider form's name, auth_url, or the former token_url
    for name in ("auth_url", "token_url"):
        connection = ConnectionInfo(conn_id="gc", host="https://api.example", login="id",
                                    password="secret", extra={name: "https://id.example/token"})
        connector = GenesysCloudConnector(connection, integration())
        assert connector.auth.token_url == "https://id.example/token"
        assert connector.http.base_url == "https://api.example"


def test_effective_timeline_rule_on_the_cases_the_sandbox_does_not_produce():
    """Uncovered on-queue time, NOT_RESPONDING, OFF_QUEUE lag, routing outside ON_QUEUE,
    secondary presence, an open end: the rule of the connector's docstring."""
    t = lambda hhmm: pd.Timestamp(f"2026-10-25T{hhmm}:00Z")  # noqa: E731
    presence = pd.DataFrame({
        "user_id": "u1",
        "start": [t("07:00"), t("08:00"), t("09:00"), t("10:00")],
        "end": [t("08:00"), t("09:00"), t("10:00"), pd.NaT],
        "code": ["OFFLINE", "ON_QUEUE", "AWAY", "ON_QUEUE"],
        "reason": [None, "on-queue-def", "lunch-def", None]})
    routing = pd.DataFrame({
        "user_id": "u1",
        "start": [t("07:00"), t("08:00"), t("08:01"), t("08:20"), t("08:30"), t("09:05"), t("10:00")],
        "end": [t("08:00"), t("08:01"), t("08:20"), t("08:30"), t("09:05"), t("10:00"), pd.NaT],
        "code": ["OFF_QUEUE", "OFF_QUEUE", "IDLE", "NOT_RESPONDING", "INTERACTING", "OFF_QUEUE",
                 "IDLE"]})
    for frame in (presence, routing):
        for column in ("start", "end"):
            frame[column] = frame[column].astype("datetime64[us, UTC]")
    got = effective_timeline(presence, routing, t("07:30"), t("12:00"))

    assert got.vendor_activity_id.tolist() == [
        "OFFLINE", "ON_QUEUE", "ON_QUEUE/IDLE", "ON_QUEUE/NOT_RESPONDING", "ON_QUEUE/INTERACTING",
        "AWAY", "ON_QUEUE/IDLE"]
    assert got.vendor_activity_name.tolist() == [
        "Offline", "On Queue", "On Queue - Idle", "On Queue - Not Responding",
        "On Queue - Interacting", "Away", "On Queue - Idle"]
    assert got.reason.tolist() == [None, None, None, None, None, "lunch-def", None]
    assert got.start_utc.tolist() == [t("07:00"), t("08:00"), t("08:01"), t("08:20"), t("08:30"),
                                      t("09:00"), t("10:00")]
    assert got.end_utc.tolist()[:-1] == [t("08:00"), t("08:01"), t("08:20"), t("08:30"),
                                         t("09:00"), t("10:00")]
    assert pd.isna(got.end_utc.iloc[-1])


def test_uncovered_on_queue_time_outside_the_interval_is_not_invented():
    t = lambda hhmm: pd.Timestamp(f"2026-10-25T{hhmm}:00Z")  # noqa: E731
    presence = pd.DataFrame({"user_id": "u1", "start": [t("08:00")], "end": [t("12:00")],
                             "code": ["ON_QUEUE"], "reason": [None]})
    routing = pd.DataFrame({"user_id": "u1", "start": [t("09:50")], "end": [t("10:10")],
                            "code": ["INTERACTING"]})
    for frame in (presence, routing):
        for column in ("start", "end"):
            frame[column] = frame[column].astype("datetime64[us, UTC]")
    got = effective_timeline(presence, routing, t("10:00"), t("11:00"))

    assert list(zip(got.vendor_activity_id, got.start_utc, got.end_utc)) == [
        ("ON_QUEUE/INTERACTING", t("09:50"), t("10:10")), ("ON_QUEUE", t("10:10"), t("11:00"))]


def test_a_multi_day_status_is_stored_on_its_start_and_end_day_only():
    """vendors.md 2.3 (corrected): not once per day it touches."""
    with served(simulator=Simulator(agent_count=6)) as sandbox:
        stored = sandbox.stored_days(START - dt.timedelta(days=3), END)
        days = stored.groupby(["user_id", "kind", "start_utc", "end_utc"]).day.agg(
            ["count", "min", "max"]).reset_index()
        first = days.start_utc.dt.floor("D")
        last = (days.end_utc - pd.Timedelta(microseconds=1)).dt.floor("D")
        assert ((last - first).dt.days >= 2).any()  # statuses over three days or more...
        assert days["count"].max() == 2  # ...are stored on two days, not on each
        assert (days["min"] == first).all() and (days["max"] == last).all()


def test_a_status_spanning_a_whole_window_is_not_lost():
    """A status over a weekend off, stored on no day of a one-day window inside it."""
    simulator = Simulator(agent_count=6)
    truth = simulator.segments(START - dt.timedelta(days=7), END + dt.timedelta(days=7))
    off = truth[truth.state.eq("logged_out")
                & (truth.end_utc - truth.start_utc > pd.Timedelta(hours=50))].iloc[0]
    day = off.start_utc.floor("D") + pd.Timedelta(days=1)
    start, end = day.to_pydatetime(), (day + pd.Timedelta(days=1)).to_pydatetime()
    assert off.start_utc < day and day + pd.Timedelta(days=1) < off.end_utc
    with served(simulator=simulator) as sandbox:
        agent = simulator.agents[int(off.agent)]
        stored = sandbox.stored_days(start, end)
        mine = stored[stored.user_id.eq(sandbox.user_id(agent))
                      & stored.start_utc.eq(off.start_utc)]
        assert set(mine.kind) == {"presence", "routing"}
        assert not ((mine.day >= day) & (mine.day < day + pd.Timedelta(days=1))).any()

        frame = extract(sandbox, start, end, window_days=1, page_size=2)

        kept = frame[frame.external_user_id.eq(agent.user_name)]
        assert list(zip(kept.vendor_activity_id, kept.start_utc, kept.end_utc)) == [
            ("OFFLINE", off.start_utc, off.end_utc)]
        assert_matches_truth(frame, sandbox, start, end)


@pytest.mark.parametrize("bias", [-0.05, 0.05])
def test_an_approximate_total_hits_is_allowed_for(bias):
    with served(total_hits_bias=bias) as sandbox:
        frame = extract(sandbox, page_size=10)

        assert_matches_truth(frame, sandbox)


@pytest.mark.parametrize("fault", [PagingFaults(blank_page=3), PagingFaults(repeated_page=3)],
                         ids=["blank", "repeated"])
def test_a_transient_paging_fault_is_healed_by_asking_again(fault):
    with served(details_paging=fault) as sandbox:
        frame = extract(sandbox, page_size=10)

        assert sum(fault.injected.values()) == 1
        assert_matches_truth(frame, sandbox)


@pytest.mark.parametrize(("details", "users", "message"), [
    (PagingFaults(blank_page=3, blank_times=99), None,
     r"details .*page 3 has no userDetails after about \d+ of the \d+ userDetails totalHits"),
    (PagingFaults(repeated_page=3, repeated_times=99), None, r"details .*(page 3 repeats page 2|repeating a page)"),
    (PagingFaults(endless=True), None, r"details .*paging did not end after \d+ pages"),
    (None, PagingFaults(blank_page=2, blank_times=99), r"users.*page 2 has no entities after \d+ of the \d+ entities total"),
    (None, PagingFaults(repeated_page=2, repeated_times=99), r"users.*page 2 repeats page 1"),
    (None, PagingFaults(endless=True), r"users.*paging did not end after \d+ pages"),
], ids=["details-blank", "details-repeated", "details-endless", "users-blank", "users-repeated",
        "users-endless"])
def test_a_lasting_paging_fault_fails_the_night_never_a_partial_one(details, users, message):
    """Issue 9: a page without userDetails, a repeated page or pages that never run out end as
    a clear error, after a bounded number of requests."""
    with served(details_paging=details, users_paging=users) as sandbox:
        with pytest.raises(VendorError, match=message):
            extract(sandbox, page_size=10, users_page_size=5)
        assert len(sandbox.requests) < 200


@pytest.mark.parametrize(("kind", "field", "value", "message"), [
    (None, "userId", None, r"userId of user details record .*: None"),
    ("primaryPresence", "startTime", None,
     r"startTime of primaryPresence segment of user [0-9a-f-]+: None"),
    ("routingStatus", "startTime", "25/10/2026 08:00",
     r"startTime of routingStatus segment of user [0-9a-f-]+: '25/10/2026 08:00'"),
    ("primaryPresence", "endTime", "soon",
     r"endTime of primaryPresence segment starting \S+ of user [0-9a-f-]+: 'soon'"),
    ("primaryPresence", "systemPresence", None,
     r"systemPresence of primaryPresence segment starting \S+ of user [0-9a-f-]+: None"),
    ("routingStatus", "routingStatus", "",
     r"routingStatus of routingStatus segment starting \S+ of user [0-9a-f-]+: ''"),
], ids=["userId", "presence-startTime", "routing-startTime", "endTime", "systemPresence",
        "routingStatus"])
def test_a_record_of_unexpected_shape_fails_naming_field_and_value(kind, field, value, message):
    """Issue 8 finding 4: a missing start, presence or routing code is no empty time or None
    state, and a record without userId no KeyError."""
    with served(simulator=Simulator(agent_count=2)) as sandbox:
        original = sandbox.handle

        def spoiled(method, path, query, headers, body):
            status, extra, payload = original(method, path, query, headers, body)
            if path == DETAILS_PATH and payload.get("userDetails"):
                detail = payload["userDetails"][0]
                target = detail if kind is None else detail[kind][0]
                if value is None:
                    target.pop(field)
                else:
                    target[field] = value
            return status, extra, payload

        sandbox.handle = spoiled
        with pytest.raises(VendorError, match=r"^Genesys Cloud " + message):
            extract(sandbox)
