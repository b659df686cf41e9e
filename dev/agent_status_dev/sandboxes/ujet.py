"""UJET sandbox: the Manager API's agents list and agent activity log (vendors.md 5).

It renders the simulator's truth the way UJET serves it, with each contested detail a
constructor argument:
- HTTP Basic with either credential scheme, company key + secret or subdomain + API token (5.2);
- JSON arrays paged with ``page``/``per`` (a ``per`` above 100 is reduced to 100) (5.3). The
  headers are contested, each one a switch: a ``Total`` header (Google's page: the response
  header gives the number of records, without naming it; tap-ujet reads ``total``;
  ``total_header``), a ``Per-Page`` header (tap-ujet reads ``per-page`` next to its "client
  API bug" note, vendors.md does not list it; ``per_page_header``) and an RFC 5988 ``Link``
  header (``rel="next"`` while more follow, ``rel="last"``: tap-ujet parses it, Google's page
  says the API "doesn't explicitly indicate" more records; ``link_header``). ``serves_per``
  pages by that size whatever ``per`` asks (announcing it in ``Per-Page``); ``short_page``
  serves that page one record short (a truncation), ``repeats_after`` serves that page again
  for every later one (a server ignoring ``page``);
- ``started_at[from]``/``[to]`` and an ascending sort on ``started_at``; with
  ``honours_to=False`` the unconfirmed ``[to]`` is ignored and records run on past it (5.3, 11);
- each status as one record with its status object, start, end and duration (null while open);
  its activity is ``login`` after a logout, ``logout`` into Offline, else ``status_activity``
  (``user_status_changed`` in Google's activity table; ``status_change`` is our notes' example,
  5.4, 5.6);
- events of every family of Google's table mixed in (5.6), each with a status, a start, an end
  and a duration: ``call_notification_offered`` (call_id, "On Call") ringing 3 s before each
  call, ``chat_notification_offered`` (chat_id, "In Chat"), ``deltacast_call_missed`` and
  ``multicast_call_notification_offered`` (no call_id, "Available") inside some Available
  periods; a notification without status a minute into each lunch [I]; with
  ``undocumented_event`` a call event of that activity (call_id, no event-family name) where
  each call ends. Kept as statuses, any of them would rewrite the timeline.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Faults, HttpSandbox
from agent_status_dev.simulator import Agent, Simulator

API = "/manager/api/v1"
CREDENTIALS = {"company_key": ("sandbox-company-key", "sandbox-company-secret"),
               "api_token": ("acme", "sandbox-api-token")}
STATUSES = {  # canonical state -> UJET status object (id, wfm_id, name, color)
    "ready": (1, 101, "Available", "#7ed321"),
    "on_call": (2, 102, "On Call", "#4a90e2"),
    "wrap_up": (3, 103, "Wrap-up", "#9013fe"),
    "break": (4, 104, "Break", "#f5a623"),
    "lunch": (5, 105, "Lunch", "#f8e71c"),
    "meeting": (6, 106, "Meeting", "#50e3c2"),
    "logged_out": (7, 107, "Offline", "#9b9b9b"),
    "in_chat": (8, 108, "In Chat", "#417505"),
}
KINDS = {"status": 0, "call": 1, "chat": 2, "notification": 3, "deltacast": 4, "multicast": 5,
         "undocumented": 6}
MAX_PER = 100  # a larger per is reduced to 100 (5.3)
RING = pd.Timedelta(3, "s")  # a call is offered this long before it is picked up [I]
HISTORY = dt.timedelta(days=3)  # truth read before a query: what each status follows
UNBOUNDED = dt.timedelta(days=1)  # how far past an ignored [to] records run when now is unset


class UjetSandbox(HttpSandbox):
    vendor = "ujet"
    identifier = "email"
    state_map = {state: (name, name, None)
                 for state, (_, _, name, _) in STATUSES.items() if state != "in_chat"}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0, *, honours_to: bool = True,
                 unlisted_emails: tuple[str, ...] = (),
                 status_activity: str = "user_status_changed",
                 undocumented_event: str | None = None, link_header: bool = True,
                 total_header: bool = True, per_page_header: bool = True,
                 serves_per: int | None = None, short_page: int | None = None,
                 repeats_after: int | None = None):
        """``unlisted_emails``: agents ``/agents`` leaves out although they have statuses."""
        super().__init__(simulator, now, faults, port)
        self.honours_to = honours_to
        self.unlisted_emails = set(unlisted_emails)
        self.status_activity = status_activity
        self.undocumented_event = undocumented_event
        self.link_header, self.total_header = link_header, total_header
        self.per_page_header, self.serves_per = per_page_header, serves_per
        self.short_page, self.repeats_after = short_page, repeats_after
        self.schemes_used: set[str] = set()
        self.request_times: list[float] = []  # monotonic, every request reaching the sandbox
        self.pages_served: list[tuple[str, int, int]] = []  # (path, page, records)
        self.kinds_served = {kind: 0 for kind in KINDS}
        self.activities_served: set[str] = set()
        self.served_past_to = 0  # records served although they start after [to]
        self._logs: dict[tuple, pd.DataFrame] = {}
        self._lock = threading.Lock()

    def connection(self, scheme: str = "company_key") -> ConnectionInfo:
        login, password = CREDENTIALS[scheme]
        return ConnectionInfo(conn_id="ujet_sandbox", conn_type="http", host=self.base_url,
                              login=login, password=password)

    def ujet_agent_id(self, agent: Agent) -> int:
        return 1000 + agent.index

    # -- routes ------------------------------------------------------------------------------

    def dispatch(self, method, path, query, headers, body):
        with self._lock:
            self.request_times.append(time.monotonic())
        return super().dispatch(method, path, query, headers, body)

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        scheme = self._scheme(headers)
        if scheme is None:
            return 401, {}, {"message": "Unauthorized"}
        with self._lock:
            self.schemes_used.add(scheme)
        if method != "GET":
            return 405, {}, {"message": f"{method} not allowed"}
        try:
            page = int(query.get("page", ["1"])[0])
            per = int(query.get("per", ["100"])[0])
        except ValueError:
            return 400, {}, {"message": "page and per must be integers"}
        if page < 1 or per < 1:
            return 400, {}, {"message": "page and per must be at least 1"}
        if path == f"{API}/agents":
            return self._page(path, query, page, per, self._agents())
        if path == f"{API}/agent_activity_logs":
            try:
                log, to = self._log_for(query)
            except ValueError as error:
                return 400, {}, {"message": str(error)}
            status, headers_out, records = self._page(path, query, page, per, log)
            served = log.iloc[[r["row"] for r in records]] if records else log.iloc[:0]
            with self._lock:
                for kind, count in served.kind.value_counts().items():
                    self.kinds_served[kind] += int(count)
                self.activities_served.update(served.activity)
                if to is not None:
                    self.served_past_to += int((served.start_utc >= to).sum())
            for record in records:
                del record["row"]
            return status, headers_out, records
        return 404, {}, {"message": f"No route for {method} {path}"}

    def _scheme(self, headers) -> str | None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        try:
            login, password = base64.b64decode(value.removeprefix("Basic ")).decode().split(":", 1)
        except (ValueError, UnicodeDecodeError):
            return None
        return next((s for s, pair in CREDENTIALS.items() if pair == (login, password)), None)

    def _page(self, path, query, page, per, rows: pd.DataFrame) -> tuple[int, dict, Any]:
        per = self.serves_per or min(per, MAX_PER)
        total = len(rows)
        served_page = min(page, self.repeats_after) if self.repeats_after else page
        part = rows.iloc[(served_page - 1) * per: served_page * per]
        if page == self.short_page:
            part = part.iloc[:-1]
        if "start_utc" in part:
            records = _records(part)
            for record, row in zip(records, part.index):
                record["row"] = int(row)  # for the counters of handle(); removed before serving
        else:
            records = part.to_dict("records")
        headers: dict[str, Any] = {}
        if self.total_header:
            headers["Total"] = total
        if self.per_page_header:
            headers["Per-Page"] = per
        if self.link_header:
            links = []
            if page * per < total:
                links.append(f'<{self._url(path, query, page + 1)}>; rel="next"')
            last = max(-(-total // per), 1)
            links.append(f'<{self._url(path, query, last)}>; rel="last"')
            headers["Link"] = ", ".join(links)
        with self._lock:
            self.pages_served.append((path, page, len(records)))
        return 200, headers, records

    def _url(self, path, query, page) -> str:
        params = {**{k: v[0] for k, v in query.items()}, "page": page}
        return f"{self.base_url}{path}?{urlencode(params)}"

    # -- data --------------------------------------------------------------------------------

    def _agents(self) -> pd.DataFrame:
        rows = [{"id": self.ujet_agent_id(a), "email": a.email,
                 "first_name": a.user_name.split(".")[0].title(),
                 "last_name": a.user_name.split(".")[1].title(), "agent_number": a.agent_id}
                for a in self.simulator.agents if a.email not in self.unlisted_emails]
        return pd.DataFrame(rows)

    def _log_for(self, query) -> tuple[pd.DataFrame, pd.Timestamp | None]:
        """The records a query selects, in order, and its ``[to]`` when it is ignored."""
        if query.get("sort_column", ["started_at"]) != ["started_at"] or \
                query.get("sort_direction", ["ASC"])[0].upper() != "ASC":
            raise ValueError("the sandbox sorts only by started_at ascending")
        if "started_at[from]" not in query:
            raise ValueError("the sandbox needs started_at[from]")
        low = _timestamp(query["started_at[from]"][0])
        to = _timestamp(query["started_at[to]"][0]) if "started_at[to]" in query else None
        if to is not None and self.honours_to:
            high, ignored = to, None
        else:
            high = pd.Timestamp(self.now) if self.now else (to or low) + UNBOUNDED
            ignored = to
        return self._log(low, high), ignored

    def _log(self, low: pd.Timestamp, high: pd.Timestamp) -> pd.DataFrame:
        """Every activity record starting in ``[low, high)``, as UJET orders them."""
        key = (low, high, self.now)
        with self._lock:
            if key in self._logs:
                return self._logs[key]
        truth = self.simulator.segments(low - HISTORY, high, now=self.now)
        truth = truth.sort_values(["agent", "start_utc"]).reset_index(drop=True)
        previous = truth.groupby("agent").state.shift()
        activity = np.select([truth.state.eq("logged_out"), previous.eq("logged_out")],
                             ["logout", "login"], self.status_activity)
        statuses = truth.assign(kind="status", activity=activity, status_key=truth.state)
        closed = truth[truth.end_utc.notna()]
        calls = closed[closed.state.eq("on_call")]
        offers = calls.assign(kind="call", activity="call_notification_offered",
                              status_key="on_call", start_utc=calls.start_utc - RING,
                              end_utc=calls.start_utc)
        ready = closed[closed.state.eq("ready")]
        middle = ready.start_utc + ((ready.end_utc - ready.start_utc) / 2).dt.floor("s")
        second = ready.start_utc.dt.second % 4
        events = [offers]
        for kind, activity, status_key, which in (
                ("chat", "chat_notification_offered", "in_chat", 0),
                ("deltacast", "deltacast_call_missed", "ready", 1),
                ("multicast", "multicast_call_notification_offered", "ready", 2)):
            chosen = second.eq(which)
            events.append(ready[chosen].assign(kind=kind, activity=activity,
                                               status_key=status_key,
                                               start_utc=middle[chosen], end_utc=middle[chosen]))
        lunches = truth[truth.state.eq("lunch")]
        noted = lunches.start_utc + pd.Timedelta(60, "s")
        events.append(lunches.assign(kind="notification", activity="notification_received",
                                     status_key=None, start_utc=noted, end_utc=noted))
        if self.undocumented_event:
            events.append(calls.assign(kind="undocumented", activity=self.undocumented_event,
                                       status_key="on_call", start_utc=calls.end_utc))
        log = pd.concat([statuses, *events], ignore_index=True)
        log = log[(log.start_utc >= low) & (log.start_utc < high)]
        if self.now is not None:
            log = log[log.start_utc < pd.Timestamp(self.now)]
        seconds = log.start_utc.astype("int64") // 1_000_000
        kind = log.kind.map(KINDS).astype("int64")
        log = log.assign(id=(seconds * 1000 + log.agent.astype("int64")) * 8 + kind,
                         agent_id=log.agent.map({a.index: self.ujet_agent_id(a)
                                                 for a in self.simulator.agents}))
        log = log.sort_values(["start_utc", "id"]).reset_index(drop=True)
        with self._lock:
            self._logs[key] = log
        return log


def _records(log: pd.DataFrame) -> list[dict[str, Any]]:
    started = _iso(log.start_utc)
    ended = _iso(log.end_utc)
    duration = ((log.end_utc - log.start_utc).dt.total_seconds()).astype(object)
    records = []
    for row, start, end, seconds in zip(log.itertuples(), started, ended, duration):
        status = None
        if row.status_key is not None:
            status_id, wfm_id, name, color = STATUSES[row.status_key]
            status = {"id": status_id, "wfm_id": wfm_id, "name": name, "color": color}
        records.append({
            "id": int(row.id), "agent_id": int(row.agent_id), "status": status,
            "started_at": start, "ended_at": end,
            "duration": None if end is None else int(seconds),
            "activity": row.activity,
            "call_id": int(row.id) if row.kind in ("call", "undocumented") else None,
            "chat_id": int(row.id) if row.kind == "chat" else None})
    return records


def _iso(values: pd.Series) -> pd.Series:
    """``2026-10-24T22:00:00.000Z``; None for an open end."""
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    return text.astype(object).where(values.notna(), None)


def _timestamp(value: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except ValueError as error:
        raise ValueError(f"not an ISO-8601 time: {value!r}") from error
    if stamp.tzinfo is None:
        raise ValueError(f"time without zone: {value!r}")
    return stamp.tz_convert("UTC")
