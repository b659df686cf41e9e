"""Vonage Contact Center: agent states from the Insights Stats WFM endpoint (vendors.md 8).

Credentials (8.2): OAuth2 client credentials with scope ``stats``, the client id and secret
(connection login and password) sent in the token request body, at extra ``auth_url`` (formerly
``token_url``) or else
``https://{region}.cc.vonage.com/Auth/connect/token`` for extra ``region`` emea, nam or apac.
The API is at the connection host, else ``https://{region}.api.newvoicemedia.com``; every call
sends ``Accept: application/vnd.newvoicemedia.v3+json``.

The contract:
- ``GET /stats/wfm/agent-states?start&end&include&page&limit`` over windows of at most 31 days
  (a longer one answers 400, 8.3), paged from 1 with ``meta{page, count, pageCount,
  totalCount}`` until the last page or an empty one. Paging can neither end early unseen nor
  run forever (issue 9): an empty page before ``totalCount`` items were read, or a page
  identical to the previous one, is asked again (a transient fault heals) and then fails;
  ``meta.page`` must be the page asked for; more pages than ``totalCount`` needs (plus the
  empty one some answers promise) fail; so does paging that ends short of ``totalCount``.
- ``upTo`` is "the time of the request" (8.3, corrected): it matters for polling, which this
  batch import does not do. A window reaching past it holds every state that existed then;
  states running at that time are open and a later run's lookback re-reads them.
- ``include`` (option): ``Started`` (default) finds states by their start, so the read begins
  ``look_behind`` (3 days: a weekend off) before the window to catch states running into it;
  ``StartedOrEnded`` and ``Processed`` work too (their copies across windows are handled below).
- A state is keyed on (agentId, start) and a copy fetched later replaces an earlier one: VCC
  revises states near "now" while it processes them (8.6). Across runs the lookback nights
  re-read them and the load replaces those nights.
- ``duration`` is in milliseconds, null while the state is open (8.4).
- The identifier is ``agentId`` (0.1). States are open strings (8.5): ``vendor_activity_id`` is
  ``state/description`` ("Away/Lunch", "Busy/Live"), or the state alone without description, so
  each presence and interaction type maps to its own activity; ``reason`` is None.

Options: ``page_size`` (5000, the ``limit``), ``window_days`` (31, never more), ``include``,
``max_pages`` (the page cap of an answer without ``totalCount``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, Connector, VendorError
from agent_status.connectors.http import HttpClient, RetriableError
from agent_status.connectors.paging import PageNumberPaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.windows import split_windows
from agent_status.frames import conform_raw_events, empty_raw_events

log = logging.getLogger(__name__)

AGENT_STATES = "/stats/wfm/agent-states"
ACCEPT = "application/vnd.newvoicemedia.v3+json"
REGIONS = ("emea", "nam", "apac")
MAX_WINDOW_DAYS = 31  # 8.3
INCLUDES = ("Started", "StartedOrEnded", "Processed")
ITEM_FIELDS = ["agentId", "start", "duration", "state", "description"]


class VonageConnector(Connector):
    spec = VENDORS["vonage"]
    look_behind = dt.timedelta(days=3)

    def __init__(self, connection: ConnectionInfo, integration):
        super().__init__(connection, integration)
        self.page_size = self.options.get("page_size", 5000)  # the public sample's (8.2)
        days = self.options.get("window_days", MAX_WINDOW_DAYS)
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise VendorError(f"integration {integration.name}: option window_days must be "
                              f"1..{MAX_WINDOW_DAYS} (Vonage refuses longer windows), got {days}")
        self.window = dt.timedelta(days=days)
        self.max_pages = self.options["max_pages"]
        self.include = self.options.get("include", "Started")
        if self.include not in INCLUDES:
            raise VendorError(f"integration {integration.name}: option include must be one of "
                              f"{INCLUDES}, got {self.include!r}")
        region = connection.extra.get("region")
        token_url = token_url_of(connection)
        if region not in REGIONS and not (token_url and connection.host):
            raise VendorError(f"connection {connection.conn_id}: set extra 'region' to one of "
                              f"{REGIONS} (got {region!r}), or both a host and extra 'auth_url' "
                              "(or 'token_url')")
        self.auth = OAuthClientCredentials(
            token_url or f"https://{region}.cc.vonage.com/Auth/connect/token",
            connection.login, connection.password, scope="stats", client_auth="body")
        self.http = HttpClient(connection.base_url() if connection.host
                               else f"https://{region}.api.newvoicemedia.com", self.auth,
                               headers={"Accept": ACCEPT})

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        items: list[dict[str, Any]] = []
        for window in split_windows(start - self.look_behind, end, self.window):
            items += self._agent_states(*window)
        states = agent_states(items)
        states = states[(states.end_utc.isna() | (states.end_utc > _utc(start)))
                        & (states.start_utc < _utc(end))]
        yield conform_raw_events(states) if len(states) else empty_raw_events()

    def close(self) -> None:
        self.http.close()

    def _agent_states(self, start: dt.datetime, end: dt.datetime) -> Iterator[dict[str, Any]]:
        what = f"GET {AGENT_STATES} {_iso(start)}..{_iso(end)}"
        pages, read, total, up_to = PageNumberPaginator(what=f"Vonage {what}"), 0, None, None
        while pages.has_more:
            params = {"start": _iso(start), "end": _iso(end), "include": self.include,
                      "page": pages.current, "limit": self.page_size}

            def fetch() -> dict[str, Any]:
                answer = self._call(what, lambda: self.http.get_json(AGENT_STATES, params=params))
                page, meta = _items(answer, what), answer.get("meta") or {}
                if meta.get("page") is not None and meta["page"] != params["page"]:
                    raise VendorError(f"Vonage {what}: field meta.page is {meta['page']!r} for "
                                      f"page {params['page']}")
                listed = _count(meta, "meta.totalCount", what)
                if not page and listed is not None and read < listed:
                    raise RetriableError(f"Vonage {what}: page {params['page']} is empty after "
                                         f"{read} of {listed} items (meta.totalCount)")
                pages.check(page)
                return answer

            answer = self.http.retry.run(fetch, "Vonage", self.http.sleep)
            page, meta = answer.get("items") or [], answer.get("meta") or {}
            total, up_to = _count(meta, "meta.totalCount", what), answer.get("upTo")
            read += len(page)
            pages.advance(page, _count(meta, "meta.pageCount", what))
            # every page full but the last, plus the empty page some answers promise (8.3)
            limit = self.max_pages if total is None else -(-total // self.page_size) + 1
            if pages.has_more and pages.pages_read >= limit:
                raise VendorError(f"Vonage {what}: paging did not end after {pages.pages_read} "
                                  f"pages although meta.totalCount {total} at limit "
                                  f"{self.page_size} needs {limit - 1}: the read is refused")
            yield from page
        if total is not None and read < total:
            raise VendorError(f"Vonage {what}: paging ended after {read} of {total} items "
                              "(meta.totalCount): the read is truncated")
        if up_to and _utc(pd.Timestamp(up_to)) < _utc(end):
            log.info("Vonage %s: answered at %s (upTo), before the window's end; states after "
                     "it do not exist yet (8.3)", what, up_to)

    def _call(self, what: str, send):
        try:
            return send()
        except VendorError as error:
            raise VendorError(f"Vonage {what}: {error}") from error


def _items(answer: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        raise VendorError(f"Vonage {what}: expected a JSON object, got {str(answer)[:200]}")
    items = answer.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise VendorError(f"Vonage {what}: field items must be a list, got {str(items)[:200]}")
    return items


def _count(meta: dict[str, Any], field: str, what: str) -> int | None:
    value = meta.get(field.rsplit(".", 1)[-1])
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise VendorError(f"Vonage {what}: field {field} must be a count, got {value!r}")
    return value


def agent_states(items: list[dict[str, Any]]) -> pd.DataFrame:
    """Canonical events from items in the order fetched; per (agentId, start), the last copy.
    Each field is checked (8.4): an item without ``agentId`` or ``state``, a ``start`` that is
    not ISO-8601 or a ``duration`` that is not a number of milliseconds fails naming the field,
    the item and the value."""
    bad = next((item for item in items if not isinstance(item, dict)), None)
    if bad is not None:
        raise VendorError(f"Vonage {AGENT_STATES}: item {str(bad)[:200]!r} is not an object")
    frame = pd.DataFrame(items, columns=ITEM_FIELDS, dtype=object)
    for field in ("agentId", "state"):
        values = frame[field]
        _check(frame, ~values.map(lambda v: isinstance(v, (str, int)) and not isinstance(v, bool)
                                  and str(v).strip() != ""), field)
    start = pd.to_datetime(frame.start, utc=True, format="ISO8601", errors="coerce")
    _check(frame, start.isna() | ~frame.start.map(lambda v: isinstance(v, str)), "start")
    start = start.astype("datetime64[us, UTC]")
    # milliseconds, null (or left out) while open (8.4)
    numeric = frame.duration.map(lambda v: v is None or v != v or (isinstance(v, (int, float))
                                                         and not isinstance(v, bool) and v >= 0))
    _check(frame, ~numeric, "duration")
    duration = pd.to_timedelta(pd.to_numeric(frame.duration), unit="ms")
    description = frame.description.astype(object).where(frame.description.fillna("").ne(""))
    events = pd.DataFrame({
        "external_user_id": frame.agentId.astype(str),
        "vendor_activity_id": (frame.state + "/" + description).fillna(frame.state),
        "vendor_activity_name": (frame.state + " - " + description).fillna(frame.state),
        "reason": None, "start_utc": start, "end_utc": start + duration})
    return replace_copies(events)


def _check(frame: pd.DataFrame, bad: pd.Series, field: str) -> None:
    """Fail on the first item whose ``field`` is ``bad``, naming field, item and value."""
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        item = frame.iloc[position]
        value = item[field]
        if isinstance(value, float) and value != value:  # NaN: the field is absent
            value = None
        raise VendorError(f"Vonage {AGENT_STATES}: {field} of item {position + 1} (agentId "
                          f"{item.agentId!r}, start {item.start!r}): {value!r}")


def replace_copies(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (agent, start), the latest copy (8.6), sorted by start then agent (8.4)."""
    return (events.drop_duplicates(["external_user_id", "start_utc"], keep="last")
            .sort_values(["start_utc", "external_user_id"]).reset_index(drop=True))


def _utc(moment) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(moment) -> str:
    """``2026-10-24T22:00:00.000Z``."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
