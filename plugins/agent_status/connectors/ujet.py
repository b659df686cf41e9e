"""UJET / Google CCAI Platform: agent status history from the Manager API activity log
(vendors.md 5).

Credentials (5.2): HTTP Basic with the connection's login and password, in either of UJET's two
schemes, which are the same thing on the wire: company key + company secret code (Settings >
Developer Settings, older tenants), or subdomain + API token (Settings > Developer Settings >
API Credentials). The connection host is the tenant, e.g. ``https://acme.uc1.ccaiplatform.com``
(legacy ``https://acme.ujet.co``); the API lives under ``/manager/api/v1``.

The contract:
- ``GET /agent_activity_logs`` sorted by ``started_at`` ascending, filtered on
  ``started_at[from]`` and ``started_at[to]``, ``page``/``per`` paging that follows the
  ``Link rel="next"`` header; a chain that ends before the ``total`` header is a truncation (5.3).
  ``started_at[to]`` is not confirmed (5.3, 11): nothing relies on it, the records are filtered
  here too and a page reaching past the window ends that window's read.
- 10 requests a second per customer (5.3): one ``RateBudget`` for every request of the connector.
- The log mixes status changes with call/chat events and notifications (5.6): a status is a
  record with a ``status`` object and a status-change activity (``STATUS_ACTIVITIES``, our
  reading of 5.4); call/chat events and records without status are dropped; any other activity
  on a record with a status fails the import rather than being guessed.
- Records are found by their start: a status that started before the window and runs into it is
  caught by reading ``look_behind`` (3 days: a weekend off, the longest status short of a leave)
  before the window. An agent offline for longer is not seen for that time.
- The identifier is the agent's e-mail (0.1), from ``GET /agents`` by ``agent_id``; an agent_id
  that list lacks fails the import, naming it.
- ``vendor_activity_id`` and name are the status name: the catalogue is the tenant's own (5.5)
  and names are what WFM teams map (``wfm_id`` is often unset); ``reason`` is None. An open
  status has no ``ended_at``.

Options: ``per_page`` (100), ``requests_per_second`` (10), ``window_days`` (1: the read is cut
into windows of that many days, so paging stays shallow, as Google advises tailing, 5.6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd

from agent_status.connectors.auth import BasicAuth
from agent_status.connectors.base import ConnectionInfo, Connector, VendorError
from agent_status.connectors.http import HttpClient, RateBudget
from agent_status.connectors.paging import HeaderLinkPaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.windows import split_windows
from agent_status.frames import conform_raw_events, empty_raw_events

API = "/manager/api/v1"
ACTIVITY_LOGS = "agent_activity_logs"
AGENTS = "agents"
STATUS_ACTIVITIES = frozenset({"status_change", "login", "logout"})  # [I] 5.4
EVENT_PREFIXES = ("call_", "chat_")  # call and chat events (5.4, 5.6)
RECORD_FIELDS = ["id", "agent_id", "status", "started_at", "ended_at", "activity", "call_id",
                 "chat_id"]


class UjetConnector(Connector):
    spec = VENDORS["ujet"]
    look_behind = dt.timedelta(days=3)

    def __init__(self, connection: ConnectionInfo, integration):
        super().__init__(connection, integration)
        if not connection.host or not connection.login or not connection.password:
            raise VendorError(f"connection {connection.conn_id}: UJET needs the tenant as host "
                              "and HTTP Basic credentials as login/password (company key and "
                              "secret, or subdomain and API token)")
        self.per_page = self.options.get("per_page", 100)  # UJET's default (5.3)
        self.window = dt.timedelta(days=self.options.get("window_days", 1))
        base = connection.base_url()
        self.http = HttpClient(base if base.endswith(API) else base + API,
                               BasicAuth(connection.login, connection.password),
                               budget=RateBudget(self.options.get("requests_per_second", 10), 1.0))
        self._emails: dict[str, str] | None = None

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        records: list[dict[str, Any]] = []
        for window in split_windows(start - self.look_behind, end, self.window):
            records += self._activity_logs(*window)
        statuses = status_changes(records)
        statuses = statuses[(statuses.end_utc.isna() | (statuses.end_utc > _utc(start)))
                            & (statuses.start_utc < _utc(end))]
        if statuses.empty:
            yield empty_raw_events()
            return
        yield conform_raw_events(statuses.assign(
            external_user_id=self._emails_of(statuses.agent_id)))

    def close(self) -> None:
        self.http.close()

    # -- API calls ---------------------------------------------------------------------------

    def _activity_logs(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        params = {"page": 1, "per": self.per_page, "sort_column": "started_at",
                  "sort_direction": "ASC", "started_at[from]": _iso(start),
                  "started_at[to]": _iso(end)}
        what = f"{ACTIVITY_LOGS} {_iso(start)}..{_iso(end)}"
        records: list[dict[str, Any]] = []
        for page in self._pages(ACTIVITY_LOGS, params, what):
            records += page
            # sorted by start: a page reaching the window's end is the last one that matters,
            # whether or not started_at[to] was applied (5.3)
            if page and _utc(pd.Timestamp(page[-1]["started_at"])) >= _utc(end):
                break
        started = pd.to_datetime(pd.Series([r["started_at"] for r in records], dtype=object),
                                 utc=True, format="ISO8601")
        inside = ((started >= _utc(start)) & (started < _utc(end))).to_numpy()
        return [record for record, keep in zip(records, inside) if keep]

    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[list[dict]]:
        """Pages along the Link chain; a chain ending short of the ``total`` header fails."""
        pages, read = HeaderLinkPaginator(), 0
        while True:
            response = self._call(what, lambda: self.http.request("GET", path, params=params))
            try:
                records = response.json()
            except ValueError:
                records = response.text
            if not isinstance(records, list):
                raise VendorError(f"UJET {what}: expected a JSON array, got {str(records)[:200]}")
            read += len(records)
            pages.advance(response)
            yield records
            if not pages.has_more:
                break
            path, params = pages.next_url, None  # the next link carries every parameter
        total = response.headers.get("total")
        if total is not None and read < int(total):
            raise VendorError(f"UJET {what}: the Link chain ended after {read} of {total} "
                              "records (total header): the read is truncated")

    def emails(self) -> dict[str, str]:
        """agent_id -> e-mail of every agent UJET lists; fetched once per connector."""
        if self._emails is None:
            emails: dict[str, str] = {}
            for page in self._pages(AGENTS, {"page": 1, "per": self.per_page}, AGENTS):
                emails.update({str(a["id"]): a["email"] for a in page if a.get("email")})
            self._emails = emails
        return self._emails

    def _emails_of(self, agent_ids: pd.Series) -> pd.Series:
        emails = self.emails()
        unknown = sorted(set(agent_ids) - emails.keys())
        if unknown:
            raise VendorError(
                f"UJET: {len(unknown)} agent_id(s) in {ACTIVITY_LOGS} are not listed with an "
                f"e-mail by GET {API}/{AGENTS}, so their statuses have no identifier: "
                f"{', '.join(unknown[:10])}")
        return agent_ids.map(emails)

    def _call(self, what: str, send):
        try:
            return send()
        except VendorError as error:
            raise VendorError(f"UJET {what}: {error}") from error


def status_changes(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The status changes among activity records, once per record id (5.6)."""
    frame = pd.DataFrame(records, columns=RECORD_FIELDS)
    frame = frame[~(frame.id.notna() & frame.id.duplicated(keep="last"))]  # served twice
    name = frame.status.str.get("name")
    activity = frame.activity.fillna("").astype(str)
    event = (frame.call_id.notna() | frame.chat_id.notna()
             | activity.str.startswith(EVENT_PREFIXES))
    status = name.notna() & ~event
    unknown = status & ~activity.isin(STATUS_ACTIVITIES)
    if unknown.any():
        raise VendorError(
            f"UJET {ACTIVITY_LOGS}: {int(unknown.sum())} record(s) carry a status but an "
            f"activity that is neither a status change ({sorted(STATUS_ACTIVITIES)}) nor a "
            f"call/chat event: {sorted(set(activity[unknown]))[:10]}, e.g. record id "
            f"{frame.id[unknown].iloc[0]}; extend STATUS_ACTIVITIES in ujet.py if it is one")
    kept = frame[status]
    return pd.DataFrame({
        "agent_id": kept.agent_id.astype(str),
        "vendor_activity_id": name[status], "vendor_activity_name": name[status],
        "reason": None,
        "start_utc": _parse_utc(kept.started_at), "end_utc": _parse_utc(kept.ended_at),
    }).reset_index(drop=True)


def _parse_utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(object), utc=True, format="ISO8601").astype(
        "datetime64[us, UTC]")


def _utc(moment) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(moment: dt.datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
