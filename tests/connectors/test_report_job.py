"""The shared report-job loop: status mapping, poll interval, "not ready" waits, job timeout,
download, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.registry import VendorSpec
from agent_status.connectors.report_job import JobNotReady, JobStatus, ReportJob, ReportJobSource
from agent_status.connectors.windows import Windows

STATUSES = {"queued": JobStatus.RUNNING, "busy": JobStatus.RUNNING,
            "done": JobStatus.COMPLETED, "failed": JobStatus.FAILED,
            "canceled": JobStatus.FAILED}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class Vendor:
    """A scripted vendor: each job answers ``polls`` status requests "queued" or "busy" before
    "done" (or ``fail``'s status), its result is refused ``refusals`` times, and it records how
    many jobs were in flight at once."""

    def __init__(self, polls: int = 2, refusals: int = 0, fail: set[str] = frozenset(),
                 work_seconds: float = 0.0, refusal_wait: float = 7.0,
                 fail_status: str = "failed"):
        self.polls, self.refusals, self.fail = polls, refusals, fail
        self.work_seconds, self.refusal_wait = work_seconds, refusal_wait
        self.fail_status = fail_status
        self.created: list[str] = []
        self.status_calls: dict[str, int] = {}
        self.download_calls: dict[str, int] = {}
        self.active = self.max_active = 0
        self._lock = threading.Lock()

    def create(self, request: str) -> str:
        with self._lock:
            self.created.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        return f"job-{request}"

    def status(self, job_id: str) -> str:
        time.sleep(self.work_seconds)
        with self._lock:
            self.status_calls[job_id] = self.status_calls.get(job_id, 0) + 1
            calls = self.status_calls[job_id]
        if job_id.removeprefix("job-") in self.fail:
            return self.fail_status
        return "done" if calls > self.polls else ("queued", "busy")[calls % 2]

    def download(self, job_id: str) -> str:
        with self._lock:
            self.download_calls[job_id] = self.download_calls.get(job_id, 0) + 1
            if self.download_calls[job_id] <= self.refusals:
                raise JobNotReady("Result is not ready", wait_seconds=self.refusal_wait)
            self.active -= 1
        return f"rows of {job_id}"


def job(vendor: Vendor, clock: FakeClock | None = None, **settings) -> ReportJob:
    timing = {"sleep": clock.sleep, "clock": clock} if clock else {}
    settings.setdefault("status_mapping", STATUSES)
    return ReportJob(name="Test report", create=vendor.create, status=vendor.status,
                     download=vendor.download, **timing, **settings)


def test_a_job_is_created_polled_every_interval_and_downloaded():
    vendor, clock = Vendor(polls=3), FakeClock()
    assert job(vendor, clock, poll_seconds=5).run("a") == "rows of job-a"
    assert vendor.status_calls == {"job-a": 4} and vendor.download_calls == {"job-a": 1}
    assert clock.waits == [5, 5, 5]


def test_not_ready_answers_are_waits_not_failures():
    vendor, clock = Vendor(polls=0, refusals=2), FakeClock()
    assert job(vendor, clock, poll_seconds=5).run("a") == "rows of job-a"
    assert vendor.download_calls == {"job-a": 3}
    assert clock.waits == [7.0, 7.0]  # the wait the answer asked for


def test_not_ready_while_polling_counts_as_still_running():
    clock = FakeClock()
    answers = iter([JobNotReady("Report is not yet finishing running"), "busy", "done"])

    def status(job_id):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    report = ReportJob("Test report", create=lambda r: "j1", status=status,
                       status_mapping=STATUSES, download=lambda j: "rows", poll_seconds=2,
                       sleep=clock.sleep, clock=clock)
    assert report.run("a") == "rows"
    assert clock.waits == [2, 2]


def test_a_job_not_done_in_time_fails_naming_it_and_the_last_answer():
    vendor, clock = Vendor(polls=10**6), FakeClock()
    with pytest.raises(VendorError, match=r"Test report job job-a: to finish not there 60s "
                                          r"after its creation \(last answer: still running\)"):
        job(vendor, clock, poll_seconds=5, timeout_seconds=60).run("a")
    assert 11 <= vendor.status_calls["job-a"] <= 13

    vendor, clock = Vendor(polls=0, refusals=10**6), FakeClock()
    with pytest.raises(VendorError, match=r"result not there .*Result is not ready"):
        job(vendor, clock, timeout_seconds=60).run("a")


def test_a_failed_job_fails_at_once():
    vendor, clock = Vendor(fail={"a"}), FakeClock()
    with pytest.raises(VendorError, match="Test report job job-a ended 'failed'"):
        job(vendor, clock).run("a")
    assert vendor.status_calls == {"job-a": 1} and clock.waits == []
    assert vendor.download_calls == {}
    # every status word mapped to FAILED is a failure, named as the vendor said it
    vendor = Vendor(fail={"a"}, fail_status="canceled")
    with pytest.raises(VendorError, match="job-a ended 'canceled'"):
        job(vendor, FakeClock()).run("a")


def test_the_status_mapping_decides_what_a_status_means():
    """The same vendor answers, read through another mapping, mean something else."""
    vendor, clock = Vendor(polls=1), FakeClock()  # "busy" once, then "done"
    busy_is_done = {**STATUSES, "busy": JobStatus.COMPLETED}
    assert job(vendor, clock, status_mapping=busy_is_done).run("a") == "rows of job-a"
    assert vendor.status_calls == {"job-a": 1} and clock.waits == []
    vendor, clock = Vendor(polls=1), FakeClock()
    with pytest.raises(VendorError, match="job-a ended 'busy'"):
        job(vendor, clock, status_mapping={**STATUSES, "busy": JobStatus.FAILED}).run("a")
    assert vendor.download_calls == {}


def test_the_result_is_downloaded_once_and_only_after_completion():
    order: list[str] = []
    answers = iter(["queued", "busy", "busy", "done"])

    def status(job_id):
        order.append("status")
        return next(answers)

    def download(job_id):
        order.append("download")
        return f"rows of {job_id}"

    clock = FakeClock()
    report = ReportJob("Test report", create=lambda r: f"j-{r}", status=status,
                       status_mapping=STATUSES, download=download, poll_seconds=3,
                       sleep=clock.sleep, clock=clock)
    assert report.run("x") == "rows of j-x"
    assert order == ["status"] * 4 + ["download"]
    assert clock.waits == [3, 3, 3] and report.jobs_created == 1


def test_an_unknown_status_fails_naming_it_unless_declared_running():
    vendor, clock = Vendor(fail={"a"}, fail_status="sending"), FakeClock()
    with pytest.raises(VendorError, match=r"job-a: status 'sending' is none of the known "
                                          r"\['busy', 'canceled', 'done', 'failed', 'queued'\]"):
        job(vendor, clock).run("a")
    assert vendor.status_calls == {"job-a": 1}
    # declared running: waited for, bounded by the job timeout, and named when it runs out
    vendor, clock = Vendor(fail={"a"}, fail_status="sending"), FakeClock()
    with pytest.raises(VendorError, match=r"to finish not there 20s after its creation \(last "
                                          r"answer: status 'sending', not a documented one, "
                                          r"taken as running\)"):
        job(vendor, clock, poll_seconds=5, timeout_seconds=20,
            unknown_status=JobStatus.RUNNING).run("a")
    assert vendor.status_calls == {"job-a": 5} and clock.waits == [5, 5, 5, 5]
    # an unknown status that then turns into a known one is just a slower job
    answers = iter(["sending", "sending", "done"])
    clock = FakeClock()
    report = ReportJob("Test report", create=lambda r: "j1", status=lambda j: next(answers),
                       status_mapping=STATUSES, download=lambda j: "rows", poll_seconds=2,
                       unknown_status=JobStatus.RUNNING, sleep=clock.sleep, clock=clock)
    assert report.run("a") == "rows" and clock.waits == [2, 2]


def test_the_poll_bound_counts_from_the_jobs_creation():
    """A job that needs exactly the timeout finishes; one poll more fails."""
    vendor, clock = Vendor(polls=4), FakeClock()  # done at the 5th status call, after 4 waits
    assert job(vendor, clock, poll_seconds=5, timeout_seconds=20).run("a") == "rows of job-a"
    vendor, clock = Vendor(polls=5), FakeClock()
    with pytest.raises(VendorError, match="to finish not there 20s"):
        job(vendor, clock, poll_seconds=5, timeout_seconds=20).run("a")
    assert vendor.status_calls == {"job-a": 5} and vendor.download_calls == {}


def test_run_all_keeps_the_order_and_the_concurrency_limit():
    vendor = Vendor(polls=2, refusals=1, work_seconds=0.01, refusal_wait=0.001)
    report = job(vendor, poll_seconds=0.001, max_concurrent=3)
    requests = [str(n) for n in range(10)]
    assert list(report.run_all(requests)) == [f"rows of job-{n}" for n in requests]
    assert vendor.max_active == report.max_in_flight == 3
    assert report.jobs_created == 10


def test_run_all_stops_starting_jobs_after_a_failure():
    vendor = Vendor(polls=1, fail={"1"}, work_seconds=0.02)
    report = job(vendor, poll_seconds=0.001, max_concurrent=2)
    with pytest.raises(VendorError, match="job-1 ended 'failed'"):
        list(report.run_all([str(n) for n in range(20)]))
    assert len(vendor.created) < 20


def test_one_at_a_time_by_default():
    vendor = Vendor(polls=1)
    report = job(vendor, poll_seconds=0.001)
    assert len(list(report.run_all(["a", "b", "c"]))) == 3
    assert vendor.max_active == 1
    with pytest.raises(ValueError, match="max_concurrent"):
        job(vendor, max_concurrent=0)


# -- ReportJobSource: windows as jobs, a result at the row cap read again in halves ----------

class CappedSource(ReportJobSource):
    """A vendor whose report holds one row per minute of its window, at most ``row_cap``."""

    spec = VendorSpec(name="capped", label="Capped", identifier="user_name",
                      access="report_job", module="tests:CappedSource")
    row_cap, row_cap_of = 100, "getRows"

    def __init__(self, step_hours: float = 2, min_window_minutes: float = 15):
        integration = Integration(name="c", vendor="capped", conn_id="c", timezone="UTC",
                                  start_date=dt.date(2026, 1, 1))
        super().__init__(ConnectionInfo(conn_id="c"), integration)
        self.windows = Windows(dt.timedelta(hours=step_hours), lookback=dt.timedelta(hours=1))
        self.min_window = dt.timedelta(minutes=min_window_minutes)
        self.asked: list[tuple[dt.datetime, dt.datetime]] = []
        self.job = ReportJob("Capped report", create=self._create, status=lambda j: "done",
                             status_mapping=STATUSES, download=self._rows, poll_seconds=0)

    def _create(self, window):
        self.asked.append(window)
        return window

    def _rows(self, window) -> pd.DataFrame:
        start, end = (pd.Timestamp(moment) for moment in window)
        starts = pd.date_range(start, end, freq="1min", inclusive="left")[:self.row_cap]
        return pd.DataFrame({"agent": "a", "start_utc": starts})

    def events(self, rows, start, end):
        return pd.DataFrame({"external_user_id": rows.agent, "vendor_activity_id": "x",
                             "vendor_activity_name": "x", "reason": None,
                             "start_utc": rows.start_utc,
                             "end_utc": rows.start_utc + pd.Timedelta(minutes=1)})


START_2H = dt.datetime(2026, 1, 1, 1, tzinfo=dt.timezone.utc)


def test_a_result_at_the_row_cap_is_read_again_in_halves_and_nothing_is_lost():
    source = CappedSource(step_hours=2)
    events = pd.concat(list(source.extract(START_2H, START_2H + dt.timedelta(hours=1))))
    # 120 minutes from the lookback: 100 rows, at the cap; each half (60 rows) is below it
    lo, hi = START_2H - dt.timedelta(hours=1), START_2H + dt.timedelta(hours=1)
    assert source.asked == [(lo, hi), (lo, START_2H), (START_2H, hi)]
    assert len(events) == 60 and events.start_utc.is_unique  # clipped to the interval
    assert events.start_utc.min() == pd.Timestamp(START_2H)


def test_a_window_that_cannot_be_cut_further_fails_naming_the_cap():
    source = CappedSource(min_window_minutes=61)
    with pytest.raises(VendorError, match=r"Capped report: 100 rows for .* reach the 100-row "
                                          r"cap of getRows .*min_window_minutes=61; lower it"):
        list(source.extract(START_2H, START_2H + dt.timedelta(hours=1)))


def test_the_check_runs_one_job_and_fails_at_the_cap():
    source = CappedSource(step_hours=0.25)
    sample = source.sample(START_2H, START_2H + dt.timedelta(minutes=30))
    assert source.asked == [(START_2H - dt.timedelta(hours=1),
                             START_2H + dt.timedelta(minutes=30))]
    assert len(sample) == 30  # 90 minutes read, clipped to the interval
    with pytest.raises(VendorError, match="the check's one report run .* returned 100 rows, "
                                          "the 100-row cap of getRows"):
        source.sample(START_2H, START_2H + dt.timedelta(hours=1))
