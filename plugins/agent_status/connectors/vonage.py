"""Vonage Contact Center: agent states from the Insights Stats WFM endpoint (vendors.md 8).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/vonage.py."""

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
        api_url = connection.base_url(default=f"https://{region}.api.newvoicemedia.com")
        self.http = HttpClient(api_url, self.auth, headers={"Accept": ACCEPT})

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
