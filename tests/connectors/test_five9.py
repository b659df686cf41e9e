"""Contract tests: the Five9 connector against its SOAP sandbox over real HTTP (vendors.md 1).

Time is a fake clock shared by the connector (its waits and rate budgets) and the sandbox (its
domain quotas), so minute quotas and 60-second waits cost nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.five9 import Five9Connector, fault_error, service_url
from agent_status.connectors.http import RetriableError
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.report_job import JobNotReady
from agent_status.connectors.soap import read_fault
from agent_status.frames import RAW_EVENT_COLUMNS, conform_raw_events
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status_dev.sandboxes.base import Faults
from agent_status_dev.sandboxes.five9 import NOT_READY_TYPED, SOAP_ENV, Five9Sandbox, _fault
from agent_status_dev.simulator import clip

UTC = dt.timezone.utc
# two Paris nights, 31 October and 1 November 2026; Pacific time falls back on 1 November
# (01:00-02:00 PDT then PST = 08:00-10:00Z), while Paris agents work
NIGHTS = (dt.date(2026, 10, 31), dt.date(2026, 11, 1))
START = dt.datetime(2026, 10, 30, 23, tzinfo=UTC)
END = dt.datetime(2026, 11, 1, 23, tzinfo=UTC)
COMPARED = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self):
        self.now = 0.0
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self.now += seconds


def integration(source_timezone=None, **options) -> Integration:
    options.setdefault("poll_seconds", 1.0)
    return Integration(name="f9", vendor="five9", conn_id="x", timezone="Europe/Paris",
                       start_date=dt.date(2026, 10, 1), source_timezone=source_timezone,
                       options=options)


@contextmanager
def served(**sandbox_args):
    clock = sandbox_args.setdefault("clock", FakeClock())
    with Five9Sandbox(**sandbox_args) as sandbox:
        yield sandbox, clock


def extract(sandbox: Five9Sandbox, clock: FakeClock, start=START, end=END, connection=None,
            row_cap=None, source_timezone=None, **options) -> pd.DataFrame:
    connector = Five9Connector(connection or sandbox.connection(),
                               integration(source_timezone, **options),
                               row_cap=row_cap, sleep=clock.sleep, clock=clock)
    try:
        return pd.concat(list(connector.extract(start, end)), ignore_index=True)
    finally:
        connector.close()


def imported(raw: pd.DataFrame, rule: str = Five9Connector.overlap_rule,
             nights=NIGHTS) -> pd.DataFrame:
    """What the pipeline keeps of the connector's output: normalised night by night."""
    nights = [night_for_date(integration(), night_date) for night_date in nights]
    return pd.concat([conform_raw_events(normalise(raw, night, rule))[COMPARED]
                      for night in nights], ignore_index=True)


def truth(expected: pd.DataFrame, nights=NIGHTS) -> pd.DataFrame:
    """The sandbox's truth, clipped night by night the same way."""
    nights = [night_for_date(integration(), night_date) for night_date in nights]
    return pd.concat([conform_raw_events(clip(expected, night.start_utc, night.end_utc))[COMPARED]
                      for night in nights], ignore_index=True)


def assert_matches_truth(raw: pd.DataFrame, sandbox: Five9Sandbox, nights=NIGHTS, start=START,
                         end=END) -> None:
    want = truth(sandbox.expected(start, end), nights)
    assert len(want) > 2000
    pd.testing.assert_frame_equal(imported(raw, nights=nights), want, check_dtype=False)


# 1.4, 1.6: no document says whether criteria.time is read as an instant or as wall time
CRITERIA = pytest.mark.parametrize("criteria_wall_time", [False, True],
                                   ids=["criteria_instant", "criteria_wall_time"])


@CRITERIA
def test_output_equals_the_truth_over_two_nights_across_the_repeated_pacific_hour(
        criteria_wall_time):
    with served(criteria_wall_time=criteria_wall_time) as (sandbox, clock):
        raw = extract(sandbox, clock)

        assert list(raw.columns) == RAW_EVENT_COLUMNS
        assert set(raw.external_user_id) == set(sandbox.expected(START, END).external_user_id)
        assert set(raw.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
        assert_matches_truth(raw, sandbox)
        # rows from both occurrences of 01:xx Pacific were served and placed apart (1.6)
        assert sandbox.injected["ambiguous_hour"] > 0
        fall_back = dt.datetime(2026, 11, 1, 9, tzinfo=UTC)
        assert not [window for window in sandbox.criteria if window[0] < fall_back < window[1]]
        hour = raw.start_utc.dt.floor("h")
        assert (hour == pd.Timestamp("2026-11-01 08:00Z")).sum() > 50  # 01:xx PDT
        assert (hour == pd.Timestamp("2026-11-01 09:00Z")).sum() > 50  # 01:xx PST
        # the Latin-1 reason code came through intact (1.4)
        assert sandbox.injected["latin1"] > 0
        assert "Not Ready/Pause café" in set(raw.vendor_activity_id)
        # the margin before the interval was read for states running into it (1.6)
        assert min(start for start, _ in sandbox.criteria) < START
        assert sandbox.calls["runReport"] == sandbox.calls["getReportResultCsv"] == 4


def test_overlapping_states_are_resolved_by_injixo_rule():
    with served(overlap_every=3) as (sandbox, clock):
        raw = extract(sandbox, clock)

        assert sandbox.injected["overlap"] > 100
        ordered = raw.sort_values(["external_user_id", "start_utc", "end_utc"])
        same_agent = ordered.external_user_id.eq(ordered.external_user_id.shift())
        assert (same_agent & (ordered.start_utc < ordered.end_utc.shift())).sum() > 100
        assert_matches_truth(raw, sandbox)
        # the rule matters: the default one loses the short Ready states
        assert len(imported(raw, "later_start_wins")) < len(truth(sandbox.expected(START, END)))


@CRITERIA
def test_a_result_at_the_row_cap_is_read_again_in_halves(criteria_wall_time):
    cap = 400
    with served(row_cap=cap, criteria_wall_time=criteria_wall_time) as (sandbox, clock):
        raw = extract(sandbox, clock, row_cap=cap, min_window_minutes=5)

        assert sandbox.injected["capped"] > 0  # the sandbox did truncate results
        assert max(sandbox.result_sizes) == cap
        assert sandbox.calls["runReport"] > 10
        assert_matches_truth(raw, sandbox)
        # runReport stayed within 16 a minute, 120 an hour (1.3): waited, never refused
        assert sandbox.injected["quota_enforced"] == 0
        times = pd.Series(sandbox.call_times["runReport"])
        assert all(((times >= t) & (times < t + 60)).sum() <= 16 for t in times)
        assert clock.now >= 60 * (sandbox.calls["runReport"] // 16 - 1)


def test_a_result_at_the_row_cap_that_cannot_be_cut_further_fails():
    with served(row_cap=50) as (sandbox, clock):
        with pytest.raises(VendorError, match=r"50-row cap.*min_window_minutes=240"):
            extract(sandbox, clock, row_cap=50, min_window_minutes=240)


@pytest.mark.parametrize("typed_faults", [
    pytest.param(True, id="typed_detail"),
    # non-contract: the sandbox's quota words without a typed detail are ours [I] (1.3, 1.4)
    pytest.param(False, id="faultstring_only", marks=pytest.mark.non_contract)])
def test_quota_and_not_ready_faults_are_waited_out(typed_faults):
    """1.4: the WSDL types them in <detail>; their faultstring's wording is not documented:
    the faultstring-only variant checks our own guess, not Five9's contract."""
    faults = Faults(server_error_every=11, retry_after_seconds=0)
    with served(quota_fault_every=2, not_ready_every=2, running_polls=3, faults=faults,
                typed_faults=typed_faults) as (sandbox, clock):
        raw = extract(sandbox, clock, window_hours=6)

        assert_matches_truth(raw, sandbox)
        assert sandbox.injected["quota"] > 3 and sandbox.injected["not_ready"] > 3
        assert faults.injected["5xx"] > 0
        assert sandbox.injected["quota_enforced"] == 0
        assert clock.waits.count(Five9Connector.quota_wait_seconds) >= sandbox.injected["quota"]
        assert sandbox.calls["isReportRunning"] >= 3 * len(sandbox.criteria)


def test_states_running_at_job_time_come_with_a_later_run():
    now = dt.datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # inside the second night
    key = ["external_user_id", "start_utc"]
    with served(now=now) as (sandbox, clock):
        early = extract(sandbox, clock)
        expected = sandbox.expected(START, END)
        running = expected[expected.end_utc.isna()]
        assert len(running) > 5
        # [I] a state is reported once it has ended: the running ones are missing, the rest exact
        assert running[key].merge(imported(early)[key]).empty
        pd.testing.assert_frame_equal(imported(early), truth(expected[expected.end_utc.notna()]),
                                      check_dtype=False)

        sandbox.now = END + dt.timedelta(days=1)  # the next night's run re-reads (lookback)
        later = extract(sandbox, clock)
        assert len(running[key].merge(imported(later)[key])) == len(running)
        assert_matches_truth(later, sandbox)


def test_faults_and_refusals_are_fatal_with_a_clear_message():
    with served() as (sandbox, clock):
        with pytest.raises(VendorError, match=r'SOAP fault ReportNotFoundFault: Report "Nope" in '
                                              r'folder "Agent Reports" not found \(folder='):
            extract(sandbox, clock, report_name="Nope")
        wrong = ConnectionInfo(conn_id="five9", host=sandbox.base_url, login="wfm.import",
                               password="wrong")
        with pytest.raises(VendorError, match=r"HTTP 401.*'wfm.import'"):
            extract(sandbox, clock, connection=wrong)
        assert "wrong" not in repr(wrong)
    with served(running_polls=10**6) as (sandbox, clock):
        with pytest.raises(VendorError, match=r"to finish not there 1800s after"):
            extract(sandbox, clock, poll_seconds=60)
        assert 25 <= sandbox.calls["isReportRunning"] <= 35


def test_service_url_from_host_region_or_data_center():
    def url(host="", data_center="us", **extra):
        return service_url(ConnectionInfo(conn_id="c", host=host, extra=extra), data_center)

    assert url() == "https://api.five9.com/wsadmin/v13/AdminWebService"
    assert url(data_center="uk") == "https://api.five9.eu/wsadmin/v13/AdminWebService"
    assert url(region="uk", data_center="uk") == "https://api.five9.eu/wsadmin/v13/AdminWebService"
    assert url(region="EU", data_center="eu").startswith("https://api.eu.five9.com/")
    assert url(data_center="ca").startswith("https://api.five9.ca/")
    assert url("api.five9.eu", data_center="uk") == \
        "https://api.five9.eu/wsadmin/v13/AdminWebService"
    assert url("https://x.example/wsadmin/v12/AdminWebService") == \
        "https://x.example/wsadmin/v12/AdminWebService"
    with pytest.raises(VendorError, match="region"):
        url(region="mars")
    # the connection and the option must agree: the option decides the zone of report times
    with pytest.raises(VendorError, match=r"points at the 'uk' data center but option "
                                          r"data_center is 'us'; set data_center: uk"):
        url("api.five9.eu")
    with pytest.raises(VendorError, match=r"'eu' data center but option data_center is 'ca'"):
        url(region="eu", data_center="ca")


@CRITERIA
@pytest.mark.parametrize("window_hours", [2, 23])
def test_short_windows_across_the_repeated_hour_read_every_row_once(criteria_wall_time,
                                                                    window_hours):
    """From 22:30Z less the 12-hour margin, windows of 2 or 23 hours put a bound at 08:30Z,
    01:30 PDT, inside the first occurrence of 01:xx: read as wall time, a window up to there
    and one from the fall-back (01:00 PST) would both return 01:00-01:30 of both occurrences."""
    start = START - dt.timedelta(minutes=30)
    with served(criteria_wall_time=criteria_wall_time) as (sandbox, clock):
        raw = extract(sandbox, clock, start=start, window_hours=window_hours)

        assert_matches_truth(raw, sandbox)
        # no row was returned by two windows, none was missed
        assert sum(sandbox.result_sizes) == len(sandbox._report_rows(
            pd.Timestamp(sandbox.criteria[0][0]), pd.Timestamp(sandbox.criteria[-1][1])))
        assert dt.datetime(2026, 11, 1, 8, 30, tzinfo=UTC) in [w[0] for w in sandbox.criteria]


def test_the_report_zone_follows_the_data_center_unless_source_timezone_is_set():
    zone = {dc: integration(data_center=dc).source_zone.key for dc in ("us", "uk", "ca", "eu")}
    assert zone == {"us": "America/Los_Angeles", "uk": "Europe/London",
                    "ca": "America/Vancouver", "eu": "Europe/Berlin"}
    assert integration().source_zone.key == "America/Los_Angeles"  # US, Five9's docs (1.4)
    assert integration("Europe/Dublin", data_center="uk").source_zone.key == "Europe/Dublin"
    with pytest.raises(ValueError, match="data_center"):
        VENDORS["five9"].check_options({"data_center": "de"})


@pytest.mark.parametrize("data_center", ["uk", "ca", "eu"])
def test_report_times_are_read_in_the_data_centers_zone(data_center):
    """1.4, contested: Matatika's tap localises UK, CA and EU reports in their own zone."""
    with served(data_center=data_center) as (sandbox, clock):
        raw = extract(sandbox, clock, data_center=data_center)

        assert_matches_truth(raw, sandbox)


def test_source_timezone_overrides_the_data_centers_zone():
    """The escape hatch for a domain whose reports are in another zone than its data center's."""
    with served(data_center="eu") as (sandbox, clock):
        raw = extract(sandbox, clock, source_timezone="Europe/Berlin")  # data_center: us

        assert_matches_truth(raw, sandbox)


@CRITERIA
def test_the_repeated_hour_is_placed_in_the_data_centers_zone(criteria_wall_time):
    """London falls back on 25 October (01:00-02:00 BST then GMT): night-shift rows of both
    occurrences come back apart, the windows cut there, not at Pacific's fall-back."""
    nights = (dt.date(2026, 10, 24), dt.date(2026, 10, 25))
    start, end = dt.datetime(2026, 10, 23, 22, tzinfo=UTC), dt.datetime(2026, 10, 25, 23, tzinfo=UTC)
    with served(data_center="uk", criteria_wall_time=criteria_wall_time) as (sandbox, clock):
        raw = extract(sandbox, clock, start, end, data_center="uk")

        assert sandbox.injected["ambiguous_hour"] > 0
        fall_back = dt.datetime(2026, 10, 25, 1, tzinfo=UTC)
        assert not [window for window in sandbox.criteria if window[0] < fall_back < window[1]]
        assert_matches_truth(raw, sandbox, nights, start, end)


def test_dates_written_the_way_matatikas_tap_reads_them_are_read():
    """1.4, contested: DATE as ``YYYY/MM/DD`` (the default sandbox) or ``Tue, 07 May 2024``."""
    with served(date_format="%a, %d %b %Y") as (sandbox, clock):
        raw = extract(sandbox, clock)

        dates = sandbox._report_rows(pd.Timestamp(START), pd.Timestamp(END)).DATE
        assert dates.str.fullmatch(r"(Fri|Sat|Sun), \d{2} (Oct|Nov) 2026").all()
        assert_matches_truth(raw, sandbox)


def test_a_date_in_any_other_format_fails_naming_it():
    with served(date_format="%d.%m.%Y") as (sandbox, clock):
        with pytest.raises(VendorError, match=r"Five9 report Agent Reports/Agent State Details: "
                                              r"DATE must be YYYY/MM/DD or Tue, 07 May 2024, "
                                              r"got '\d{2}\.10\.2026'"):
            extract(sandbox, clock)


def _fault_element(message: str, fault: str | None = None, **fields):
    """A SOAP fault as the sandbox renders it, read."""
    import xml.etree.ElementTree as ET

    _, _, body = _fault("env:Server", message, fault, **fields)
    return read_fault(ET.fromstring(body).find(f".//{{{SOAP_ENV}}}Fault"))


def test_a_fault_is_told_by_its_typed_detail_before_its_words():
    what = "Five9 runReport"
    typed_quota = fault_error(_fault_element(
        "Maximum number of Web Services requests for the minute has been exceeded",
        "OperationsLimitExceededFault", limit=16, operationType="runReport"), what, 60.0)
    assert isinstance(typed_quota, RetriableError) and typed_quota.wait_seconds == 60.0
    assert "OperationsLimitExceededFault" in str(typed_quota) and "limit=16" in str(typed_quota)
    assert isinstance(fault_error(_fault_element(NOT_READY_TYPED, "ResultIsNotReadyFault"),
                                  what, 60.0), JobNotReady)
    # a typed fault of another kind is fatal, whatever its words suggest
    other = fault_error(_fault_element("Limit of 500 skills is exceeded",
                                       "ObjectsCountLimitExceededFault", limit=500), what, 60.0)
    assert type(other) is VendorError
    assert "SOAP fault ObjectsCountLimitExceededFault: Limit of 500 skills" in str(other)


@pytest.mark.non_contract
def test_a_fault_without_typed_detail_is_told_by_its_words():
    """Not Five9's contract: "not ready" words are PSFive9Admin's (1.3), the quota words are
    our guess [I]; no document fixes a faultstring (1.4)."""
    what = "Five9 runReport"
    assert isinstance(fault_error(_fault_element("Result is not ready"), what, 60.0), JobNotReady)
    assert isinstance(fault_error(_fault_element("Limit of 16 requests per minute for method "
                                                 "runReport is exceeded"), what, 60.0),
                      RetriableError)
    assert type(fault_error(_fault_element("Something else"), what, 60.0)) is VendorError
