"""Genesys Cloud: agent status history from the analytics user-details query (vendors.md 2).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/genesys_cloud.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

import pandas as pd

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import as_list, count, iso_z, objects, record_columns
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
        self.http = HttpClient(connection.base_url(default=f"https://api.{region}"), self.auth)
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
            yield _Segments(details)

    def parse(self, pages: list[_Segments]) -> pd.DataFrame:
        return pd.concat([_segments(list(chain.from_iterable(p.records[kind] for p in pages)),
                                    list(chain.from_iterable(p.users[kind] for p in pages)),
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


class _Segments:
    """One page's presence and routing segments (2.4), by kind, each with its userId: the
    segment objects as they came, not copies (issue 10). A record without a userId, or a
    field that is not a list of segment objects, fails naming it."""

    def __init__(self, details: list[Any]):
        self.records: dict[str, list] = {kind: [] for kind in KINDS}
        self.users: dict[str, list[str]] = {kind: [] for kind in KINDS}
        for detail in details:
            user_id = detail.get("userId") if isinstance(detail, dict) else None
            if not isinstance(user_id, str) or not user_id.strip():
                shown = f"with fields {sorted(detail)[:10]}" if isinstance(detail, dict) else (
                    f"{str(detail)[:100]!r}")
                raise VendorError(f"Genesys Cloud userId of user details record {shown}: "
                                  f"{user_id!r}")
            for kind in KINDS:
                segments = objects(as_list(detail, kind, "Genesys Cloud user details of user "
                                           f"{user_id}"), f"Genesys Cloud {kind} of user {user_id}")
                self.records[kind].extend(segments)
                self.users[kind].extend([user_id] * len(segments))

    def __len__(self) -> int:
        return sum(len(records) for records in self.records.values())


def _segments(records: list[dict[str, Any]], users: list[str], kind: str,
              code_field: str) -> pd.DataFrame:
    """Segments once per (userId, startTime); a closed copy wins over an open one (2.6). A
    missing or unreadable ``startTime``, an ``endTime`` that is not ISO-8601, or a missing
    presence / routing code fails naming field, segment and value."""
    def name(frame: pd.DataFrame, field: str, at: int) -> str:
        where = "" if field == "startTime" else f" starting {frame.startTime.iloc[at]}"
        return f"Genesys Cloud {field} of {kind} segment{where} of user {users[at]}"

    columns = record_columns(records, {code_field: True, "organizationPresenceId": False},
                             {"startTime": True, "endTime": False}, name)
    segments = pd.DataFrame({"user_id": pd.Series(users, dtype=object),
                             "start": columns.startTime,
                             "end": columns.endTime, "code": columns[code_field],
                             "reason": columns.organizationPresenceId})
    return (segments.sort_values("end", na_position="first")
            .drop_duplicates(["user_id", "start"], keep="last")
            .reset_index(drop=True))


def _label(code: str) -> str:
    """``ON_QUEUE/NOT_RESPONDING`` -> ``On Queue - Not Responding``."""
    return " - ".join(part.replace("_", " ").title() for part in code.split("/"))
