"""Report jobs: create a job, poll its status, download its result (vendors.md 1.3, 4.3).

Five9 and Talkdesk both work this way (Airbyte's ``AsyncHttpJobRepository``). A vendor module
says how to create a job, how to ask for its status and how to download it, and maps its status
words to ``JobStatus``; ``ReportJob`` owns the loop: the poll interval, the job timeout, "not
ready yet" answers turned into waits, and how many jobs run at once. Retries of a single
request (429, 5xx, quota faults) stay in the HTTP layer (``http.RetryPolicy``).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.source import Source

log = logging.getLogger(__name__)

Result = TypeVar("Result")


class JobStatus(enum.Enum):
    """What a vendor's status word means for the loop."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class JobNotReady(VendorError):
    """The vendor says the job or its result is not there yet: wait and ask again, until the
    job timeout (Five9 "Result is not ready" faults, 1.3; an expired download link, 4.6)."""

    def __init__(self, message: str, wait_seconds: float | None = None):
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass
class ReportJob(Generic[Result]):
    """One kind of report job of one vendor.

    ``create(request) -> job id``; ``status(job id) -> the vendor's status word``, looked up in
    ``status_mapping``; ``download(job id) -> result``, once the job is completed. A failed job
    fails at once, naming its status; a status outside the mapping fails too, unless
    ``unknown_status`` says what it means (e.g. RUNNING: waited for, within the job timeout).
    ``status`` and ``download`` may raise ``JobNotReady``: the job is waited for, not failed.
    A job not downloaded ``timeout_seconds`` after its creation raises ``VendorError``.
    """

    name: str  # for messages: which vendor, which report
    create: Callable[[Any], str]
    status: Callable[[str], str]
    status_mapping: Mapping[str, JobStatus]
    download: Callable[[str], Result]
    unknown_status: JobStatus | None = None
    poll_seconds: float = 5.0
    timeout_seconds: float = 1800.0
    max_concurrent: int = 1  # jobs in flight at once, from creation to download
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jobs_created: int = field(default=0, init=False)
    max_in_flight: int = field(default=0, init=False)

    def __post_init__(self):
        if self.max_concurrent < 1:
            raise ValueError(f"{self.name}: max_concurrent must be at least 1")
        self._lock = threading.Lock()
        self._in_flight = 0

    def run(self, request: Any) -> Result:
        """Create one job, wait until it is done, download its result right away."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            job_id = self.create(request)
            with self._lock:
                self.jobs_created += 1
            deadline = self.clock() + self.timeout_seconds
            self._until(lambda: self._completed(job_id), job_id, "to finish", deadline)
            return self._until(lambda: self.download(job_id), job_id, "result", deadline)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _completed(self, job_id: str) -> bool | None:
        """True once the job is completed, None while it runs; a failed job raises."""
        said = self.status(job_id)
        meaning = self.status_mapping.get(said, self.unknown_status)
        if meaning is None:
            raise VendorError(f"{self.name} job {job_id}: status {said!r} is none of the known "
                              f"{sorted(self.status_mapping)}")
        if meaning is JobStatus.FAILED:
            raise VendorError(f"{self.name} job {job_id} ended {said!r}")
        if meaning is JobStatus.COMPLETED:
            return True
        if said not in self.status_mapping:  # waited for, and named if the job times out
            raise JobNotReady(f"status {said!r}, not a documented one, taken as running")
        return None

    def run_all(self, requests: Iterable[Any], run: Callable[[Any], Any] | None = None
                ) -> Iterator[Any]:
        """Results in the order of ``requests``, with at most ``max_concurrent`` jobs in flight;
        the first failure stops the jobs not yet started. ``run(request)``: what is done for
        each request, running jobs one after the other (default: ``self.run``)."""
        run = run or self.run
        requests = list(requests)
        if self.max_concurrent == 1 or len(requests) <= 1:
            for request in requests:
                yield run(request)
            return
        pool = ThreadPoolExecutor(max_workers=min(self.max_concurrent, len(requests)),
                                  thread_name_prefix="report-job")
        try:
            yield from pool.map(run, requests)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _until(self, step: Callable[[], Any], job_id: str, what: str, deadline: float):
        """Repeat ``step`` every poll interval until it returns a value (None = not yet)."""
        last = "still running"
        while True:
            wait = self.poll_seconds
            try:
                value = step()
                if value is not None:
                    return value
            except JobNotReady as error:
                last = str(error)
                if error.wait_seconds is not None:
                    wait = error.wait_seconds
                log.info("%s job %s: %s; asking again in %.1fs", self.name, job_id, error, wait)
            if self.clock() + wait > deadline:
                raise VendorError(f"{self.name} job {job_id}: {what} not there "
                                  f"{self.timeout_seconds:g}s after its creation (last answer: "
                                  f"{last}); raise the job timeout or read shorter windows")
            self.sleep(wait)


class ReportJobSource(Source):
    """A source whose windows are report jobs (``job``), up to its ``max_concurrent`` at once.
    ``read(window)``: the window's result, a frame of rows; a result of ``row_cap`` rows may be
    truncated (a result without paging, Five9 1.3): the window is read again in halves, cut at
    ``windows.middle(window)``, down to ``min_window``, and fails rather than losing rows.
    ``parse``: the pages, together (rows of every window meet, e.g. to be placed in time)."""

    job: ReportJob
    row_cap: int | None = None  # rows a result holds at most
    row_cap_of = "a report result"  # which call's cap, for messages
    min_window = dt.timedelta(minutes=15)

    def __init__(self, connection, integration, *, row_cap: int | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        """``sleep`` and ``clock``: the waits and the time of the jobs and the rate budgets
        (a test's fake clock); ``row_cap``: a smaller cap than the vendor's (tests)."""
        super().__init__(connection, integration)
        self.sleep, self.clock = sleep, clock
        self.row_cap = row_cap or self.row_cap

    def report_job(self, **kwargs) -> ReportJob:
        """A ``ReportJob`` polling every option ``poll_seconds``, on the source's clock."""
        return ReportJob(poll_seconds=self.options["poll_seconds"], sleep=self.sleep,
                         clock=self.clock, **kwargs)

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> list[pd.DataFrame]:
        rows = self.job.run(window)
        if self.row_cap is None or len(rows) < self.row_cap:
            return [rows]
        start, end = window
        middle = self.windows.middle(window)
        if min(middle - start, end - middle) < self.min_window:
            raise VendorError(
                f"{self.job.name}: {len(rows)} rows for {start:%Y-%m-%d %H:%M:%S}Z.."
                f"{end:%Y-%m-%d %H:%M:%S}Z reach the {self.row_cap}-row cap of {self.row_cap_of} "
                f"and the window cannot be cut below min_window_minutes="
                f"{self.min_window.total_seconds() / 60:g}; lower it")
        return self.read((start, middle)) + self.read((middle, end))

    def sample(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """``check``: exactly one job, over the interval and its lookback and lookahead,
        whatever the window step (a vendor's quotas are shared with other work); a result at
        the row cap is not split but fails, naming it."""
        window = (start - self.windows.lookback, end + self.windows.lookahead)
        rows = self.job.run(window)
        if self.row_cap is not None and len(rows) >= self.row_cap:
            raise VendorError(
                f"{self.job.name}: the check's one report run ({window[0]:%Y-%m-%d %H:%M}Z.."
                f"{window[1]:%Y-%m-%d %H:%M}Z) returned {len(rows)} rows, the {self.row_cap}-row"
                f" cap of {self.row_cap_of}; an import splits such windows, check makes no "
                f"second run: sample a quieter night with --night")
        return self.finish(self.parse([rows]), start, end)

    def read_windows(self, windows: list[tuple[Any, Any]]) -> Iterator[pd.DataFrame]:
        for pages in self.job.run_all(windows, self.read):
            yield from pages

    def parse(self, pages: list[pd.DataFrame]) -> pd.DataFrame:
        pages = [page for page in pages if len(page)]
        return pd.concat(pages, ignore_index=True) if pages else pd.DataFrame()
