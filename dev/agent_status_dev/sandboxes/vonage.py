"""Vonage Contact Center sandbox: the OAuth token and the Insights Stats WFM agent states
(vendors.md 8).

It renders the simulator's truth the way VCC serves it:
- client credentials in the token request body; a token only for scope ``stats`` (8.2), good
  for ``token_ttl_requests`` calls; ``Accept: application/vnd.newvoicemedia.v3+json`` required;
  a wrong client id or secret answers ``{"error": "invalid_client"}`` with
  ``refused_client_status``: 400 (default), as RFC 6749 5.2 has it for a client that sends its
  secret in the body, or 401, which it allows [I: vendors.md 8.2 does not say which VCC uses];
- ``start``/``end`` at most 31 days apart, else 400 "Request window size limit exceeded 31 days"
  (8.3); ``include`` Started, StartedOrEnded or Processed (here a state is processed when it
  starts and when it ends, so Processed selects like StartedOrEnded);
- items sorted by start then agentId (8.4), paged with ``meta{page, count, pageCount,
  totalCount}``: the last page is short and a window without data is one empty page;
  ``extra_empty_page`` over-reports ``pageCount`` by one, that page empty; ``paging``
  (``PagingFaults``) injects an empty page, a repeated page or pages that never run out;
- ``upTo`` is the time of the request (8.3, corrected): ``now``, else the wall clock; states
  that start after it do not exist yet;
- ``duration`` in milliseconds, null while the state is open;
- with ``now`` set, a call or wrap-up that started less than ``provisional`` before it is served
  provisionally as Ready (the interaction is not attributed yet); a later ``now`` serves the
  final version of the same (agentId, start) (8.6).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Faults, HttpSandbox, PagingFaults, header as _header
from agent_status_dev.simulator import Simulator

CLIENT_ID, CLIENT_SECRET = "sandbox-vcc-client", "sandbox-vcc-secret"
TOKEN_PATH = "/Auth/connect/token"
AGENT_STATES = "/stats/wfm/agent-states"
ACCEPT = "application/vnd.newvoicemedia.v3+json"
MAX_WINDOW = dt.timedelta(days=31)  # 8.3
INCLUDES = ("Started", "StartedOrEnded", "Processed")
STATES = {  # canonical state -> (VCC state, description) (8.5)
    "ready": ("Ready", "Ready"),
    "on_call": ("Busy", "Live"),
    "wrap_up": ("Wrap", "Live"),
    "break": ("Away", "Break"),
    "lunch": ("Away", "Lunch"),
    "meeting": ("ExtendedAway", "Meeting"),
    "logged_out": ("LoggedOut", None),
}
PROVISIONAL_STATES = ("on_call", "wrap_up")


def _labels(state: str, description: str | None) -> tuple[str, str, None]:
    if description is None:
        return state, state, None
    return f"{state}/{description}", f"{state} - {description}", None


class VonageSandbox(HttpSandbox):
    vendor = "vonage"
    identifier = "agent_id"
    state_map = {state: _labels(*labels) for state, labels in STATES.items()}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0, *, token_ttl_requests: int = 50,
                 granted_scopes: tuple[str, ...] = ("stats",),
                 provisional: dt.timedelta = dt.timedelta(minutes=10),
                 extra_empty_page: bool = False, paging: PagingFaults | None = None,
                 refused_client_status: int = 400):
        super().__init__(simulator, now, faults, port)
        if refused_client_status not in (400, 401):
            raise ValueError("refused_client_status is 400 or 401 (RFC 6749 5.2)")
        self.refused_client_status = refused_client_status
        self.token_ttl_requests = token_ttl_requests
        self.granted_scopes = set(granted_scopes)
        self.provisional = provisional
        self.extra_empty_page = extra_empty_page
        self.paging = paging or PagingFaults()
        self.tokens_issued = 0
        self.windows: list[tuple[pd.Timestamp, pd.Timestamp]] = []  # every start/end asked
        self.pages: list[dict[str, Any]] = []  # every meta served, with the request's window
        self.early_up_to = 0  # answers whose upTo (the time of the request) is before their end
        self.provisional_served = 0
        self.copies_served: Counter = Counter()  # (agentId, start) -> times served
        self._tokens: dict[str, int] = {}
        self._answers: dict[tuple, tuple[pd.DataFrame, pd.Timestamp]] = {}
        self._lock = threading.Lock()

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="vonage_sandbox", conn_type="http", host=self.base_url,
                              login=CLIENT_ID, password=CLIENT_SECRET,
                              # auth_url: the provider form's name for the token URL
                              extra={"region": "emea", "auth_url": self.base_url + TOKEN_PATH})

    @property
    def empty_pages(self) -> list[dict[str, Any]]:
        return [meta for meta in self.pages if meta["count"] == 0]

    @property
    def short_pages(self) -> list[dict[str, Any]]:
        return [meta for meta in self.pages if 0 < meta["count"] < meta["limit"]]

    # -- routes ------------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        if (method, path) == ("POST", TOKEN_PATH):
            return self._issue_token(body)
        if not self._authorised(headers):
            return 401, {}, {"message": "Authorization has been denied for this request."}
        if (method, path) != ("GET", AGENT_STATES):
            return 404, {}, {"message": f"No route for {method} {path}"}
        if _header(headers, "Accept") != ACCEPT:
            return 406, {}, {"message": f"Accept must be {ACCEPT}"}
        try:
            start, end = _time(query, "start"), _time(query, "end")
            include = query.get("include", ["Started"])[0]
            page, limit = int(query.get("page", ["1"])[0]), int(query.get("limit", ["100"])[0])
        except ValueError as error:
            return 400, {}, {"message": str(error)}
        with self._lock:
            self.windows.append((start, end))
        if end <= start:
            return 400, {}, {"message": "end must be after start"}
        if end - start > MAX_WINDOW:
            return 400, {}, {"message": "Request window size limit exceeded 31 days"}
        if include not in INCLUDES or page < 1 or limit < 1:
            return 400, {}, {"message": f"include must be one of {INCLUDES}; page and limit "
                                        "at least 1"}
        items, up_to = self._answer(start, end, include)
        total = len(items)
        page_count = -(-total // limit)
        served = self.paging.page_to_serve(page, page_count)
        part = items.iloc[0:0] if served is None else items.iloc[(served - 1) * limit:
                                                                 served * limit]
        if self.paging.endless:
            page_count = max(page_count, page + 1)
        meta = {"page": page, "count": len(part), "totalCount": total,
                "pageCount": page_count + (1 if self.extra_empty_page else 0)}
        with self._lock:
            self.pages.append({**meta, "limit": limit, "start": start, "end": end})
            self.early_up_to += int(page == 1 and up_to < end)
            self.provisional_served += int(part.provisional.sum())
            self.copies_served.update(zip(part.agentId, part.start))
        items = part[["agentId", "start", "duration", "state", "description"]].to_dict("records")
        for item in items:  # an open state's duration, a LoggedOut's description: JSON null (8.4)
            for key, value in item.items():
                if value is not None and not isinstance(value, str) and pd.isna(value):
                    item[key] = None
        return 200, {}, {"meta": meta, "items": items,
                         "upTo": _iso(pd.Series([up_to])).iloc[0]}

    def _issue_token(self, body: bytes) -> tuple[int, dict, Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return self.refused_client_status, {}, {"error": "invalid_client"}
        scopes = set(form.get("scope", "").split())
        if "stats" not in scopes or not scopes <= self.granted_scopes:
            return 400, {}, {"error": "invalid_scope"}
        with self._lock:
            self.tokens_issued += 1
            token = str(uuid.uuid4())
            self._tokens[token] = self.token_ttl_requests
        return 200, {}, {"access_token": token, "token_type": "Bearer", "expires_in": 7200,
                         "scope": " ".join(sorted(scopes))}


    # -- data --------------------------------------------------------------------------------

    def _answer(self, start: pd.Timestamp, end: pd.Timestamp,
                include: str) -> tuple[pd.DataFrame, pd.Timestamp]:
        """The items a request selects, sorted, and ``upTo``: the time of the request (8.3)."""
        # vendors.md 8.3 (corrected): upTo is "the time of the request"
        up_to = pd.Timestamp(self.now if self.now is not None
                             else dt.datetime.now(dt.timezone.utc)).tz_convert("UTC")
        key = (start, end, include, self.now)
        with self._lock:
            if key in self._answers:
                return self._answers[key][0], up_to
        truth = self.simulator.segments(start, end, now=self.now)
        selected = (truth.start_utc >= start) & (truth.start_utc < end)
        if include != "Started":
            selected |= truth.end_utc.notna() & (truth.end_utc >= start) & (truth.end_utc < end)
        truth = truth[selected]
        provisional = pd.Series(False, index=truth.index)
        if self.now is not None:
            provisional = (truth.state.isin(PROVISIONAL_STATES)
                           & (truth.start_utc > pd.Timestamp(self.now) - self.provisional))
        shown = truth.state.where(~provisional, "ready")
        ids = {agent.index: agent.agent_id for agent in self.simulator.agents}
        items = pd.DataFrame({
            "agentId": truth.agent.map(ids), "start_utc": truth.start_utc,
            "start": _iso(truth.start_utc),
            "duration": ((truth.end_utc - truth.start_utc).dt.total_seconds() * 1000)
            .astype("Int64").astype(object).where(truth.end_utc.notna(), None),
            "state": shown.map(lambda s: STATES[s][0]),
            "description": shown.map(lambda s: STATES[s][1]),
            "provisional": provisional})
        items = items.sort_values(["start_utc", "agentId"]).reset_index(drop=True)
        with self._lock:
            self._answers[key] = (items, up_to)
        return items, up_to


def _time(query, name: str) -> pd.Timestamp:
    if name not in query:
        raise ValueError(f"{name} is required by the sandbox")
    try:
        stamp = pd.Timestamp(query[name][0])
    except ValueError as error:
        raise ValueError(f"{name} is not ISO-8601: {query[name][0]!r}") from error
    if stamp.tzinfo is None:
        raise ValueError(f"{name} needs a zone (UTC 'Z'): {query[name][0]!r}")
    return stamp.tz_convert("UTC")


def _iso(values: pd.Series) -> pd.Series:
    """``2026-10-24T22:00:00.000Z``."""
    return values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"

