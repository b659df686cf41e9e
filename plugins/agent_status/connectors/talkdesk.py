"""Talkdesk: agent statuses from Explore ``user_status`` report jobs (vendors.md 4).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/talkdesk.py."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pandas as pd

from agent_status.config import Integration
from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import iso_times, report_frame
from agent_status.connectors.http import REDIRECTS, HttpClient, location, signed_content
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.report_job import JobNotReady, JobStatus, ReportJobSource
from agent_status.connectors.timeline import merge_touching_runs
from agent_status.connectors.windows import Windows

REGIONS = {"us": ("talkdeskid.com", "api.talkdeskapp.com"),  # 4.2
           "eu": ("talkdeskid.eu", "api.talkdeskapp.eu"),
           "ca": ("talkdeskidca.com", "api.talkdeskappca.com")}
SCOPES = "data-reports:read data-reports:write"
JOBS = "/data/reports/user_status/jobs"
FILES = "/data/reports/user_status/files"
# the job statuses of the reference (4.3); others, such as the older API's "sending", count as
# running, bounded by the job timeout
STATUSES = {**dict.fromkeys(("created", "processing", "uploading"), JobStatus.RUNNING),
            "done": JobStatus.COMPLETED,
            **dict.fromkeys(("failed", "canceled", "deleted"), JobStatus.FAILED)}
MAX_WINDOW_DAYS = 31  # at most a month per job (4.3)
MAX_CONCURRENT_JOBS = 15
COLUMNS = {"user_email": "text", "status_label": "text", "status_start_at": "text",
           "status_end_at": "text"}


class TalkdeskConnector(ReportJobSource):
    spec = VENDORS["talkdesk"]

    def __init__(self, connection: ConnectionInfo, integration: Integration, **kwargs):
        super().__init__(connection, integration, **kwargs)
        token_url, api_url = endpoints(connection)
        self.auth = OAuthClientCredentials(token_url, connection.login, connection.password,
                                           scope=SCOPES)
        self.http = HttpClient(api_url, self.auth, sleep=self.sleep)
        self._locations: dict[str, str] = {}  # job id -> where its done-redirect pointed
        self._locations_lock = threading.Lock()
        # selected by END time (4.3): 12 h after the interval for statuses running out of it,
        # and before it, to join split records
        self.windows = Windows(dt.timedelta(days=min(self.options["window_days"],
                                                     MAX_WINDOW_DAYS)),
                               lookback=dt.timedelta(hours=12), lookahead=dt.timedelta(hours=12))
        self.job = self.report_job(
            name="Talkdesk user_status", create=self._create, status=self._status,
            status_mapping=STATUSES, unknown_status=JobStatus.RUNNING, download=self._download,
            timeout_seconds=float(self.options["job_timeout_seconds"]),
            max_concurrent=min(self.options["max_concurrent_jobs"], MAX_CONCURRENT_JOBS))

    def events(self, records: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        # a status is split at month, team and campaign changes (4.6): joined back
        return merge_touching_runs(records, ["external_user_id"], ["vendor_activity_id"])

    # -- the job -----------------------------------------------------------------------------

    def _create(self, window: tuple[dt.datetime, dt.datetime]) -> str:
        # bounds in the job's time zone, UTC (4.6: no DST ambiguity)
        start, end = (pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S")
                      for moment in window)
        answer = self.http.post_json(JOBS, {
            "name": f"agent-status user_status {start}..{end}", "timezone": "UTC",
            "format": "json", "timespan": {"from": start, "to": end}})
        job_id = (answer.get("job") or answer).get("id")
        if not job_id:
            raise VendorError(f"Talkdesk POST {JOBS}: no job id in {str(answer)[:200]}")
        return job_id

    def _status(self, job_id: str) -> str:
        answer = self.http.request("GET", f"{JOBS}/{job_id}", allow_redirects=False)
        where = f"Talkdesk user_status job {job_id}"
        # done: the file is at Location (4.3: 300 now, 303 in the older guide)
        if answer.status_code in REDIRECTS:
            with self._locations_lock:
                self._locations[job_id] = location(answer, where)
            return "done"
        try:
            job = answer.json()
        except ValueError as error:
            raise VendorError(f"Talkdesk GET {JOBS}/{job_id}: expected the job as JSON, got "
                              f"{answer.text[:100]!r}") from error
        job = (job.get("job") or job) if isinstance(job, dict) else {}
        status = str(job.get("status") or "").lower()
        if not status:
            raise VendorError(f"{where}: no 'status' in the answer (keys {sorted(job)[:10]})")
        if job.get("timezone", "UTC") != "UTC":  # times are read as UTC (4.4)
            raise VendorError(f"{where} runs in time zone {job['timezone']!r}, not the UTC "
                              "asked for")
        return status

    def _download(self, job_id: str) -> pd.DataFrame:
        """The file at the done-redirect's Location, else (asked again after an expired link)
        at its canonical URL; served directly or from signed storage, 302 or 303 (4.3)."""
        with self._locations_lock:
            url = self._locations.pop(job_id, None) or self.http.url(f"{FILES}/{job_id}")
        where = f"Talkdesk user_status job {job_id}"
        return _records(self.http.file(url, where, read_signed=_stored_file), where)


def endpoints(connection: ConnectionInfo) -> tuple[str, str]:
    """(token URL, API base URL) from extras ``auth_url`` (or ``token_url``), ``account`` and
    ``region``, and the host."""
    region = str(connection.extra.get("region", "us")).lower()
    if region not in REGIONS:
        raise VendorError(f"connection {connection.conn_id}: extra 'region' is {region!r}, not "
                          f"one of {sorted(REGIONS)}")
    id_host, api_host = REGIONS[region]
    token_url = token_url_of(connection)
    if not token_url:
        account = connection.extra.get("account")
        if not account:
            raise VendorError(f"connection {connection.conn_id}: set extra 'account' (the "
                              "Talkdesk account name) or extra 'auth_url' (or 'token_url')")
        token_url = f"https://{account}.{id_host}/oauth/token"
    return token_url, connection.base_url(default=f"https://{api_host}")


def _records(content: bytes, where: str) -> pd.DataFrame:
    """The report file (JSON ``{"entries": [...]}``, a JSON list, or CSV) as raw events."""
    frame = report_frame(content, COLUMNS, where, key="entries")

    def name(field: str) -> Callable[[int], str]:
        return lambda row: f"{where}: record {row} {field}"

    return pd.DataFrame({
        "external_user_id": frame.user_email, "vendor_activity_id": frame.status_label,
        "vendor_activity_name": frame.status_label, "reason": None,
        "start_utc": iso_times(frame.status_start_at, name("status_start_at"), required=True),
        "end_utc": iso_times(frame.status_end_at.replace("", None), name("status_end_at"),
                             required=False)})


def _stored_file(response, what: str) -> bytes:
    if response.status_code == 403:  # expired or used: ask for a new link (4.3)
        raise JobNotReady(f"{what}: link refused (HTTP 403, expired?)", 0.0)
    return signed_content(response, what)


