"""Genesys Cloud sandbox: the users directory and the analytics user-details query (vendors.md 2).

It renders the simulator's truth the way Genesys stores it:
- presence and routing status are two timelines (2.4, 2.6): ready/on_call/wrap_up are one
  contiguous ON_QUEUE presence, during which routing status is IDLE/INTERACTING/COMMUNICATING;
  every other state is its own presence, with routing status OFF_QUEUE;
- a segment is stored on its start day and on its end day (UTC), only those two, however
  many days lie between (2.3, corrected); a query finds every segment overlapping its interval,
  with full start and end, even one that spans the whole interval and was stored on no day of
  it; it pages over those (user, day) records and removes duplicates within a page afterwards,
  so pages come back short while more follow, and a multi-day status reappears on several
  pages (2.3, 2.6);
- ``totalHits`` counts the records; it is approximate (2.3): ``total_hits_bias`` skews it;
- at most 7 days without filters, 31 with (2.3); an open segment has no ``endTime``;
- paging faults on demand (``details_paging``, ``users_paging``: ``PagingFaults``): a transient
  page without ``userDetails``, a page repeating the previous one, pages that never run out.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Faults, HttpSandbox, PagingFaults, header as _header
from agent_status_dev.simulator import Agent, Simulator

CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-secret"
DETAILS_PERMISSION = "analytics:userDetail:view"
USERS_PERMISSION = "directory:user:view"
UNFILTERED_MAX = dt.timedelta(days=7)  # vendors.md 2.3
FILTERED_MAX = dt.timedelta(days=31)
USERS_MAX_PAGE_SIZE = 500

ROUTING = {"ready": "IDLE", "on_call": "INTERACTING", "wrap_up": "COMMUNICATING"}
PRESENCE = {"break": "BREAK", "lunch": "MEAL", "meeting": "MEETING", "logged_out": "OFFLINE",
            **{state: "ON_QUEUE" for state in ROUTING}}
FIELDS = {"presence": ("primaryPresence", "systemPresence"),
          "routing": ("routingStatus", "routingStatus")}
# the truth is read this far around a query so that merged runs get their full start and end:
# the longest run is OFF_QUEUE over two days off (under three days)
MARGIN = dt.timedelta(days=3)


@dataclass(frozen=True)
class DetailsPage:
    """One details-query answer, as the sandbox served it."""

    interval: str
    number: int
    size: int
    user_ids: tuple[str, ...]
    more_follow: bool  # day records remain after this page

    @property
    def short(self) -> bool:
        return len(self.user_ids) < self.size


class GenesysCloudSandbox(HttpSandbox):
    vendor = "genesys_cloud"
    identifier = "user_name"
    state_map = {
        "ready": ("ON_QUEUE/IDLE", "On Queue - Idle", None),
        "on_call": ("ON_QUEUE/INTERACTING", "On Queue - Interacting", None),
        "wrap_up": ("ON_QUEUE/COMMUNICATING", "On Queue - Communicating", None),
        "break": ("BREAK", "Break", None),
        "lunch": ("MEAL", "Meal", None),
        "meeting": ("MEETING", "Meeting", None),
        "logged_out": ("OFFLINE", "Offline", None),
    }

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 faults: Faults | None = None, port: int = 0, *, token_ttl_requests: int = 50,
                 permissions: tuple[str, ...] = (DETAILS_PERMISSION, USERS_PERMISSION),
                 inactive_user_names: tuple[str, ...] = (),
                 unlisted_user_names: tuple[str, ...] = (), total_hits_bias: float = 0.0,
                 details_paging: PagingFaults | None = None,
                 users_paging: PagingFaults | None = None):
        """``token_ttl_requests``: API calls a token is good for before it answers 401.
        ``inactive_user_names``: listed by ``GET /api/v2/users`` only with state inactive/any.
        ``unlisted_user_names``: never listed (e.g. outside the client's divisions), yet present
        in analytics. ``total_hits_bias``: ``totalHits`` is off by this fraction (2.3)."""
        super().__init__(simulator, now, faults, port)
        self.total_hits_bias = total_hits_bias
        self.details_paging = details_paging or PagingFaults()
        self.users_paging = users_paging or PagingFaults()
        self.token_ttl_requests = token_ttl_requests
        self.permissions = set(permissions)
        self.inactive_user_names = set(inactive_user_names)
        self.unlisted_user_names = set(unlisted_user_names)
        self.tokens_issued = 0
        self.intervals: list[tuple[dt.datetime, dt.datetime]] = []  # every interval asked for
        self.pages: list[DetailsPage] = []
        self._tokens: dict[str, int] = {}
        self._stored: dict[tuple[pd.Timestamp, pd.Timestamp], tuple[pd.DataFrame, pd.DataFrame]] = {}
        self._lock = threading.Lock()

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="genesys_cloud_sandbox", conn_type="http",
                              host=self.base_url, login=CLIENT_ID, password=CLIENT_SECRET,
                              extra={"token_url": f"{self.base_url}/oauth/token"})

    def user_id(self, agent: Agent) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL,
                              f"genesys-cloud-sandbox/{self.simulator.seed}/{agent.user_name}"))

    @property
    def short_pages(self) -> list[DetailsPage]:
        """Pages holding fewer users than asked although more records followed."""
        return [page for page in self.pages if page.short and page.more_follow]

    def stored_days(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """The days each segment a query of ``[start, end)`` finds is stored on (2.3)."""
        stored, _ = self._storage(start, end)
        return stored[["user_id", "kind", "code", "start_utc", "end_utc", "day"]].copy()

    # -- routes ------------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> tuple[int, dict, Any]:
        if (method, path) == ("POST", "/oauth/token"):
            return self._issue_token(headers, body)
        if not self._authorised(headers):
            return _error(401, "bad.credentials", "Invalid login credentials.")
        if (method, path) == ("GET", "/api/v2/users"):
            return self._users(query)
        if (method, path) == ("POST", "/api/v2/analytics/users/details/query"):
            return self._user_details(body)
        return _error(404, "not.found", f"No route for {method} {path}")

    def _issue_token(self, headers, body) -> tuple[int, dict, Any]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if _header(headers, "Authorization") != f"Basic {expected}":
            return 401, {}, {"error": "invalid_client", "description": "client not found"}
        form = parse_qs(body.decode("utf-8"))
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {}, {"error": "unsupported_grant_type"}
        with self._lock:
            self.tokens_issued += 1
            token = str(uuid.uuid4())
            self._tokens[token] = self.token_ttl_requests
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 86399}


    def _users(self, query) -> tuple[int, dict, Any]:
        if USERS_PERMISSION not in self.permissions:
            return _missing_permission(USERS_PERMISSION)
        try:
            size = int(query.get("pageSize", ["25"])[0])
            number = int(query.get("pageNumber", ["1"])[0])
        except ValueError:
            return _error(400, "bad.request", "pageSize and pageNumber must be integers")
        if not 1 <= size <= USERS_MAX_PAGE_SIZE or number < 1:
            return _error(400, "bad.request", f"pageSize must be 1..{USERS_MAX_PAGE_SIZE}, "
                                              "pageNumber at least 1")
        state = query.get("state", ["active"])[0]
        states = {"active": {"active"}, "inactive": {"inactive"}, "deleted": set(),
                  "any": {"active", "inactive"}}.get(state)
        if states is None:
            return _error(400, "bad.request", "state must be active, inactive, deleted or any")
        users = [self._user(agent) for agent in self.simulator.agents
                 if agent.user_name not in self.unlisted_user_names]
        users = [user for user in users if user["state"] in states]
        page_count = -(-len(users) // size)
        served = self.users_paging.page_to_serve(number, page_count)
        page = [] if served is None else users[(served - 1) * size: served * size]
        if self.users_paging.endless:
            page_count = max(page_count, number + 1)
        return 200, {}, {"entities": page, "pageSize": size, "pageNumber": number,
                         "total": len(users), "pageCount": page_count}

    def _user(self, agent: Agent) -> dict[str, Any]:
        first, last = agent.user_name.split(".", 1)
        state = "inactive" if agent.user_name in self.inactive_user_names else "active"
        return {"id": self.user_id(agent), "name": f"{first.title()} {last.title()}",
                "username": agent.user_name, "email": agent.email, "state": state, "version": 1}

    def _user_details(self, body: bytes) -> tuple[int, dict, Any]:
        if DETAILS_PERMISSION not in self.permissions:
            return _missing_permission(DETAILS_PERMISSION)
        try:
            request = json.loads(body or b"{}")
            start, end = _interval(request.get("interval"))
            paging = request.get("paging") or {}
            size, number = int(paging.get("pageSize", 25)), int(paging.get("pageNumber", 1))
        except (ValueError, TypeError, AttributeError) as error:
            return _error(400, "bad.request", str(error))
        with self._lock:
            self.intervals.append((start, end))
        filtered = any(request.get(key) for key in
                       ("userFilters", "presenceFilters", "routingStatusFilters"))
        limit = FILTERED_MAX if filtered else UNFILTERED_MAX
        if end - start > limit:
            return _error(400, "bad.request",
                          f"Interval {request['interval']} is longer than the maximum of "
                          f"{limit.days} days for a query {'with' if filtered else 'without'} "
                          f"filters")
        if size < 1 or number < 1:
            return _error(400, "bad.request", "pageSize and pageNumber must be at least 1")
        order = request.get("order", "asc")
        if order not in ("asc", "desc"):
            return _error(400, "bad.request", "order must be asc or desc")

        stored, records = self._storage(start, end)
        if order == "desc":
            records = records.iloc[::-1]
        served = self.details_paging.page_to_serve(number, -(-len(records) // size))
        keys = records.iloc[0:0] if served is None else records.iloc[(served - 1) * size:
                                                                         served * size]
        keys = keys.assign(record=lambda frame: range(len(frame)))
        # duplicates are removed within the page, after paging: short pages (vendors.md 2.3)
        rows = (stored.merge(keys, on=["user_id", "day"])
                .sort_values(["record", "kind", "start_utc"])
                .drop_duplicates(["user_id", "kind", "start_utc"]))
        details = [_detail(user_id, user_rows)
                   for user_id, user_rows in rows.groupby("user_id", sort=False)]
        more = number * size < len(records)
        with self._lock:
            self.pages.append(DetailsPage(request["interval"], number, size,
                                          tuple(d["userId"] for d in details), more))
        # approximate, like Genesys's (2.3)
        answer: dict[str, Any] = {"totalHits": round(len(records) * (1 + self.total_hits_bias))}
        if details:  # Genesys leaves out empty arrays [I]
            answer["userDetails"] = details
        return 200, {}, answer

    # -- storage -----------------------------------------------------------------------------

    def _storage(self, start: dt.datetime, end: dt.datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Segments overlapping the interval, one row per day they are stored on (their start
        day and their end day, 2.3), and the ordered (user, day) records the query pages over."""
        key = (pd.Timestamp(start), pd.Timestamp(end))
        with self._lock:
            if key in self._stored:
                return self._stored[key]
        q_start, q_end = key
        segments = self._timelines(start, end)
        segments = segments[(segments.end_utc.isna() | (segments.end_utc > q_start))
                            & (segments.start_utc < q_end)].reset_index(drop=True)
        # vendors.md 2.3: stored on the start day and the end day, not on the days between; an
        # open segment has no end day yet
        start_day = segments.start_utc.dt.floor("D")
        end_day = (segments.end_utc - pd.Timedelta(microseconds=1)).dt.floor("D")
        stored = pd.concat([segments.assign(day=start_day),
                            segments.assign(day=end_day)[end_day.notna() & end_day.ne(start_day)]])
        stored = stored.sort_index(kind="stable").reset_index(drop=True)
        stored["startTime"] = _iso_ms(stored.start_utc)
        stored["endTime"] = _iso_ms(stored.end_utc)
        records = stored[["user_id", "day"]].drop_duplicates().sort_values(
            ["user_id", "day"]).reset_index(drop=True)
        with self._lock:
            self._stored[key] = (stored, records)
            while len(self._stored) > 16:  # a long-running demo sandbox keeps the recent ones
                self._stored.pop(next(iter(self._stored)))
        return stored, records

    def _timelines(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """Presence and routing-status segments (kind, user_id, code, start_utc, end_utc)."""
        truth = self.simulator.segments(start - MARGIN, end + MARGIN, now=self.now)
        # a run is reported if the simulator's own answer for the interval holds a part of it:
        # that answer is what ``expected`` holds (it can lack the logged-out gap before a shift
        # beyond the simulator's horizon; the wider read above cannot tell that apart)
        known = self.simulator.segments(start, end, now=self.now)[["agent", "start_utc"]]
        truth = truth.merge(known.assign(known=True), how="left", on=["agent", "start_utc"])
        ids = {agent.index: self.user_id(agent) for agent in self.simulator.agents}
        truth = truth.assign(user_id=truth.agent.map(ids), known=truth.known.eq(True))
        presence = _runs(truth.assign(code=truth.state.map(PRESENCE)))
        routing = _runs(truth.assign(code=truth.state.map(ROUTING).fillna("OFF_QUEUE")))
        both = pd.concat([presence.assign(kind="presence"), routing.assign(kind="routing")],
                         ignore_index=True)
        return both[both.known].drop(columns="known")


def _runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Contiguous segments of one user with the same code, as one segment."""
    frame = frame.sort_values(["user_id", "start_utc"]).reset_index(drop=True)
    starts = ((frame.user_id != frame.user_id.shift()) | (frame.code != frame.code.shift())
              | (frame.start_utc != frame.end_utc.shift()))
    ends = starts.shift(-1, fill_value=True)
    runs = frame.loc[starts, ["user_id", "code", "start_utc"]].reset_index(drop=True)
    # a Series, not .to_numpy(): that is object dtype, which an empty frame (a tenant with no
    # agents) keeps, and ``.dt`` then fails
    runs["end_utc"] = frame.loc[ends, "end_utc"].reset_index(drop=True)
    runs["known"] = frame.known.groupby(starts.cumsum()).any().to_numpy()
    return runs


def _detail(user_id: str, rows: pd.DataFrame) -> dict[str, Any]:
    detail: dict[str, Any] = {"userId": user_id}
    for kind, (field, code_field) in FIELDS.items():
        part = rows[rows.kind == kind].sort_values("start_utc")
        if len(part):
            detail[field] = [
                {"startTime": start, **({"endTime": end} if isinstance(end, str) else {}),
                 code_field: code}
                for start, end, code in zip(part.startTime, part.endTime, part.code)]
    return detail


def _interval(value: Any) -> tuple[dt.datetime, dt.datetime]:
    if not isinstance(value, str) or value.count("/") != 1:
        raise ValueError(f"interval must be '<start>/<end>' in ISO-8601, got {value!r}")
    try:
        start, end = (dt.datetime.fromisoformat(part) for part in value.split("/"))
    except ValueError as error:
        raise ValueError(f"interval {value!r} is not ISO-8601: {error}") from error
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError(f"interval {value!r} needs UTC times ('Z')")
    if end <= start:
        raise ValueError(f"interval {value!r} ends before it starts")
    return start, end


def _iso_ms(values: pd.Series) -> pd.Series:
    """``2026-10-24T22:00:00.000Z``; None for an open end."""
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    return text.astype(object).where(values.notna(), None)



def _error(status: int, code: str, message: str) -> tuple[int, dict, Any]:
    return status, {}, {"status": status, "code": code, "message": message}


def _missing_permission(permission: str) -> tuple[int, dict, Any]:
    return _error(403, "missing.permissions",
                  f"Unable to perform the requested action. You are missing the following "
                  f"permission(s): [{permission}]")
