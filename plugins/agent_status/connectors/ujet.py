"""UJET / Google CCAI Platform: agent status history from the Manager API activity log
(vendors.md 5).

Credentials (5.2): HTTP Basic with the connection's login and password, in either of UJET's two
schemes, which are the same thing on the wire: company key + company secret code (Settings >
Developer Settings, older tenants), or subdomain + API token (Settings > Developer Settings >
API Credentials). The connection host is the tenant, e.g. ``https://acme.uc1.ccaiplatform.com``
(legacy ``https://acme.ujet.co``); the API lives under ``/manager/api/v1``.

The contract:
- ``GET /agent_activity_logs`` sorted by ``started_at`` ascending, filtered on
  ``started_at[from]`` and ``started_at[to]``, paged with ``page``/``per`` (5.3). Whether a page
  follows is not something the API reliably says (Google: it "doesn't explicitly indicate" it;
  tap-ujet: headers missing through a client API bug), so pages are asked for by number until
  one holds fewer records than the ``per`` asked for (at most 100), as Google's page says to
  compare with "your page size"; a ``Total`` header (Google: the header gives the number of
  records; tap-ujet reads ``total``), when sent, must be reached, else the read is truncated;
  a ``Per-Page`` header (read by tap-ujet only) is a consistency check: one that differs from
  ``per`` fails, since every page would then look like the last; a ``Link`` header is
  ignored. Paging is bounded (``max_pages``), and a page repeating the previous one fails.
  ``started_at[to]`` is not confirmed (5.3, 11): nothing relies on it, the records are filtered
  here too and a page reaching past the window ends that window's read.
- 10 requests a second per customer (5.3): one ``RateBudget`` for every request of the connector.
- The log mixes status changes with call/chat events and notifications (5.6), and the
  ``activity`` of a status change is not confirmed (``user_status_changed`` in Google's table,
  ``status_change`` in our notes, ``login``/``logout``): a record is a status interval by its
  own shape, not by a list of activity names: it has a ``status`` object, no ``call_id`` or
  ``chat_id``, and its activity is not of an event family (``call_``, ``chat_``,
  ``deltacast_``, ``multicast_``). A status without a name, or a start that is not ISO-8601,
  fails naming the field, the value and the record.
- Records are found by their start (5.3): a status that started before the window and runs into
  it is caught by reading option ``look_behind_days`` (3: a weekend off, the longest status
  short of a leave) before the window. An agent whose first status read starts inside the
  window has nothing before it: either a status begun before the look-behind, lost, or a new
  agent's first status. The two cannot be told apart from the log, so this is a warning (in the
  task log and in ``agent-status check``) naming the agents and the option to raise, not a
  failure, which would stop every night a new agent joins.
- The identifier is the agent's e-mail (0.1), from ``GET /agents`` by ``agent_id``; an agent_id
  that list lacks fails the import, naming it.
- ``vendor_activity_id`` and name are the status name: the catalogue is the tenant's own (5.5)
  and names are what WFM teams map (``wfm_id`` is often unset); ``reason`` is None. An open
  status has no ``ended_at``.

Options: ``per_page`` (100, UJET's maximum), ``max_pages`` (per window), ``requests_per_second``
(10), ``look_behind_days`` (3), ``window_days`` (1: the read is cut into windows of that many
days, so paging stays shallow, as Google advises tailing, 5.6).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd

from agent_status.connectors.auth import BasicAuth
from agent_status.connectors.base import ConnectionInfo, Connector, VendorError
from agent_status.connectors.http import HttpClient, RateBudget
from agent_status.connectors.paging import ShortPagePaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.windows import split_windows
from agent_status.frames import conform_raw_events, empty_raw_events

log = logging.getLogger(__name__)

API = "/manager/api/v1"
ACTIVITY_LOGS = "agent_activity_logs"
AGENTS = "agents"
MAX_PER_PAGE = 100  # a larger ``per`` is reduced to 100 (5.3)
# event families of Google's activity table, never a status interval (5.6)
EVENT_FAMILIES = ("call_", "chat_", "deltacast_", "multicast_")


class UjetConnector(Connector):
    spec = VENDORS["ujet"]

    def __init__(self, connection: ConnectionInfo, integration):
        super().__init__(connection, integration)
        if not connection.host or not connection.login or not connection.password:
            raise VendorError(f"connection {connection.conn_id}: UJET needs the tenant as host "
                              "and HTTP Basic credentials as login/password (company key and "
                              "secret, or subdomain and API token)")
        self.per_page = min(self.options["per_page"], MAX_PER_PAGE)
        self.max_pages = self.options["max_pages"]
        self.window = dt.timedelta(days=self.options["window_days"])
        self.look_behind = dt.timedelta(days=self.options["look_behind_days"])
        self.warnings: list[str] = []  # what the last extract could not tell (check shows them)
        base = connection.base_url()
        self.http = HttpClient(base if base.endswith(API) else base + API,
                               BasicAuth(connection.login, connection.password),
                               budget=RateBudget(self.options["requests_per_second"], 1.0))
        self._emails: dict[str, str] | None = None

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        records: list[dict[str, Any]] = []
        for window in split_windows(start - self.look_behind, end, self.window):
            records += self._activity_logs(*window)
        statuses = status_intervals(records)
        self._warn_of_unseen_beginnings(statuses, start)
        statuses = statuses[(statuses.end_utc.isna() | (statuses.end_utc > _utc(start)))
                            & (statuses.start_utc < _utc(end))]
        if statuses.empty:
            yield empty_raw_events()
            return
        yield conform_raw_events(statuses.assign(
            external_user_id=self._emails_of(statuses.agent_id)))

    def close(self) -> None:
        self.http.close()

    def _warn_of_unseen_beginnings(self, statuses: pd.DataFrame, start: dt.datetime) -> None:
        """Agents whose first status read starts after ``start``: what they did before it began
        earlier than the look-behind, or they are new (module docstring)."""
        first = statuses.groupby("agent_id").start_utc.min()
        late = first[first > _utc(start)]
        self.warnings = []
        if late.empty:
            return
        emails = self.emails()
        named = [f"{emails.get(agent, f'agent_id {agent}')} (from {moment:%Y-%m-%d %H:%M}Z)"
                 for agent, moment in late.sort_values().items()]
        message = (f"UJET: {len(late)} agent(s) have no status starting in the "
                   f"{self.look_behind.total_seconds() / 86400:g} day(s) read before "
                   f"{_iso(start)} (option look_behind_days), so their status at that time is "
                   f"unknown until their first one: a status begun earlier is missing, unless "
                   f"they are new; raise look_behind_days if it covers a longer absence: "
                   f"{', '.join(named[:10])}{' ...' if len(named) > 10 else ''}")
        self.warnings.append(message)
        log.warning("%s", message)

    # -- API calls ---------------------------------------------------------------------------

    def _activity_logs(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        params = {"sort_column": "started_at", "sort_direction": "ASC",
                  "started_at[from]": _iso(start), "started_at[to]": _iso(end)}
        what = f"{ACTIVITY_LOGS} {_iso(start)}..{_iso(end)}"
        records: list[dict[str, Any]] = []
        for page in self._pages(ACTIVITY_LOGS, params, what):
            records += page
            # sorted by start: a page reaching the window's end is the last one that matters,
            # whether or not started_at[to] was applied (5.3)
            if page and _starts(page[-1:], what).iloc[0] >= _utc(end):
                break
        started = _starts(records, what)
        inside = ((started >= _utc(start)) & (started < _utc(end))).to_numpy()
        return [record for record, keep in zip(records, inside) if keep]

    def _pages(self, path: str, params: dict[str, Any], what: str) -> Iterator[list[dict]]:
        """Pages by number until a short or empty page; ``Link`` is not relied on (5.3)."""
        pages = ShortPagePaginator(f"UJET {what}", self.per_page, self.max_pages)
        while pages.has_more:
            query = {**params, "page": pages.next_page(), "per": self.per_page}
            # a 200 that is not JSON (a proxy's HTML page, a body cut short) is retried (http.py)
            response = self._call(what, lambda: self.http.request("GET", path, params=query,
                                                                  expect_json=True))
            records = response.parsed_json
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                raise VendorError(f"UJET {what}: expected a JSON array of objects, got "
                                  f"{str(records)[:200]}")
            pages.advance(records, fingerprint=tuple(r.get("id") for r in records),
                          total=_count(response, "Total", what),
                          announced_size=_count(response, "Per-Page", what))
            yield records

    def emails(self) -> dict[str, str]:
        """agent_id -> e-mail of every agent UJET lists; fetched once per connector."""
        if self._emails is None:
            emails: dict[str, str] = {}
            for page in self._pages(AGENTS, {}, AGENTS):
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


def is_status_interval(record: dict[str, Any]) -> bool:
    """A status interval by its own shape (5.6): a status object, no call or chat, and an
    activity outside the event families. Nothing depends on the activity's exact name."""
    activity = record.get("activity")
    return (record.get("status") is not None and record.get("call_id") is None
            and record.get("chat_id") is None
            and not (isinstance(activity, str) and activity.startswith(EVENT_FAMILIES)))


def status_intervals(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The status intervals among activity records, once per record id (5.6)."""
    kept: dict[Any, dict[str, Any]] = {}
    for record in records:
        if is_status_interval(record):
            kept[record.get("id", id(record))] = record  # a record served twice counts once
    rows = [(_status_name(r), r.get("agent_id"), r.get("started_at"), r.get("ended_at"), r)
            for r in kept.values()]
    for name, agent_id, _, _, record in rows:
        if agent_id is None:
            raise VendorError(f"UJET {ACTIVITY_LOGS}: record {record.get('id')} has no agent_id "
                              f"(status {name!r})")
    frame = pd.DataFrame([row[:4] for row in rows],
                         columns=["name", "agent_id", "started_at", "ended_at"], dtype=object)
    records_kept = [row[4] for row in rows]
    return pd.DataFrame({
        "agent_id": frame.agent_id.astype(str),
        "vendor_activity_id": frame.name, "vendor_activity_name": frame.name, "reason": None,
        "start_utc": _parse_utc(frame.started_at, "started_at", records_kept, required=True),
        "end_utc": _parse_utc(frame.ended_at, "ended_at", records_kept, required=False),
    })


def _status_name(record: dict[str, Any]) -> str:
    status = record["status"]
    name = status.get("name") if isinstance(status, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise VendorError(f"UJET {ACTIVITY_LOGS}: record {record.get('id')} has a status without "
                          f"a name: status = {status!r}")
    return name


def _parse_utc(values: pd.Series, field: str, records: list[dict[str, Any]], required: bool,
               what: str = ACTIVITY_LOGS) -> pd.Series:
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna() & (values.notna() | required)
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise VendorError(f"UJET {what}: {field} of record "
                          f"{records[position].get('id')} is not an ISO-8601 time: "
                          f"{values.iloc[position]!r}")
    return parsed.astype("datetime64[us, UTC]")


def _starts(records: list[dict[str, Any]], what: str) -> pd.Series:
    """Every record's ``started_at`` (5.4), in UTC; one that is missing or not ISO-8601 fails."""
    values = pd.Series([r.get("started_at") for r in records], dtype=object)
    return _parse_utc(values, "started_at", records, required=True, what=what)


def _count(response, name: str, what: str) -> int | None:
    """A count header (``Total``, 5.3; ``Per-Page``, tap-ujet) as an integer; None when not
    sent."""
    value = response.headers.get(name)
    if value is None or not str(value).strip():
        return None
    try:
        return int(value)
    except ValueError as error:
        raise VendorError(f"UJET {what}: header {name} is not a number: {value!r}") from error


def _utc(moment) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(moment: dt.datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
