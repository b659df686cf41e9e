"""UJET / Google CCAI Platform: agent status history from the Manager API activity log
(vendors.md 5).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/ujet.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd

from agent_status.connectors.auth import BasicAuth
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import count_header, iso_times, iso_z, utc
from agent_status.connectors.http import HttpClient, RateBudget
from agent_status.connectors.paging import Page, ShortPagePaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.source import Directory, RestSource
from agent_status.connectors.windows import Windows

API = "/manager/api/v1"
ACTIVITY_LOGS = "agent_activity_logs"
AGENTS = "agents"
MAX_PER_PAGE = 100  # a larger ``per`` is reduced to 100 (5.3)
# event families of Google's activity table, never a status interval (5.6)
EVENT_FAMILIES = ("call_", "chat_", "deltacast_", "multicast_")


class UjetConnector(RestSource):
    spec, vendor = VENDORS["ujet"], "UJET"
    lookback_option = "look_behind_days"  # records are found by their start (5.3)

    def __init__(self, connection: ConnectionInfo, integration):
        super().__init__(connection, integration)
        if not connection.host or not connection.login or not connection.password:
            raise VendorError(f"connection {connection.conn_id}: UJET needs the tenant as host "
                              "and HTTP Basic credentials as login/password (company key and "
                              "secret, or subdomain and API token)")
        self.per_page = min(self.options["per_page"], MAX_PER_PAGE)
        self.windows = Windows(dt.timedelta(days=self.options["window_days"]),
                               lookback=dt.timedelta(days=self.options["look_behind_days"]),
                               granularity=dt.timedelta(seconds=1))
        base = connection.base_url()
        self.http = HttpClient(base if base.endswith(API) else base + API,
                               BasicAuth(connection.login, connection.password),
                               budget=RateBudget(self.options["requests_per_second"], 1.0))
        self.directory = Directory(self._emails, f"UJET: {{count}} agent_id(s) in {ACTIVITY_LOGS}"
                                   f" are not listed with an e-mail by GET {API}/{AGENTS}, so "
                                   "their statuses have no identifier")

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> Iterator[list[dict[str, Any]]]:
        """The records started in the window; sorted by start, a page reaching the window's end
        is the last one that matters, whether or not started_at[to] was applied (5.3)."""
        start, end = (iso_z(moment, "s") for moment in window)
        params = {"sort_column": "started_at", "sort_direction": "ASC",
                  "started_at[from]": start, "started_at[to]": end}
        for page in self._pages(ACTIVITY_LOGS, params, f"{ACTIVITY_LOGS} {start}..{end}"):
            started = _times(page, "started_at", f"{ACTIVITY_LOGS} {start}..{end}", True)
            yield [record for record, inside in zip(page, ((started >= utc(window[0])) & (
                started < utc(window[1]))).to_numpy()) if inside]
            if page and started.iloc[-1] >= utc(window[1]):
                break

    def parse(self, pages: list[list[dict[str, Any]]]) -> pd.DataFrame:
        return status_intervals([record for page in pages for record in page])

    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[list[dict]]:
        """Pages by number until a short or empty page; ``Link`` is not relied on (5.3)."""
        def fetch(number: int) -> Page:
            query = {**params, "page": number, "per": self.per_page}
            # a 200 that is not JSON (a proxy's HTML page, a body cut short) is retried (http.py)
            response = self.call(what, lambda: self.http.request("GET", path, params=query,
                                                                 expect_json=True))
            records = response.parsed_json
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise VendorError(f"UJET {what}: expected a JSON array of objects, got "
                                  f"{str(records)[:200]}")
            return Page(records, total=count_header(response, "Total", f"UJET {what}"),
                        size=count_header(response, "Per-Page", f"UJET {what}"),
                        key=tuple(r.get("id") for r in records))

        pager = ShortPagePaginator(f"UJET {what}", self.per_page, self.options["max_pages"])
        return self.pages(pager, fetch)

    def _emails(self) -> dict[str, str]:
        """agent_id -> e-mail of every agent UJET lists."""
        return {str(a["id"]): a["email"] for page in self._pages(AGENTS, {}, AGENTS)
                for a in page if a.get("email")}


def is_status_interval(record: dict[str, Any]) -> bool:
    """A status interval by its own shape (5.6): a status object, no call or chat, and an
    activity outside the event families. Nothing depends on the activity's exact name."""
    activity = record.get("activity")
    return (record.get("status") is not None and record.get("call_id") is None
            and record.get("chat_id") is None
            and not (isinstance(activity, str) and activity.startswith(EVENT_FAMILIES)))


def status_intervals(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The status intervals among activity records, once per record id (5.6), keyed on the
    agent_id."""
    kept = {record.get("id", id(record)): record  # a record served twice counts once
            for record in records if is_status_interval(record)}
    rows = list(kept.values())
    names = [_status_name(record) for record in rows]
    for name, record in zip(names, rows):
        if record.get("agent_id") is None:
            raise VendorError(f"UJET {ACTIVITY_LOGS}: record {record.get('id')} has no agent_id "
                              f"(status {name!r})")
    return pd.DataFrame({
        "external_user_id": pd.Series([str(r["agent_id"]) for r in rows], dtype=object),
        "vendor_activity_id": pd.Series(names, dtype=object),
        "vendor_activity_name": pd.Series(names, dtype=object), "reason": None,
        "start_utc": _times(rows, "started_at", ACTIVITY_LOGS, required=True),
        "end_utc": _times(rows, "ended_at", ACTIVITY_LOGS, required=False)})


def _status_name(record: dict[str, Any]) -> str:
    status = record["status"]
    name = status.get("name") if isinstance(status, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise VendorError(f"UJET {ACTIVITY_LOGS}: record {record.get('id')} has a status without "
                          f"a name: status = {status!r}")
    return name


def _times(records: list[dict[str, Any]], field: str, what: str, required: bool) -> pd.Series:
    """Every record's ``field`` (5.4) in UTC; one that is not ISO-8601 fails naming it."""
    values = pd.Series([r.get(field) for r in records], dtype=object)
    return iso_times(values, lambda at: (f"UJET {what}: {field} of record "
                                         f"{records[at].get('id')} is not an ISO-8601 time"),
                     required=required)
