"""Talkdesk sandbox: OAuth and the Explore ``user_status`` report jobs (vendors.md 4).

It renders the simulator's truth the way the Explore report gives it:
- one record per status with ``user_email`` (the identifier), ``status_label``, start and end
  in the job's ``timezone``, ``status_time``, team; logged-out time is reported as ``Offline``
  (Talkdesk's own example has a 54 h Offline, 4.5/4.6) only with ``report_offline`` [I: off by
  default, as the end-to-end checks expect every status of a night to have ended];
- a status is split into several contiguous records with the same label at a month change (in
  the job's time zone), when its agent changes team (every ``team_change_every``-th agent, every
  day at ``team_change_utc_hour``) and on a dialer campaign change (every
  ``campaign_split_every``-th call, at its middle) (4.6); 0 turns either off;
- records are selected by END time in ``[timespan.from, timespan.to)``; with ``now`` only records
  that have ended exist (4.3, 4.6); a timespan is at most 31 days (4.3);
- a job goes created -> processing -> uploading -> (``extra_statuses``, e.g. the older API's
  ``sending``, 4.3) -> done, one step every ``polls_per_status`` status requests; jobs in
  ``fail_jobs`` (1-based creation numbers) end ``failed``; beyond ``max_concurrent_jobs``
  unfinished jobs a creation answers 429; a job reaching ``stall_at`` stays there;
- once done, ``GET /jobs/{id}`` answers ``job_done_answer``: 300 with a relative ``Location``
  to ``/files/{id}`` (the current reference), 303 with an absolute one (the older guide), or
  200 with status ``done`` (4.3); with ``done_to_storage`` the 300/303 points straight at a
  signed URL on a second port, the storage (a client following the redirect lands on the
  report itself, 4.3: that is how Airbyte's source reads it), which refuses ``Authorization``
  as every signed URL does; every signed URL is then on that port;
- ``GET /files/{id}`` answers ``file_answer``: 200 with the report itself, or 302 (older guide)
  / 303 (current reference) to a signed URL served here, refused when it carries an
  ``Authorization`` header (as S3 does), after one use or ``signed_url_ttl_seconds``; the first
  ``expire_first_urls`` links are issued already expired and the first
  ``unreachable_first_urls`` point at a port nobody listens on (4.3); ``signed_urls`` lists
  every link issued (tests check none reaches a message or a log line).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import socket
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Faults, HttpSandbox, header as _header
from agent_status_dev.simulator import Simulator

CLIENT_ID, CLIENT_SECRET = "sandbox-explore-client", "sandbox-explore-secret"
READ_SCOPE, WRITE_SCOPE = "data-reports:read", "data-reports:write"
JOBS = "/data/reports/user_status/jobs"
FILES = "/data/reports/user_status/files"
SIGNED = "/signed/user-status/"
MAX_TIMESPAN = dt.timedelta(days=31)  # 4.3
STATUSES = ("created", "processing", "uploading", "done")
OFFLINE = ("Offline", "Offline", None)  # a default status (4.5)
TEAMS = ("Support", "Sales")
_WEEK = pd.Timedelta(days=7)
_EPOCH = pd.Timestamp("2000-01-03", tz="UTC")
_PAD = pd.Timedelta(days=1)  # weeks read around a timespan
_WEEKS: dict[tuple[Simulator, int], pd.DataFrame] = {}  # the truth is a pure function: shared
_RENDER_LOCK = threading.Lock()


class TalkdeskSandbox(HttpSandbox):
    vendor = "talkdesk"
    identifier = "email"
    # the status label is the activity: default statuses and custom ones ("Break", "Lunch")
    state_map = {
        "ready": ("Available", "Available", None),
        "on_call": ("On a Call", "On a Call", None),
        "wrap_up": ("After Call Work", "After Call Work", None),
        "break": ("Break", "Break", None),
        "lunch": ("Lunch", "Lunch", None),
        "meeting": ("Away", "Away", None),
    }

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0, *, max_concurrent_jobs: int = 15,
                 polls_per_status: int = 1, fail_jobs: tuple[int, ...] = (),
                 signed_url_ttl_seconds: float = 10.0, expire_first_urls: int = 0,
                 team_change_every: int = 3, team_change_utc_hour: int = 20,
                 campaign_split_every: int = 6,
                 concurrency_retry_after: float = 0.05,
                 scopes: tuple[str, ...] = (READ_SCOPE, WRITE_SCOPE),
                 job_done_answer: int = 300, file_answer: int = 303,
                 extra_statuses: tuple[str, ...] = (), report_offline: bool = False,
                 stall_at: str | None = None, unreachable_first_urls: int = 0,
                 done_to_storage: bool = False):
        super().__init__(simulator, now, faults, port)
        # signed URLs on a second port: another origin, as signed storage is (4.3)
        self.storage = _Storage(self) if done_to_storage else None
        if job_done_answer not in (200, 300, 303) or file_answer not in (200, 302, 303):
            raise ValueError("job_done_answer is 200, 300 or 303; file_answer 200, 302 or 303")
        self.job_done_answer, self.file_answer = job_done_answer, file_answer
        self.statuses = STATUSES[:-1] + tuple(extra_statuses) + STATUSES[-1:]
        self.stall_at, self.unreachable_first_urls = stall_at, unreachable_first_urls
        self.signed_urls: list[str] = []
        if report_offline:
            self.state_map = {**self.state_map, "logged_out": OFFLINE}
        self.max_concurrent_jobs, self.polls_per_status = max_concurrent_jobs, polls_per_status
        self.fail_jobs, self.signed_url_ttl_seconds = set(fail_jobs), signed_url_ttl_seconds
        self.expire_first_urls = expire_first_urls
        self.team_change_every, self.campaign_split_every = team_change_every, campaign_split_every
        self.team_change = pd.Timedelta(hours=team_change_utc_hour)
        self.concurrency_retry_after, self.granted_scopes = concurrency_retry_after, set(scopes)
        self.counts: Counter[str] = Counter()  # jobs, records, split pieces, refusals...
        self.max_active_jobs = 0
        self.timespans: list[tuple[dt.datetime, dt.datetime]] = []
        self._jobs: dict[str, dict[str, Any]] = {}
        self._links: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, set[str]] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def start(self) -> ConnectionInfo:
        if self.storage is not None:
            self.storage.start()
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self.storage is not None:
            self.storage.stop()

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="talkdesk_sandbox", conn_type="http", host=self.base_url,
                              login=CLIENT_ID, password=CLIENT_SECRET,
                              extra={"token_url": f"{self.base_url}/oauth/token"})

    def user_id(self, email: str) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"talkdesk-sandbox/{email}").hex

    # -- routes ------------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        if (method, path) == ("POST", "/oauth/token"):
            return self._issue_token(headers, body)
        if method == "GET" and path.startswith(SIGNED) and self.storage is None:
            return self._signed_file(path.removeprefix(SIGNED), headers)
        scopes = self._tokens.get(_header(headers, "Authorization").removeprefix("Bearer "))
        if scopes is None:
            return _error(401, "1001", "Unauthorized: invalid or expired token")
        needed = WRITE_SCOPE if method == "POST" else READ_SCOPE
        if needed not in scopes:
            return _error(403, "1002", f"Forbidden: the token lacks scope {needed}")
        if (method, path) == ("POST", JOBS):
            return self._create_job(body)
        if method == "GET" and path.startswith(JOBS + "/"):
            return self._job_status(path.removeprefix(JOBS + "/"))
        if method == "GET" and path.startswith(FILES + "/"):
            return self._file_link(path.removeprefix(FILES + "/"))
        return _error(404, "1003", f"No route for {method} {path}")

    def _issue_token(self, headers, body) -> tuple[int, dict, Any]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if _header(headers, "Authorization") != f"Basic {expected}":
            return 401, {}, {"error": "invalid_client", "error_description": "Bad credentials"}
        form = parse_qs(body.decode("utf-8"))
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {}, {"error": "unsupported_grant_type"}
        asked = set(form.get("scope", [""])[0].split())
        token = uuid.uuid4().hex
        with self._lock:
            self.counts["tokens"] += 1
            self._tokens[token] = asked & self.granted_scopes
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 600,
                         "scope": " ".join(sorted(asked & self.granted_scopes))}

    def _create_job(self, body: bytes) -> tuple[int, dict, Any]:
        try:
            request = json.loads(body or b"{}")
            zone = ZoneInfo(request["timezone"])
            fmt = request.get("format", "json")
            start, end = (_moment(request["timespan"][key], zone) for key in ("from", "to"))
        except (ValueError, KeyError, TypeError, ZoneInfoNotFoundError) as error:
            return _error(400, "2001", f"Invalid job: timezone (IANA) and timespan.from/to "
                                       f"are required ({type(error).__name__}: {error})")
        if fmt not in ("json", "csv"):
            return _error(400, "2002", f"Unsupported format {fmt!r}")
        if not start < end or end - start > MAX_TIMESPAN:
            return _error(400, "2003", "timespan must be positive and at most one month (31 "
                                       f"days), got {request['timespan']}")
        with self._lock:
            active = sum(1 for job in self._jobs.values() if job["active"])
            if active >= self.max_concurrent_jobs:
                self.counts["concurrency_refused"] += 1
                return 429, {"Retry-After": self.concurrency_retry_after}, {
                    "code": "2004", "message": f"Too many report jobs running ({active})"}
            number = next(self._numbers)
            job_id = uuid.uuid4().hex
            self._jobs[job_id] = {"status": "created", "polls": 0, "active": True,
                                  "number": number, "format": fmt, "zone": zone,
                                  "span": (start, end), "payload": None}
            self.max_active_jobs = max(self.max_active_jobs, active + 1)
            self.counts["jobs"] += 1
            self.timespans.append((start, end))
        return 201, {}, {"job": self._job(job_id)}

    def _job_status(self, job_id: str) -> tuple[int, dict, Any]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return _error(404, "2005", f"Job {job_id} not found")
            job["polls"] += 1
            if (job["active"] and job["polls"] % self.polls_per_status == 0
                    and job["status"] != self.stall_at):
                position = self.statuses.index(job["status"]) + 1
                job["status"] = self.statuses[position]
                if job["status"] == "processing" and job["number"] in self.fail_jobs:
                    job["status"] = "failed"
                if job["status"] in ("done", "failed"):
                    job["active"] = False
            render = job["status"] == "done" and job["payload"] is None
        if render:  # the file is written when the job completes: ``now`` at that moment
            payload = self._render(job)
            with self._lock:
                job["payload"] = payload
        if job["status"] == "done" and self.job_done_answer != 200:  # 4.3
            files = f"{FILES}/{job_id}"
            location = files if self.job_done_answer == 300 else f"{self.base_url}{files}"
            if self.storage is not None:  # straight to the report in signed storage
                location = self._signed_link(job_id)
            with self._lock:
                self.counts["done_redirects"] += 1
            return self.job_done_answer, {"Location": location}, {"job": self._job(job_id)}
        return 200, {}, {"job": self._job(job_id)}

    def _file_link(self, job_id: str) -> tuple[int, dict, Any]:
        job = self._jobs.get(job_id)
        if job is None or job["status"] != "done":
            return _error(404, "2006", f"No file for job {job_id}")
        if self.file_answer == 200:  # the report itself, to the bearer of a token (4.3)
            with self._lock:
                self.counts["downloads"] += 1
            content = "text/csv" if job["format"] == "csv" else "application/json"
            return 200, {"Content-Type": content}, job["payload"]
        return self.file_answer, {"Location": self._signed_link(job_id)}, ""

    def _signed_link(self, job_id: str) -> str:
        """A new short-lived signed URL to the job's report (4.3)."""
        token = uuid.uuid4().hex
        with self._lock:
            expired = self.counts["links"] < self.expire_first_urls
            unreachable = self.counts["links"] < self.unreachable_first_urls
            self.counts["links"] += 1
            expires = 0.0 if expired else time.monotonic() + self.signed_url_ttl_seconds
            self._links[token] = {"job": job_id, "used": False, "expires": expires}
        signature = hashlib.sha256(token.encode()).hexdigest()
        host = (f"http://127.0.0.1:{_closed_port()}" if unreachable else
                 self.storage.base_url if self.storage is not None else self.base_url)
        location = (f"{host}{SIGNED}{token}?X-Amz-Expires="
                    f"{self.signed_url_ttl_seconds:g}&X-Amz-Signature={signature}")
        with self._lock:
            self.signed_urls.append(location)
        return location

    def _signed_file(self, token: str, headers) -> tuple[int, dict, Any]:
        xml = {"Content-Type": "application/xml"}
        if _header(headers, "Authorization"):
            with self._lock:
                self.counts["signed_refused_authorization"] += 1
            return 400, xml, ("<Error><Code>InvalidArgument</Code><Message>Only one auth "
                              "mechanism allowed</Message></Error>")
        with self._lock:
            link = self._links.get(token)
            if link is None or link["used"] or time.monotonic() > link["expires"]:
                self.counts["signed_refused_expired"] += 1
                return 403, xml, ("<Error><Code>AccessDenied</Code><Message>Request has expired"
                                  "</Message></Error>")
            link["used"] = True
            self.counts["downloads"] += 1
            job = self._jobs[link["job"]]
        content = "text/csv" if job["format"] == "csv" else "application/json"
        return 200, {"Content-Type": content}, job["payload"]

    def _job(self, job_id: str) -> dict[str, Any]:
        job = self._jobs[job_id]
        start, end = job["span"]
        return {"id": job_id, "name": "user_status", "type": "user_status",
                "status": job["status"], "format": job["format"], "timezone": str(job["zone"]),
                "timespan": {"from": start.isoformat(), "to": end.isoformat()},
                "_links": {"self": {"href": f"{self.base_url}{JOBS}/{job_id}"},
                           "files": {"href": f"{self.base_url}{FILES}/{job_id}"}}}

    # -- the report --------------------------------------------------------------------------

    def _render(self, job: dict[str, Any]) -> bytes:
        start, end = (pd.Timestamp(moment) for moment in job["span"])
        pieces = self._pieces(start, end, job["zone"])
        pieces = pieces[(pieces.end_utc >= start) & (pieces.end_utc < end)]  # by END (4.3)
        if self.now is not None:
            pieces = pieces[pieces.end_utc <= pd.Timestamp(self.now)]
        with self._lock:
            self.counts["records"] += len(pieces)
            for cause, count in pieces.cause.value_counts().items():
                self.counts[f"split_{cause}"] += int(count)
        records = self._records(pieces, job["zone"])
        if job["format"] == "csv":
            return records.to_csv(index=False).encode("utf-8")
        return json.dumps({"entries": records.to_dict("records")}).encode("utf-8")

    def _records(self, pieces: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
        agents = {a.index: a for a in self.simulator.agents}
        emails = pieces.agent.map(lambda i: agents[i].email)
        labels = pieces.state.map(self.state_map)
        return pd.DataFrame({
            "user_id": emails.map(self.user_id),
            "user_name": pieces.agent.map(lambda i: agents[i].user_name.replace(".", " ").title()),
            "user_email": emails, "status_label": labels.str[0],
            "status_start_at": _local_text(pieces.start_utc, zone),
            "status_end_at": _local_text(pieces.end_utc, zone),
            "status_time": (pieces.end_utc - pieces.start_utc).dt.total_seconds().astype(int),
            "is_user_active": True, "team_id": pieces.team.str.lower(),
            "team_name": pieces.team, "ring_groups": "agents",
        }).sort_values(["status_end_at", "user_email"])

    def _pieces(self, start: pd.Timestamp, end: pd.Timestamp, zone: ZoneInfo) -> pd.DataFrame:
        """Statuses ending in ``[start, end]``, cut into records (4.6): columns agent, state,
        start_utc, end_utc, team, cause (what split the record from the one before, or None)."""
        weeks = range(_week(start - _PAD), _week(end + _PAD) + 1)
        truth = pd.concat([self._week_truth(week) for week in weeks], ignore_index=True)
        truth = truth.drop_duplicates(["agent", "start_utc"])
        truth = truth[(truth.end_utc >= start) & (truth.start_utc < end)].reset_index(drop=True)
        status = np.arange(len(truth))
        naive = truth.start_utc.dt.tz_convert(zone).dt.tz_localize(None)
        month = (naive.dt.to_period("M") + 1).dt.to_timestamp().dt.tz_localize(
            zone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        change = truth.start_utc.dt.floor("D") + self.team_change
        change = change.where(change > truth.start_utc, change + pd.Timedelta(days=1))
        movers = _every(truth.agent, self.team_change_every)
        seconds = truth.start_utc.astype("int64") // 1_000_000
        campaign = truth.state.eq("on_call") & _every(truth.agent * 7919 + seconds,
                                                      self.campaign_split_every)
        middle = truth.start_utc + ((truth.end_utc - truth.start_utc) // 2).dt.floor("s")
        cuts = pd.concat([
            pd.DataFrame({"status": status, "moment": month, "cause": "month"}),
            pd.DataFrame({"status": status[movers], "moment": change[movers], "cause": "team"}),
            pd.DataFrame({"status": status[campaign], "moment": middle[campaign],
                          "cause": "campaign"}),
        ], ignore_index=True)
        status_start = truth.start_utc.iloc[cuts.status].to_numpy()
        status_end = truth.end_utc.iloc[cuts.status].to_numpy()
        inside = (cuts.moment.to_numpy() > status_start) & (cuts.moment.to_numpy() < status_end)
        starts = pd.DataFrame({"status": status, "moment": truth.start_utc, "cause": None})
        bounds = pd.concat([starts, cuts[inside]], ignore_index=True).sort_values(
            ["status", "moment"])
        bounds = bounds.drop_duplicates(["status", "moment"]).reset_index(drop=True)
        last = bounds.status.ne(bounds.status.shift(-1)).to_numpy()
        owner = truth.iloc[bounds.status].reset_index(drop=True)
        start = bounds.moment.reset_index(drop=True)
        pieces = pd.DataFrame({"agent": owner.agent, "state": owner.state, "start_utc": start,
                               "end_utc": start.shift(-1).where(~last, owner.end_utc),
                               "cause": bounds.cause.to_numpy()})
        day = ((pieces.start_utc - self.team_change).dt.floor("D") - _EPOCH).dt.days
        mover = _every(pieces.agent, self.team_change_every)
        pieces["team"] = np.where(mover, np.array(TEAMS)[(day + pieces.agent) % 2],
                                  np.array(TEAMS)[pieces.agent % 2])
        return pieces

    def _week_truth(self, week: int) -> pd.DataFrame:
        """Reported statuses overlapping one UTC week, rendered once per simulator."""
        with _RENDER_LOCK:  # concurrent jobs render each week once
            key = (self.simulator, week, tuple(sorted(self.state_map)))
            if key not in _WEEKS:
                lo, hi = _EPOCH + week * _WEEK, _EPOCH + (week + 1) * _WEEK
                truth = self.simulator.segments(lo.to_pydatetime(), hi.to_pydatetime())
                _WEEKS[key] = truth[truth.state.isin(list(self.state_map))].reset_index(drop=True)
            return _WEEKS[key]


class _Storage(HttpSandbox):
    """Signed storage on its own port: only the report's signed URLs (4.3)."""

    vendor, identifier, state_map = "talkdesk_storage", "email", {}

    def __init__(self, owner: TalkdeskSandbox):
        super().__init__(owner.simulator)
        self.owner = owner

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="talkdesk_storage", host=self.base_url)

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        if method == "GET" and path.startswith(SIGNED):
            return self.owner._signed_file(path.removeprefix(SIGNED), headers)
        return 404, {"Content-Type": "application/xml"}, "<Error><Code>NoSuchKey</Code></Error>"


def _moment(value: str, zone: ZoneInfo) -> dt.datetime:
    """A timespan bound: ISO-8601, in the job's zone unless it carries an offset [I]."""
    moment = dt.datetime.fromisoformat(value)
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return moment.astimezone(dt.timezone.utc)


def _local_text(values: pd.Series, zone: ZoneInfo) -> pd.Series:
    return values.dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M:%S")


def _every(numbers: pd.Series, every: int) -> pd.Series:
    """Every ``every``-th number (by remainder); none when ``every`` is 0."""
    return numbers % every == 0 if every else pd.Series(False, index=numbers.index)


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _week(moment: pd.Timestamp) -> int:
    return int((moment - _EPOCH) // _WEEK)



def _error(status: int, code: str, message: str) -> tuple[int, dict, Any]:
    return status, {}, {"code": code, "message": message}
