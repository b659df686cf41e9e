"""Five9: agent states from a report run through the Configuration Web Service (vendors.md 1).

The contract, as the API pages tell it:
- SOAP ``AdminWebService``: XML envelopes POSTed with HTTP Basic auth (connection login and
  password), at the connection host, else at the data center of extra ``region``, else of option
  ``data_center`` (1.2); a known Five9 host or region of another data center than the option
  fails, since the option also decides the zone report times are read in;
- a report job (1.3), run by ``report_job.ReportJob``: ``runReport(folder, report,
  criteria.time)`` -> identifier, ``isReportRunning(identifier, timeout)`` (a long poll) until
  false, ``getReportResultCsv(identifier)``;
- the report (options ``folder_name``/``report_name``, a custom Agent State Details-style report,
  1.1) gives one row per state: AGENT (the user name), DATE and TIME of its start in the data
  center's wall time, STATE, REASON CODE, AGENT STATE TIME (HH:MM:SS). Contested (1.4): the zone
  is US Pacific per Five9's docs, Europe/London, America/Vancouver or Europe/Berlin for the UK,
  CA and EU data centers per Matatika's tap: it follows option ``data_center`` (the
  integration's ``source_timezone`` overrides it); DATE is ``YYYY/MM/DD`` in one warehouse
  model and ``Tue, 07 May 2024`` in Matatika's tap: both are read, any other fails naming it;
- criteria select rows by state START, so a margin before the interval is read for states
  running into it (1.6); rows of a state still running are not there yet: the lookback re-reads;
- a result holds at most 50,000 rows and has no paging (1.3): windows of ``window_hours`` (at
  most 24); a result AT the cap is read again in halves, down to ``min_window_minutes``, and
  fails rather than being truncated;
- domain quotas (1.3) are rate budgets; the domain is shared with other integrations, so a quota
  fault is retried after a wait and a "not ready" fault is a wait. Faults are told by their typed
  SOAP ``<detail>`` (``OperationsLimitExceededFault``, ``ResultIsNotReadyFault`` in the WSDL,
  1.4); the faultstring's words, which no document fixes, only when no typed detail came. Any
  other fault is fatal, naming its type and message. Unconfirmed: quota detection without a
  typed detail matches wording we chose ("limit ... exceeded", "quota"), not Five9's; the "not
  ready" words are PSFive9Admin's (1.3);
- the repeated autumn hour (1.6): no document says whether Five9 reads ``criteria.time`` as
  the instant its offset names or as wall time (offset ignored). Windows are cut where the
  report's zone falls back and their bounds' wall times never go back, so either reading
  returns each row once; rows are then placed on the timeline by ``local_time.chain_to_utc``
  (one agent's states follow each other), not by the window that returned them;
- the result may arrive Latin-1 encoded without saying so (1.4): UTF-8, else Latin-1.
Overlapping states are kept as reported; the pipeline resolves them with injixo's rule (1.6).
The activity id is STATE, plus the reason code when there is one ("Not Ready/Break"), so each
reason can be mapped to its own WFM activity.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from agent_status.config import Integration
from agent_status.connectors.auth import BasicAuth
from agent_status.connectors.base import ConnectionInfo, Connector, VendorError
from agent_status.connectors.http import HttpClient, RateBudget, RetriableError, RetryPolicy
from agent_status.connectors.local_time import chain_to_utc, wall_middle, wall_windows
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.report_job import JobNotReady, JobStatus, ReportJob
from agent_status.connectors.soap import Fault, SoapService
from agent_status.connectors.sql import require_columns
from agent_status.frames import conform_raw_events, empty_raw_events

HOSTS = {"us": "api.five9.com", "uk": "api.five9.eu", "ca": "api.five9.ca",
         "eu": "api.eu.five9.com"}  # 1.2, keyed by option data_center
WSADMIN_PATH = "/wsadmin/v13/AdminWebService"
SERVICE_NS = "http://service.admin.ws.five9.com/"
# per-domain limits (1.3): (calls, seconds)
BUDGETS = {"runReport": ((16, 60), (120, 3600), (800, 86400)),
           "getReportResultCsv": ((20, 60), (200, 3600), (1000, 86400)),
           "isReportRunning": ((450, 60), (15000, 3600), (172800, 86400))}
LONG_POLL_SECONDS = 5  # isReportRunning timeout: Five9 asks for at least 5 s (1.3)
# isReportRunning answers an xsd:boolean (1.3): running, or done and ready for download
REPORT_RUNNING = {"true": JobStatus.RUNNING, "1": JobStatus.RUNNING,
                  "false": JobStatus.COMPLETED, "0": JobStatus.COMPLETED}
# typed faults of the WSDL (1.4): found in the SOAP <detail>, whatever the faultstring says
NOT_READY_FAULT, QUOTA_FAULT = "ResultIsNotReadyFault", "OperationsLimitExceededFault"
# the faultstring's words, read only when no typed detail came: PSFive9Admin's (1.3), and ours
# for quotas (unconfirmed [I]: no document gives a quota fault's words)
NOT_READY = re.compile(r"not ready|not yet finish|still running", re.IGNORECASE)
QUOTA = re.compile(r"limit\b.*\bexceed|exceed.*\blimit|quota|too many requests", re.IGNORECASE)
# DATE as a warehouse model reads it, and as Matatika's tap parses it (1.4)
DATE_FORMATS = {"%Y/%m/%d": "YYYY/MM/DD", "%a, %d %b %Y": "Tue, 07 May 2024"}
COLUMNS = {"AGENT": "text", "DATE": "text", "TIME": "text", "STATE": "text",
           "REASON CODE": "text", "AGENT STATE TIME": "text"}


class Five9Connector(Connector):
    spec = VENDORS["five9"]
    overlap_rule = "shorter_wins"  # 1.6: the longer state starts where the shorter one ends
    row_cap = 50_000  # getReportResultCsv (1.3)
    state_margin = dt.timedelta(hours=12)  # read before the interval: states running into it
    job_timeout_seconds = 1800.0
    quota_wait_seconds = 60.0  # minute counters reset within a minute (1.3)

    def __init__(self, connection: ConnectionInfo, integration: Integration, *,
                 row_cap: int | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(connection, integration)
        self.folder = self.options.get("folder_name", "Agent Reports")
        self.report = self.options.get("report_name", "Agent State Details")
        self.window = dt.timedelta(hours=min(self.options.get("window_hours", 24), 24))
        self.min_window = dt.timedelta(minutes=self.options.get("min_window_minutes", 15))
        self.row_cap = row_cap or self.row_cap
        self.zone = self.integration.source_zone.key  # the data center's, unless overridden (1.4)
        url = service_url(connection, self.options["data_center"])
        if not connection.login or not connection.password:
            raise VendorError(f"Five9 {url}: the connection needs the API user's login and "
                              "password (HTTP Basic)")
        http = HttpClient(url, BasicAuth(connection.login, connection.password), timeout=120,
                          retry=RetryPolicy(max_wait_seconds=max(self.quota_wait_seconds, 1.0)),
                          sleep=sleep)
        self.service = SoapService(
            http, SERVICE_NS, user=connection.login, name="Five9",
            fault_error=lambda fault, what: fault_error(fault, what, self.quota_wait_seconds),
            budgets={method: [RateBudget(calls, seconds, clock, sleep) for calls, seconds in limits]
                     for method, limits in BUDGETS.items()},
            encodings=("utf-8", "latin-1"),  # 1.4: results may come Latin-1 encoded unsaid
            refusal_hint="that the user has the Administrator and Reporting roles")
        self.job = ReportJob(
            name=f"Five9 report {self.folder}/{self.report}", create=self._run_report,
            status=lambda identifier: self.service.call(
                "isReportRunning", identifier=identifier, timeout=LONG_POLL_SECONDS).strip(),
            status_mapping=REPORT_RUNNING,
            download=lambda identifier: self.service.call("getReportResultCsv",
                                                          identifier=identifier),
            poll_seconds=self.options.get("poll_seconds", 1.0),
            timeout_seconds=self.job_timeout_seconds, sleep=sleep, clock=clock)

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        rows = [part for window in wall_windows(start - self.state_margin, end, self.window,
                                                  self.zone)
                for part in self._read(window)]
        if not rows:
            yield empty_raw_events()
            return
        yield self._events(pd.concat(rows, ignore_index=True), start, end)

    def sample(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """``check``: exactly one report run, over the interval and its margin, whatever
        ``window_hours``, the fall-back or the row cap (1.3: the domain's quotas are shared); a
        result at the cap is not split but fails, naming it."""
        window = (start - self.state_margin, end)
        rows = self._rows(self.job.run(window), window)
        if len(rows) >= self.row_cap:
            raise VendorError(
                f"Five9 report {self.folder}/{self.report}: the check's one report run "
                f"({window[0]:%Y-%m-%d %H:%M}Z..{window[1]:%Y-%m-%d %H:%M}Z) returned {len(rows)} "
                f"rows, the {self.row_cap}-row cap of getReportResultCsv; an import splits such "
                f"windows, check makes no second run: sample a quieter night with --night")
        return self._events(rows, start, end) if len(rows) else empty_raw_events()

    def _events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        events = self._to_events(rows)
        overlaps = (events.end_utc > pd.Timestamp(start)) & (events.start_utc < pd.Timestamp(end))
        return events[overlaps].reset_index(drop=True)

    def close(self) -> None:
        self.service.http.close()

    def _run_report(self, window: tuple[dt.datetime, dt.datetime]) -> str:
        start, end = (_criteria_time(moment, self.zone) for moment in window)
        identifier = self.service.call(
            "runReport", folderName=self.folder, reportName=self.report,
            criteria={"time": {"start": start, "end": end}})
        if not identifier:
            raise VendorError(f"Five9 runReport {self.folder}/{self.report}: no identifier")
        return identifier

    def _read(self, window: tuple[dt.datetime, dt.datetime]) -> list[pd.DataFrame]:
        """The window's rows; a result at the row cap may be truncated: read it in halves."""
        start, end = window
        rows = self._rows(self.job.run(window), window)
        if len(rows) < self.row_cap:
            return [rows]
        middle = wall_middle(start, end, self.zone)
        if min(middle - start, end - middle) < self.min_window:
            raise VendorError(
                f"Five9 report {self.folder}/{self.report}: {len(rows)} rows for "
                f"{start:%Y-%m-%d %H:%M:%S}Z..{end:%Y-%m-%d %H:%M:%S}Z reach the "
                f"{self.row_cap}-row cap of getReportResultCsv and the window cannot be cut "
                f"below min_window_minutes={self.min_window.total_seconds() / 60:g}; lower it")
        return self._read((start, middle)) + self._read((middle, end))

    def _rows(self, csv_text: str, window) -> pd.DataFrame:
        source = f"Five9 report {self.folder}/{self.report} ({window[0]:%Y-%m-%d %H:%M}Z..)"
        try:
            frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame({column: [] for column in COLUMNS}, dtype=object)
        frame.columns = [str(c).strip() for c in frame.columns]
        return require_columns(frame, COLUMNS, source)

    def _to_events(self, rows: pd.DataFrame) -> pd.DataFrame:
        where = f"Five9 report {self.folder}/{self.report}"
        rows = rows.reset_index(drop=True)
        local = _local_starts(rows, where)
        seconds = _seconds(rows["AGENT STATE TIME"], where)
        state = rows.STATE.str.strip()
        reason = rows["REASON CODE"].str.strip()
        has_reason = reason.ne("")
        activity = state.where(~has_reason, state + "/" + reason)
        frame = pd.DataFrame({"agent": rows.AGENT, "local": local, "seconds": seconds,
                              "activity": activity})
        # 1.6: states of one agent starting in the same second are parallel (Ready 5 s and On
        # Call); the shorter-wins rule makes them one span from that start to the longest one's
        # end, so the chain sees that span, not an overlap. The same state twice at one wall
        # time is the repeated hour's two occurrences, not parallel: those rows stay apart.
        twice = frame.duplicated(["agent", "local", "activity"], keep=False)
        apart = twice.groupby([frame.agent, frame.local]).transform("any")
        frame["part"] = np.where(apart, np.arange(len(frame)), -1)
        key = ["agent", "local", "part"]
        spans = frame.groupby(key, sort=False).seconds.max().astype("float64").reset_index()
        # 1.4, 1.6: the repeated hour is placed from each agent's chain of states, whatever
        # window (and whichever reading of criteria.time) returned the row
        spans["start_utc"] = chain_to_utc(spans[["agent", "local", "seconds"]], self.zone,
                                          agent="agent", local_start="local", seconds="seconds",
                                          source=where)  # identical rows must look identical
        start_utc = frame.merge(spans[key + ["start_utc"]], how="left", on=key).start_utc
        return conform_raw_events(pd.DataFrame({
            "external_user_id": rows.AGENT,
            "vendor_activity_id": frame.activity,
            "vendor_activity_name": state,
            "reason": reason.where(has_reason, None),
            "start_utc": start_utc,
            "end_utc": start_utc + pd.to_timedelta(frame.seconds, unit="s"),
        }))


def service_url(connection: ConnectionInfo, data_center: str) -> str:
    """The connection host wins (a bare host gets the service path); else extra ``region``;
    else the ``data_center`` option. A Five9 host or region of another data center than the
    option fails: report times would be read in the wrong zone (1.4)."""
    region = connection.extra.get("region")
    if connection.host:
        url = connection.base_url()
        named = next((center for center, host in HOSTS.items() if urlparse(url).hostname == host),
                     None)
        url = url if urlparse(url).path not in ("", "/") else url + WSADMIN_PATH
    else:
        named = str(region if region is not None else data_center).lower()
        if named not in HOSTS:
            raise VendorError(f"connection {connection.conn_id}: extra 'region' is {region!r}, "
                              f"not one of {sorted(HOSTS)} (or set the host)")
        url = f"https://{HOSTS[named]}{WSADMIN_PATH}"
    if named is not None and named != data_center:
        raise VendorError(f"connection {connection.conn_id} points at the {named!r} data center "
                          f"but option data_center is {data_center!r}; set data_center: {named} "
                          "so report times are read in that data center's zone")
    return url


def _criteria_time(moment: dt.datetime, zone: str) -> str:
    """xsd:dateTime in the report's zone with its offset: unambiguous in the repeated hour."""
    return pd.Timestamp(moment).tz_convert(zone).isoformat(timespec="milliseconds")


def _local_starts(rows: pd.DataFrame, where: str) -> pd.Series:
    """DATE + TIME as naive wall time; DATE in either documented format (1.4), row by row."""
    date, clock = rows.DATE.str.strip(), rows.TIME.str.strip()
    day = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]")
    for pattern in DATE_FORMATS:
        day = day.fillna(pd.to_datetime(date, format=pattern, errors="coerce"))
    if day.isna().any():
        raise VendorError(f"{where}: DATE must be {' or '.join(DATE_FORMATS.values())}, got "
                          f"{date[day.isna()].iloc[0]!r}")
    bad = ~clock.str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d")
    if bad.any():
        raise VendorError(f"{where}: TIME must be HH:MM:SS, got {clock[bad].iloc[0]!r}")
    return day + pd.to_timedelta(clock)


def _seconds(values: pd.Series, where: str) -> pd.Series:
    """``HH:MM:SS`` (hours may pass 24) as seconds."""
    parts = values.str.strip().str.extract(r"^(\d+):(\d{2}):(\d{2})$")
    bad = parts[0].isna()
    if bad.any():
        raise VendorError(f"{where}: AGENT STATE TIME must be HH:MM:SS, got e.g. "
                          f"{values[bad].iloc[0]!r}")
    parts = parts.astype("int64")
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def fault_error(fault: Fault, what: str, quota_wait_seconds: float) -> VendorError:
    """What a SOAP fault means: told by its typed ``<detail>`` (1.4), by the faultstring's
    words only when no typed fault came. Quota: retried after a wait (counters reset each
    minute, 1.3); not ready: a wait; anything else: fatal."""
    if fault.kind == NOT_READY_FAULT:
        return JobNotReady(f"{what}: {fault}")
    if fault.kind == QUOTA_FAULT:
        return RetriableError(f"{what}: quota fault {fault}", quota_wait_seconds)
    if fault.kind is not None:
        return VendorError(f"{what}: SOAP fault {fault}")
    if NOT_READY.search(fault.faultstring):
        return JobNotReady(f"{what}: {fault}")
    if QUOTA.search(fault.faultstring):
        return RetriableError(f"{what}: quota fault: {fault}", quota_wait_seconds)
    return VendorError(f"{what}: SOAP fault: {fault}")
