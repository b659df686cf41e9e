"""Five9 sandbox: the Configuration Web Service's report methods, over SOAP (vendors.md 1).

It renders the simulator's truth the way an Agent State Details-style custom report does, with
each contested detail a constructor argument:
- one CSV row per state: AGENT (user name), AGENT GROUP, DATE and TIME of the state's start,
  STATE, REASON CODE, AGENT STATE TIME (HH:MM:SS); logged-out time is not reported; reason codes
  hold a Latin-1 character ("Pause café") and the result is sent Latin-1 encoded without saying
  so (1.4, 1.6) [I];
- DATE and TIME are wall time in the zone of ``data_center`` (1.4: US Pacific per Five9's docs;
  UK Europe/London, CA America/Vancouver, EU Europe/Berlin as Matatika's tap localises them);
  DATE is written with ``date_format``: ``%Y/%m/%d`` (a warehouse model) or ``%a, %d %b %Y``
  (``Tue, 07 May 2024``, Matatika's tap);
- overlapping states (1.6): on every ``overlap_every``-th Ready -> On Call transition the On Call
  row starts with the Ready (Ready 13:00:00 for 5 s and On Call 13:00:00 for the Ready's and the
  call's time); injixo's rule (the longer starts where the shorter ends) gives the truth back;
- ``runReport`` selects rows by state START in ``[criteria.start, criteria.end)``; with ``now``
  only states that have ended are reported [I]; a result holds at most ``row_cap`` rows, the
  first ones, silently (1.3). No document says how the criteria's offset is read (1.4, 1.6):
  as the instant it names (the default; a time without offset is refused [I]), or, with
  ``criteria_wall_time``, as wall time in the report's zone with the offset ignored, so both
  occurrences of a repeated wall time come back from the window after the fall-back;
- the domain quotas of 1.3 are enforced per fixed minute, hour and day of ``clock``; quota and
  "not ready" answers are SOAP faults (HTTP 500), never 429 (1.3); ``quota_fault_every`` and
  ``not_ready_every`` inject them deterministically, as another integration of the domain would.
  With ``typed_faults`` (the WSDL's way, 1.4) a fault carries its type in ``<detail>``
  (``OperationsLimitExceededFault`` with limit and operationType, ``ResultIsNotReadyFault``,
  ``ReportNotFoundFault``) and a faultstring worded as the fault list describes the fault,
  which no word-matching recognises; without, the faultstring alone: the words PSFive9Admin
  handles for "not ready" (1.3), ours for quotas [I].
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Faults, HttpSandbox, header as _header
from agent_status_dev.simulator import Simulator

WSADMIN_PATH = "/wsadmin/v13/AdminWebService"
USER, PASSWORD = "wfm.import@contoso-cc.example", "sandbox-password"
FOLDER, REPORT = "Agent Reports", "Agent State Details"
# the zone of report times per data center (1.4)
DATA_CENTERS = {"us": "America/Los_Angeles", "uk": "Europe/London", "ca": "America/Vancouver",
                "eu": "Europe/Berlin"}
ROW_CAP = 50_000  # getReportResultCsv (1.3)
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.admin.ws.five9.com/"
# (seconds, calls) per method, counted per fixed interval (1.3)
LIMITS = {
    "runReport": ((60, 16), (3600, 120), (86400, 800)),
    "getReportResultCsv": ((60, 20), (3600, 200), (86400, 1000)),
    "isReportRunning": ((60, 450), (3600, 15000), (86400, 172800)),
}
NOT_READY = ("Result is not ready", "Report is not yet finishing running")  # PSFive9Admin (1.3)
# the fault list's description of each typed fault (Five9 Config Web Services docs) [I as wording]
NOT_READY_TYPED = ("Operation in progress has not been completed. To check status, use "
                   "isImportRunning or isReportRunning.")
COLUMNS = ["AGENT", "AGENT GROUP", "DATE", "TIME", "STATE", "REASON CODE", "AGENT STATE TIME"]
_WEEK = pd.Timedelta(days=7)
_EPOCH = pd.Timestamp("2000-01-03", tz="UTC")  # a Monday
_PAD = pd.Timedelta(hours=6)  # longer than any reported state
_WEEKS: dict[tuple, pd.DataFrame] = {}  # the truth is a pure function: rendered once, shared
_RENDER_LOCK = threading.Lock()


class Five9Sandbox(HttpSandbox):
    vendor = "five9"
    identifier = "user_name"
    # STATE plus REASON CODE when there is one; logged_out is not reported
    state_map = {
        "ready": ("Ready", "Ready", None),
        "on_call": ("On Call", "On Call", None),
        "wrap_up": ("After Call Work", "After Call Work", None),
        "break": ("Not Ready/Break", "Not Ready", "Break"),
        "lunch": ("Not Ready/Lunch", "Not Ready", "Lunch"),
        "meeting": ("Not Ready/Pause café", "Not Ready", "Pause café"),
    }

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0, *, row_cap: int = ROW_CAP,
                 overlap_every: int = 5, quota_fault_every: int = 0, not_ready_every: int = 0,
                 running_polls: int = 1, csv_encoding: str = "latin-1",
                 data_center: str = "us", date_format: str = "%Y/%m/%d",
                 typed_faults: bool = True, criteria_wall_time: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        """``running_polls``: isReportRunning answers true that many times per report.
        ``quota_fault_every``: every n-th runReport answers a quota fault (0: never).
        ``not_ready_every``: the first result request of every n-th report is refused as not
        ready. ``clock``: the time the domain quotas are counted in."""
        super().__init__(simulator, now, faults, port)
        self.row_cap, self.overlap_every = row_cap, overlap_every
        self.quota_fault_every, self.not_ready_every = quota_fault_every, not_ready_every
        self.running_polls, self.csv_encoding, self.clock = running_polls, csv_encoding, clock
        self.zone, self.date_format = DATA_CENTERS[data_center], date_format
        self.typed_faults, self.criteria_wall_time = typed_faults, criteria_wall_time
        self.calls: Counter[str] = Counter()  # every SOAP method called
        self.injected: Counter[str] = Counter()  # quota, quota_enforced, not_ready, overlap, ...
        self.call_times: dict[str, list[float]] = {}  # clock() of each accepted call, per method
        self.criteria: list[tuple[dt.datetime, dt.datetime]] = []  # every report window run
        self.result_sizes: list[int] = []
        self._reports: dict[str, dict[str, Any]] = {}
        self._windows: Counter[tuple[str, str, int]] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="five9_sandbox", conn_type="http", host=self.base_url,
                              login=USER, password=PASSWORD)

    # -- SOAP --------------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        if (method, path) != ("POST", WSADMIN_PATH):
            return 404, {"Content-Type": "text/plain"}, f"No service at {method} {path}"
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if _header(headers, "Authorization") != f"Basic {expected}":
            return 401, {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="Five9"'}, \
                "<html><body>401 Unauthorized</body></html>"
        try:
            call = ET.fromstring(body).find(f"{{{SOAP_ENV}}}Body")[0]
        except (ET.ParseError, TypeError, IndexError):
            return _fault("env:Client", "Malformed SOAP envelope")
        name = call.tag.split("}")[-1]
        params = {child.tag.split("}")[-1]: child for child in call}
        with self._lock:
            self.calls[name] += 1
        routes = {"runReport": self._run_report, "isReportRunning": self._is_report_running,
                  "getReportResultCsv": self._report_result_csv}
        if name not in routes:
            return _fault("env:Client", f"Method {name} is not supported by this sandbox")
        quota = self._quota(name)
        if quota:
            calls, per, words = quota
            return self._fault_of(
                "OperationsLimitExceededFault", words,
                f"Maximum number of Web Services requests for the {per} has been exceeded",
                limit=calls, operationType=name)
        return routes[name](params)

    def _fault_of(self, fault: str, words: str, described: str, **fields) -> tuple:
        """A typed fault: with ``typed_faults`` its type and fields in ``<detail>`` and the
        fault list's description as faultstring; else the faultstring's words alone (1.4)."""
        if self.typed_faults:
            return _fault("env:Server", described, fault=fault, **fields)
        return _fault("env:Server", words)

    def _quota(self, name: str) -> tuple[int, str, str] | None:
        """(limit, period, words) when a domain limit is reached (1.3), or an injected one."""
        with self._lock:
            if name == "runReport" and self.quota_fault_every and \
                    self.calls[name] % self.quota_fault_every == 0:
                self.injected["quota"] += 1
                return 16, "minute", (f"Limit of requests per minute for method {name} is "
                                      "exceeded for domain (used by another application)")
            now = self.clock()
            for seconds, calls in LIMITS.get(name, ()):
                if self._windows[(name, str(seconds), int(now // seconds))] >= calls:
                    self.injected["quota_enforced"] += 1
                    per = {60: "minute", 3600: "hour", 86400: "day"}[seconds]
                    return calls, per, (f"Limit of {calls} requests per {per} for method {name} "
                                        "is exceeded")
            for seconds, _ in LIMITS.get(name, ()):
                self._windows[(name, str(seconds), int(now // seconds))] += 1
            self.call_times.setdefault(name, []).append(now)
        return None

    def _run_report(self, params) -> tuple[int, dict, Any]:
        folder, report = _text(params, "folderName"), _text(params, "reportName")
        if (folder, report) != (FOLDER, REPORT):
            missing = f"Report \"{report}\" in folder \"{folder}\" not found"
            return self._fault_of("ReportNotFoundFault", missing, missing, folder=folder,
                                  reportName=report)
        try:
            criteria = params["criteria"].find("time")
            start = dt.datetime.fromisoformat(criteria.findtext("start").strip())
            end = dt.datetime.fromisoformat(criteria.findtext("end").strip())
        except (KeyError, AttributeError, ValueError) as error:
            return _fault("env:Client", f"criteria.time start and end must be xsd:dateTime "
                                        f"({error})")
        asked = (start, end)
        if self.criteria_wall_time:  # 1.4, 1.6: the offset ignored, the wall time read
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        elif start.tzinfo is None or end.tzinfo is None:
            # [I] a wall time without offset would be ambiguous in the repeated hour
            return _fault("env:Client", "criteria.time needs an offset (e.g. -08:00)")
        rows = self._report_rows(pd.Timestamp(start), pd.Timestamp(end))
        with self._lock:
            number = next(self._ids)
            identifier = f"sandbox-report-{number:06d}"
            self.criteria.append(asked)
            self.result_sizes.append(len(rows))
            if len(rows) >= self.row_cap:
                self.injected["capped"] += 1
            self._reports[identifier] = {"rows": rows, "polls": 0, "number": number,
                                         "refused": False}
        return _answer("runReport", identifier)

    def _is_report_running(self, params) -> tuple[int, dict, Any]:
        report = self._reports.get(_text(params, "identifier"))
        if report is None:
            return _fault("env:Server", f"Report with identifier "
                                        f"{_text(params, 'identifier')!r} not found")
        with self._lock:
            report["polls"] += 1
            running = report["polls"] <= self.running_polls
        return _answer("isReportRunning", "true" if running else "false")

    def _report_result_csv(self, params) -> tuple[int, dict, Any]:
        report = self._reports.get(_text(params, "identifier"))
        if report is None:
            return _fault("env:Server", f"Report with identifier "
                                        f"{_text(params, 'identifier')!r} not found")
        with self._lock:
            inject = (self.not_ready_every and report["number"] % self.not_ready_every == 0
                      and not report["refused"])
            if report["polls"] <= self.running_polls or inject:
                report["refused"] = True
                self.injected["not_ready"] += 1
                return self._fault_of("ResultIsNotReadyFault", NOT_READY[report["number"] % 2],
                                      NOT_READY_TYPED)
        rows = report["rows"]
        csv = rows[COLUMNS].to_csv(index=False, lineterminator="\n")
        with self._lock:
            self.injected["overlap"] += int(rows.overlapped.sum())
            self.injected["ambiguous_hour"] += int(rows.ambiguous.sum())
            self.injected["latin1"] += int(rows["REASON CODE"].map(_not_ascii).sum())
        envelope = _envelope("getReportResultCsv", csv)
        # [I] sent in the report's encoding without a charset: the client must notice (1.4)
        return 200, {"Content-Type": "text/xml"}, envelope.encode(self.csv_encoding)

    # -- the report --------------------------------------------------------------------------

    def _report_rows(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if start.tzinfo is None:  # wall time in the report's zone (criteria_wall_time)
            lo, hi = (moment.tz_localize("UTC") for moment in (start, end))
            first, last = _week(lo - pd.Timedelta(days=1)), _week(hi + pd.Timedelta(days=1))
        else:
            first, last = _week(start), _week(end - pd.Timedelta(microseconds=1))
        rows = pd.concat([self._week_rows(week) for week in range(first, last + 1)],
                         ignore_index=True)
        moment = rows.start_utc
        if start.tzinfo is None:
            moment = moment.dt.tz_convert(self.zone).dt.tz_localize(None)
        rows = rows[(moment >= start) & (moment < end)]
        if self.now is not None:  # [I] a state is reported once it has ended
            rows = rows[rows.end_utc <= pd.Timestamp(self.now)]
        rows = rows.sort_values(["start_utc", "AGENT", "end_utc"])
        return rows.head(self.row_cap).reset_index(drop=True)  # the cap, silently (1.3)

    def _week_rows(self, week: int) -> pd.DataFrame:
        """Report rows whose (reported) start falls in one UTC week, rendered once."""
        with _RENDER_LOCK:
            key = (self.simulator, self.overlap_every, self.zone, self.date_format, week)
            if key not in _WEEKS:
                _WEEKS[key] = self._render_week(week)
            return _WEEKS[key]

    def _render_week(self, week: int) -> pd.DataFrame:
        lo, hi = _EPOCH + week * _WEEK, _EPOCH + (week + 1) * _WEEK
        truth = self.simulator.segments((lo - _PAD).to_pydatetime(), (hi + _PAD).to_pydatetime())
        truth = truth[truth.state.isin(list(self.state_map))]
        truth = truth.sort_values(["agent", "start_utc"]).reset_index(drop=True)
        previous = truth.shift()
        # 1.6: the call reported from the start of the Ready before it
        key = truth.agent * 1_000_003 + truth.start_utc.astype("int64") // 1_000_000
        overlapped = (truth.state.eq("on_call") & previous.state.eq("ready")
                      & previous.agent.eq(truth.agent) & previous.end_utc.eq(truth.start_utc)
                      & (key % max(self.overlap_every, 1) == 0) & (self.overlap_every > 0))
        start = truth.start_utc.where(~overlapped, previous.start_utc)
        wall = start.dt.tz_convert(self.zone).dt.tz_localize(None)
        first = wall.dt.tz_localize(self.zone, ambiguous=np.ones(len(wall), bool))
        second = wall.dt.tz_localize(self.zone, ambiguous=np.zeros(len(wall), bool))
        labels = truth.state.map(self.state_map)
        users = {a.index: a.user_name for a in self.simulator.agents}
        seconds = (truth.end_utc - start).dt.total_seconds().astype("int64")
        rows = pd.DataFrame({
            "AGENT": truth.agent.map(users),
            "AGENT GROUP": np.where(truth.agent % 2 == 0, "Support", "Sales"),
            "DATE": wall.dt.strftime(self.date_format), "TIME": wall.dt.strftime("%H:%M:%S"),
            "STATE": labels.str[1], "REASON CODE": labels.str[2].fillna(""),
            "AGENT STATE TIME": _hms(seconds),
            "start_utc": start, "end_utc": truth.end_utc, "overlapped": overlapped,
            "ambiguous": first != second,
        })
        return rows[(rows.start_utc >= lo) & (rows.start_utc < hi)].reset_index(drop=True)


def _week(moment: pd.Timestamp) -> int:
    return int((moment.tz_convert("UTC") - _EPOCH) // _WEEK)


def _hms(seconds: pd.Series) -> pd.Series:
    """HH:MM:SS; text even when empty (``map`` keeps an empty series int64: a tenant with no
    agents)."""
    def two(part: pd.Series) -> pd.Series:
        return part.astype(str).str.zfill(2)

    return two(seconds // 3600) + ":" + two(seconds // 60 % 60) + ":" + two(seconds % 60)


def _not_ascii(text: str) -> bool:
    return not text.isascii()


def _text(params: dict, name: str) -> str:
    element = params.get(name)
    return (element.text or "").strip() if element is not None else ""


def _envelope(method: str, value: str) -> str:
    return (f'<env:Envelope xmlns:env="{SOAP_ENV}"><env:Body>'
            f'<ns2:{method}Response xmlns:ns2="{SERVICE_NS}"><return>{escape(value)}</return>'
            f"</ns2:{method}Response></env:Body></env:Envelope>")


def _answer(method: str, value: str) -> tuple[int, dict, Any]:
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, _envelope(method, value)


def _fault(code: str, message: str, fault: str | None = None, **fields) -> tuple[int, dict, Any]:
    """A SOAP 1.1 fault; a typed one carries its type, message and fields in ``<detail>``."""
    detail = ""
    if fault is not None:
        parts = "".join(f"<{key}>{escape(str(value))}</{key}>"
                        for key, value in {"message": message, **fields}.items())
        detail = f'<detail><ns2:{fault} xmlns:ns2="{SERVICE_NS}">{parts}</ns2:{fault}></detail>'
    return 500, {"Content-Type": "text/xml; charset=utf-8"}, (
        f'<env:Envelope xmlns:env="{SOAP_ENV}"><env:Body><env:Fault>'
        f"<faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring>{detail}"
        "</env:Fault></env:Body></env:Envelope>")
