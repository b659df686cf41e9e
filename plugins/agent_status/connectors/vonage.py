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

Options (registry.py): ``page_size`` (the ``limit``), ``window_days`` (at most 31),
``include``, ``max_pages`` (the page cap of an answer without ``totalCount``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import as_list, count, iso_times, iso_z, objects, reject, \
    texts, utc
from agent_status.connectors.http import HttpClient
from agent_status.connectors.paging import Page, PageNumberPaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.source import RestSource
from agent_status.connectors.windows import Windows

log = logging.getLogger(__name__)

AGENT_STATES = "/stats/wfm/agent-states"
ACCEPT = "application/vnd.newvoicemedia.v3+json"
REGIONS = ("emea", "nam", "apac")
ITEM_FIELDS = ["agentId", "start", "duration", "state", "description"]


class VonageConnector(RestSource):
    spec, vendor = VENDORS["vonage"], "Vonage"
    checked_options = ("window_days", "include")  # a longer window answers 400 (8.3)

    def __init__(self, connection: ConnectionInfo, integration):
        super().__init__(connection, integration)
        # a state is found by its start: read 3 days (a weekend off) before the interval
        self.windows = Windows(dt.timedelta(days=self.options["window_days"]),
                               lookback=dt.timedelta(days=3),
                               granularity=dt.timedelta(milliseconds=1))
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

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> Iterator[list[dict[str, Any]]]:
        start, end = (iso_z(moment) for moment in window)
        what = f"GET {AGENT_STATES} {start}..{end}"
        size, up_to = self.options["page_size"], []

        def fetch(number: int) -> Page:
            params = {"start": start, "end": end, "include": self.options["include"],
                      "page": number, "limit": size}
            answer = self.call(what, lambda: self.http.get_json(AGENT_STATES, params=params))
            items = as_list(answer, "items", f"Vonage {what}")
            if count(answer, "meta.page", f"Vonage {what}") not in (None, number):
                raise VendorError(f"Vonage {what}: field meta.page is "
                                  f"{answer['meta']['page']!r} for page {number}")
            up_to[:] = [answer.get("upTo")]
            return Page(items, total=count(answer, "meta.totalCount", f"Vonage {what}"),
                        page_count=count(answer, "meta.pageCount", f"Vonage {what}"))

        yield from self.pages(PageNumberPaginator(
            f"Vonage {what}", size, self.options["max_pages"], noun="items",
            total_name="meta.totalCount"), fetch)
        if up_to and up_to[0] and utc(up_to[0]) < utc(window[1]):
            log.info("Vonage %s: answered at %s (upTo), before the window's end; states after "
                     "it do not exist yet (8.3)", what, up_to[0])

    def parse(self, pages: list[list[Any]]) -> pd.DataFrame:
        return agent_states([item for page in pages for item in page])


def agent_states(items: list[dict[str, Any]]) -> pd.DataFrame:
    """Canonical events from items in the order fetched; per (agentId, start), the last copy
    (8.6), sorted by start then agent (8.4). Each field is checked (8.4): an item without
    ``agentId`` or ``state``, a ``start`` that is not ISO-8601 or a ``duration`` that is not a
    number of milliseconds fails naming the field, the item and the value."""
    frame = pd.DataFrame(objects(items, f"Vonage {AGENT_STATES}: item"), columns=ITEM_FIELDS,
                         dtype=object)

    def name(field: str):
        return lambda at: (f"Vonage {AGENT_STATES}: {field} of item {at + 1} (agentId "
                           f"{frame.agentId.iloc[at]!r}, start {frame.start.iloc[at]!r})")

    agent, state = (texts(frame[field], name(field), numbers=True)
                    for field in ("agentId", "state"))
    start = iso_times(frame.start, name("start"), required=True)
    # milliseconds, null (or left out) while open (8.4)
    reject(~frame.duration.map(lambda v: v is None or v != v or (
        isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0)),
        frame.duration, name("duration"))
    duration = pd.to_timedelta(pd.to_numeric(frame.duration), unit="ms")
    description = frame.description.astype(object).where(frame.description.fillna("").ne(""))
    events = pd.DataFrame({
        "external_user_id": agent.astype(str),
        "vendor_activity_id": (state + "/" + description).fillna(state),
        "vendor_activity_name": (state + " - " + description).fillna(state),
        "reason": None, "start_utc": start, "end_utc": start + duration})
    return replace_copies(events)


def replace_copies(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (agent, start), the latest copy (8.6), sorted by start then agent (8.4)."""
    return (events.drop_duplicates(["external_user_id", "start_utc"], keep="last")
            .sort_values(["start_utc", "external_user_id"]).reset_index(drop=True))
