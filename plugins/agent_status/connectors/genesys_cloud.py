"""Genesys Cloud: agent status history from the analytics user-details query (vendors.md 2).

The contract, as the API pages tell it:
- OAuth2 client credentials (connection login/password) at ``https://login.{region}/oauth/token``
  (or extra ``auth_url``, formerly ``token_url``); the API at the connection host, else
  ``https://api.{region}`` (2.2).
- ``GET /api/v2/users`` maps ``userId`` to ``username``, the identifier statuses are matched on
  (0.1, 2.4); ``state=any`` so that agents deactivated since still resolve.
- ``POST /api/v2/analytics/users/details/query`` over windows of at most 7 days, the limit of
  an unfiltered query (2.3), paged until an EMPTY page: a status spanning several days is
  stored on its start day and on its end day and de-duplicated after paging, so pages come
  back short while more follow (2.3). The same status comes back on several pages and in
  every window it overlaps (even one it spans whole), always with its full start and end; it
  is kept once per (userId, kind, startTime) (2.6).
- Paging can neither end early unseen nor run forever (issue 9). ``totalHits`` is approximate
  (2.3) but says roughly how many pages there are: a page without ``userDetails`` before
  ``(1 - total_hits_tolerance) * totalHits`` records were paged over, or a page identical to
  the previous one, is asked again (a transient fault heals) and then fails the extraction;
  paging past ``(1 + total_hits_tolerance) * totalHits`` records (or ``max_pages`` pages
  without ``totalHits``) fails too. The users listing stops at its ``pageCount``, is bounded
  the same way and must list its ``total``.

One effective timeline per user (2.6, the rule Verint applies; ``timeline.layered_timeline``):
outside an ON_QUEUE presence the ``systemPresence`` (AVAILABLE, BREAK, MEAL...) is the state,
its ``organizationPresenceId`` the reason; within one, each routing-status segment is
(``ON_QUEUE/IDLE``, ``ON_QUEUE/INTERACTING``...; OFF_QUEUE, the instant around going on queue,
counts as none), and uncovered parts are plain ``ON_QUEUE`` inside the extracted interval.
Segments without ``endTime`` stay open. A ``userId`` the directory does not list fails the
extraction rather than dropping that agent's statuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import as_list, count, iso_times, iso_z, objects, texts
from agent_status.connectors.http import HttpClient
from agent_status.connectors.paging import Page, PageNumberPaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.source import Directory, RestSource
from agent_status.connectors.timeline import layered_timeline
from agent_status.connectors.windows import Windows

if TYPE_CHECKING:
    from agent_status.config import Integration

USERS = "/api/v2/users"
USER_DETAILS_QUERY = "/api/v2/analytics/users/details/query"
KINDS = {"primaryPresence": "systemPresence", "routingStatus": "routingStatus"}  # kind: code


class GenesysCloudConnector(RestSource):
    spec, vendor = VENDORS["genesys_cloud"], "Genesys Cloud"
    chunk_records = 50_000  # segments held as dicts before they become columns (issue 10)

    def __init__(self, connection: ConnectionInfo, integration: Integration):
        super().__init__(connection, integration)
        self.windows = Windows(dt.timedelta(days=self.options["window_days"]),
                               granularity=dt.timedelta(milliseconds=1))
        region = connection.extra.get("region", "")
        token_url = token_url_of(connection)
        if not region and not (token_url and connection.host):
            raise VendorError(f"connection {connection.conn_id}: set extra 'region' (e.g. "
                              "'mypurecloud.de'), or both a host and extra 'auth_url' (or "
                              "'token_url')")
        self.auth = OAuthClientCredentials(token_url or f"https://login.{region}/oauth/token",
                                           connection.login, connection.password)
        self.http = HttpClient(connection.base_url() if connection.host
                               else f"https://api.{region}", self.auth)
        self.directory = Directory(self._usernames, "Genesys Cloud: {count} userId(s) in the "
                                   f"user details are not listed by GET {USERS}?state=any, so "
                                   "their statuses have no user name")

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> Iterator[list[dict[str, Any]]]:
        """Each page's presence and routing segments, tagged with userId and kind."""
        interval = "/".join(iso_z(moment) for moment in window)
        what, size = f"Genesys Cloud user details {interval}", self.options["page_size"]

        def fetch(number: int) -> Page:
            body = {"interval": interval, "order": "asc",
                    "paging": {"pageSize": size, "pageNumber": number}}
            answer = self.call(f"user details {interval} page {number}",
                               lambda: self.http.post_json(USER_DETAILS_QUERY, body))
            return Page(as_list(answer, "userDetails", what),  # empty arrays are left out
                        total=count(answer, "totalHits", what))

        pager = PageNumberPaginator(what, size, self.options["max_pages"], noun="userDetails",
                                    total_name="totalHits", approximate=True,
                                    tolerance=self.options["total_hits_tolerance"])
        for details in self.pages(pager, fetch):
            yield [{"userId": user_id, "kind": kind, **segment} for detail in details
                   for user_id in (_user_id(detail),) for kind in KINDS
                   for segment in objects(as_list(detail, kind, f"Genesys Cloud user details "
                                                  f"of user {user_id}"),
                                          f"Genesys Cloud {kind} of user {user_id}")]

    def parse(self, pages: list[list[dict[str, Any]]]) -> pd.DataFrame:
        return pd.concat([_segments([s for page in pages for s in page if s["kind"] == kind],
                                    kind, code).assign(kind=kind)
                          for kind, code in KINDS.items()], ignore_index=True)

    def events(self, frame: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        presence, routing = (frame[frame.kind.eq(kind).to_numpy()] for kind in KINDS)
        return effective_timeline(presence, routing, start, end).rename(
            columns={"user_id": "external_user_id"})

    def _usernames(self) -> dict[str, str]:
        """userId -> username of every user, active or not (2.4)."""
        what, size = f"Genesys Cloud GET {USERS}", self.options["users_page_size"]

        def fetch(number: int) -> Page:
            params = {"pageSize": size, "pageNumber": number, "state": "any"}
            answer = self.call(f"users page {number}",
                               lambda: self.http.get_json(USERS, params=params))
            return Page(as_list(answer, "entities", what), total=count(answer, "total", what),
                        page_count=count(answer, "pageCount", what))

        pager = PageNumberPaginator(what, size, self.options["max_pages"], noun="entities")
        return {user["id"]: user["username"] for entities in self.pages(pager, fetch)
                for user in entities if user.get("username")}


def effective_timeline(presence: pd.DataFrame, routing: pd.DataFrame, start: dt.datetime,
                       end: dt.datetime) -> pd.DataFrame:
    """Routing status layered over ON_QUEUE presence (module docstring)."""
    return layered_timeline(presence, routing, start, end, layered="ON_QUEUE",
                            ignored=("OFF_QUEUE",), label=_label)


def _user_id(detail: Any) -> str:
    """A user-details record's ``userId`` (2.4); a record without one fails naming it."""
    user_id = detail.get("userId") if isinstance(detail, dict) else None
    if not isinstance(user_id, str) or not user_id.strip():
        shown = f"with fields {sorted(detail)[:10]}" if isinstance(detail, dict) else (
            f"{str(detail)[:100]!r}")
        raise VendorError(f"Genesys Cloud userId of user details record {shown}: {user_id!r}")
    return user_id


def _segments(records: list[dict[str, Any]], kind: str, code_field: str) -> pd.DataFrame:
    """Segments once per (userId, startTime); a closed copy wins over an open one (2.6).

    The records become columns in Arrow's C++ code, not one Python call per value (issue 10).
    A page Arrow cannot read (a time in nanoseconds, a value that is not text) or with a
    missing start or code takes the checked pandas path, which names field, segment, value."""
    fields = ["userId", "startTime", "endTime", code_field, "organizationPresenceId"]
    try:
        segments = _arrow_segments(records, fields)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        segments = None
    if segments is None or segments.start.isna().any() or not _codes_present(segments.code):
        frame = pd.DataFrame(records, columns=fields, dtype=object)

        def name(field: str):
            return lambda at: (f"Genesys Cloud {field} of {kind} segment" + (
                "" if field == "startTime" else f" starting {frame.startTime.iloc[at]}")
                + f" of user {frame.userId.iloc[at]}")

        segments = pd.DataFrame({
            "code": texts(frame[code_field], name(code_field)),
            "user_id": frame.userId.astype(object),
            "start": iso_times(frame.startTime, name("startTime"), required=True),
            "end": iso_times(frame.endTime, name("endTime"), required=False),
            "reason": frame.organizationPresenceId.astype(object)})[
            ["user_id", "start", "end", "code", "reason"]]
    return (segments.sort_values("end", na_position="first")
            .drop_duplicates(["user_id", "start"], keep="last")
            .reset_index(drop=True))


def _arrow_segments(records: list[dict[str, Any]], fields: list[str]) -> pd.DataFrame:
    table = pa.Table.from_pylist(records, schema=pa.schema([(f, pa.string()) for f in fields]))
    stamp = pa.timestamp("us", "UTC")

    def text(name: str) -> pd.Series:
        return pd.Series(table[name].to_numpy(), dtype=object)

    def utc(name: str) -> pd.Series:
        return pd.Series(pc.cast(table[name], stamp).to_pandas(types_mapper=None),
                         dtype="datetime64[us, UTC]")

    return pd.DataFrame({"user_id": text(fields[0]), "start": utc(fields[1]),
                         "end": utc(fields[2]), "code": text(fields[3]),
                         "reason": text(fields[4])})


def _codes_present(codes: pd.Series) -> bool:
    text = codes.astype("string")  # vectorised: no Python call per segment
    return bool(text.notna().all() and text.str.strip().ne("").all())


def _label(code: str) -> str:
    """``ON_QUEUE/NOT_RESPONDING`` -> ``On Queue - Not Responding``."""
    return " - ".join(part.replace("_", " ").title() for part in code.split("/"))
