"""Five9: agent states from a report run through the Configuration Web Service (vendors.md 1).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/five9.py."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlparse

import pandas as pd

from agent_status.config import Integration
from agent_status.connectors.auth import BasicAuth
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import csv_frame, hms_seconds, wall_datetimes
from agent_status.connectors.http import HttpClient, RateBudget, RetriableError, RetryPolicy
from agent_status.connectors.local_time import WallWindows, chain_to_utc
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.report_job import JobNotReady, JobStatus, ReportJobSource
from agent_status.connectors.soap import Fault, SoapService

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


class Five9Connector(ReportJobSource):
    spec = VENDORS["five9"]
    row_cap, row_cap_of = 50_000, "getReportResultCsv"  # no paging (1.3): read in halves
    job_timeout_seconds = 1800.0
    quota_wait_seconds = 60.0  # minute counters reset within a minute (1.3)

    def __init__(self, connection: ConnectionInfo, integration: Integration, **kwargs):
        super().__init__(connection, integration, **kwargs)
        self.folder, self.report = self.options["folder_name"], self.options["report_name"]
        self.where = f"Five9 report {self.folder}/{self.report}"
        self.zone = self.integration.source_zone.key  # the data center's, unless overridden (1.4)
        # criteria select by state START: read 12 h before, for states running into it (1.6)
        self.windows = WallWindows(dt.timedelta(hours=self.options["window_hours"]),
                                   lookback=dt.timedelta(hours=12), zone=self.zone)
        self.min_window = dt.timedelta(minutes=self.options["min_window_minutes"])
        url = service_url(connection, self.options["data_center"])
        if not connection.login or not connection.password:
            raise VendorError(f"Five9 {url}: the connection needs the API user's login and "
                              "password (HTTP Basic)")
        self.http = HttpClient(
            url, BasicAuth(connection.login, connection.password), timeout=120,
            retry=RetryPolicy(max_wait_seconds=max(self.quota_wait_seconds, 1.0)),
            sleep=self.sleep)
        self.service = SoapService(
            self.http, SERVICE_NS, user=connection.login, name="Five9",
            fault_error=lambda fault, what: fault_error(fault, what, self.quota_wait_seconds),
            budgets={method: [RateBudget(calls, seconds, self.clock, self.sleep)
                              for calls, seconds in limits] for method, limits in BUDGETS.items()},
            encodings=("utf-8", "latin-1"),  # 1.4: results may come Latin-1 encoded unsaid
            refusal_hint="that the user has the Administrator and Reporting roles")
        self.job = self.report_job(
            name=self.where, create=self._run_report,
            status=lambda identifier: self.service.call(
                "isReportRunning", identifier=identifier, timeout=LONG_POLL_SECONDS).strip(),
            status_mapping=REPORT_RUNNING,
            download=lambda identifier: csv_frame(self.service.call(
                "getReportResultCsv", identifier=identifier), COLUMNS, self.where),
            timeout_seconds=self.job_timeout_seconds)

    def _run_report(self, window: tuple[dt.datetime, dt.datetime]) -> str:
        # xsd:dateTime in the report's zone with its offset: unambiguous in the repeated hour
        start, end = (pd.Timestamp(moment).tz_convert(self.zone).isoformat(timespec="milliseconds")
                      for moment in window)
        identifier = self.service.call(
            "runReport", folderName=self.folder, reportName=self.report,
            criteria={"time": {"start": start, "end": end}})
        if not identifier:
            raise VendorError(f"Five9 runReport {self.folder}/{self.report}: no identifier")
        return identifier

    def events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        local = wall_datetimes(rows.DATE, rows.TIME, DATE_FORMATS, self.where)
        seconds = hms_seconds(rows["AGENT STATE TIME"], self.where, "AGENT STATE TIME")
        state, reason = rows.STATE.str.strip(), rows["REASON CODE"].str.strip()
        has_reason = reason.ne("")
        activity = state.where(~has_reason, state + "/" + reason)
        # 1.4, 1.6: the repeated hour is placed from each agent's chain of states, whatever
        # window (and whichever reading of criteria.time) returned the row; states starting in
        # one second are parallel (Ready 5 s and On Call)
        start_utc = chain_to_utc(pd.DataFrame({"agent": rows.AGENT, "local": local,
                                               "seconds": seconds, "activity": activity}),
                                 self.zone, agent="agent", local_start="local",
                                 seconds="seconds", parallel="activity", source=self.where)
        return pd.DataFrame({
            "external_user_id": rows.AGENT, "vendor_activity_id": activity,
            "vendor_activity_name": state, "reason": reason.where(has_reason, None),
            "start_utc": start_utc, "end_utc": start_utc + pd.to_timedelta(seconds, unit="s")})


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
