"""Genesys Cloud: agent status history from the analytics user-details query (vendors.md 2).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/genesys_cloud.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.fields import (
    all_present, as_list, count, iso_z, json_table, objects, record_columns, valid_text)
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

    def read(self, window: tuple[dt.datetime, dt.datetime]) -> Iterator[_Segments]:
        """Each page's presence and routing segments, as columns (``_Segments``)."""
        interval = "/".join(iso_z(moment) for moment in window)
        what, size = f"Genesys Cloud user details {interval}", self.options["page_size"]

        def fetch(number: int) -> Page:
            body = {"interval": interval, "order": "asc",
                    "paging": {"pageSize": size, "pageNumber": number}}
            answer = self.call(f"user details {interval} page {number}", lambda: (
                self.http.post_json(USER_DETAILS_QUERY, body, decode=_Segments.read)))
            if not isinstance(answer, _Segments):  # not read by Arrow: the checked path
                answer = _Segments.of_records(as_list(answer, "userDetails", what),
                                              count(answer, "totalHits", what))
            return Page(answer, total=answer.total)

        pager = PageNumberPaginator(what, size, self.options["max_pages"], noun="userDetails",
                                    total_name="totalHits", approximate=True,
                                    tolerance=self.options["total_hits_tolerance"])
        yield from self.pages(pager, fetch)

    def parse(self, pages: list[_Segments]) -> pd.DataFrame:
        """The pages' segments in one frame, presence then routing; user, code and reason as
        categoricals, each built once over every page (no Python object per segment)."""
        import pyarrow as pa

        if not pages:
            return pd.DataFrame({c: [] for c in ("user_id", "start", "end", "code", "reason",
                                                 "kind")})
        codes, names = pd.factorize(np.concatenate([p.users for p in pages]), sort=True)
        offsets = np.cumsum([0, *(len(p.users) for p in pages)])
        parts = [(kind, p.columns[kind], at) for kind in KINDS for p, at in zip(pages, offsets)]

        def joined(field: str) -> list:
            return [columns[field] for _, columns, _ in parts]

        return pd.DataFrame({
            "user_id": pd.Categorical.from_codes(
                codes[np.concatenate([c["detail"] + at for _, c, at in parts])], names),
            **{f: pd.Series(np.concatenate(joined(f)), copy=False).dt.tz_localize("UTC")
               for f in ("start", "end")},
            **{f: pa.concat_arrays(joined(f)).dictionary_encode().to_pandas()
               for f in ("code", "reason")},
            "kind": pd.Categorical.from_codes(np.repeat(
                [list(KINDS).index(kind) for kind, _, _ in parts],
                [len(c["detail"]) for _, c, _ in parts]), list(KINDS))})

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
    """One page's user details (2.4) as columns: the ``users`` (userIds) of its details and,
    by kind, each segment's ``detail`` (position in ``users``), start, end, code and reason, the
    segments as they came (copies are dropped once the pages meet, ``layered_timeline``).

    ``read`` is the HTTP client's decoder: Arrow reads the page's bytes straight into columns
    (issue 10). A page Arrow cannot read so, or one failing a check below, is decoded as plain
    JSON for ``of_records``, the checked path, where the first bad value fails naming field,
    segment and user: a record without a userId, a segment that is no object, a missing start
    or code, a time that is not ISO-8601; bytes that are not JSON (or not UTF-8 in a field
    read) fail there as a ``ValueError`` the HTTP client retries. Arrow is laxer than a JSON
    parser only in fields that are not read (a ``NaN`` there passes). ``len``: the details,
    what paging counts. Copies of a segment (2.6) stay: ``layered_timeline`` keeps one, the
    closed over the open, else the latest end, else the last read."""

    FIELDS = ("detail", "start", "end", "code", "reason")

    def __init__(self, users: np.ndarray, columns: dict[str, dict[str, np.ndarray]],
                 total: int | None, size: int | None = None):
        self.users, self.columns, self.total, self.size = users, columns, total, size

    def __len__(self) -> int:
        return len(self.users)

    def __eq__(self, other: object) -> bool:
        """The same details and segments in a body of the same length (read by Arrow): a page
        repeated (the paginator's check). Fields not read are not compared."""
        def same(mine, theirs) -> bool:  # Arrow text; numpy positions and times (NaT too)
            return mine.equals(theirs) if hasattr(mine, "equals") else np.array_equal(
                mine.view("i8"), theirs.view("i8"))

        return isinstance(other, _Segments) and self.size == other.size and np.array_equal(
            self.users, other.users) and all(
            same(self.columns[kind][f], other.columns[kind][f])
            for kind in KINDS for f in self.FIELDS)

    @classmethod
    def read(cls, content: bytes) -> _Segments | Any:
        import orjson
        import pyarrow as pa
        import pyarrow.compute as pc

        table = json_table(content, _page_schema())
        total = table["totalHits"][0].as_py() if table is not None else None  # None: not given
        details = table["userDetails"].combine_chunks() if table is not None else None
        if details is None or details.null_count or (total is not None and total < 0):
            return orjson.loads(content)  # not JSON: a ValueError, retried by the client
        details = pc.list_flatten(details)
        users = pc.struct_field(details, "userId")
        columns = {}
        for kind, code in KINDS.items():
            lists = pc.struct_field(details, kind)
            segments = pc.list_flatten(lists)
            field = {name: pc.struct_field(segments, name) for name in
                     ("startTime", "endTime", code, "organizationPresenceId")
                     if name in segments.type.names}
            if (details.null_count or segments.null_count or field["startTime"].null_count
                    or not all_present(field[code])):
                return orjson.loads(content)
            try:
                start, end = (pc.cast(field[name], pa.timestamp("us", "UTC"))
                              .to_numpy(zero_copy_only=False)
                              .astype("M8[us]") for name in ("startTime", "endTime"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return orjson.loads(content)
            reason = field.get("organizationPresenceId")
            if not valid_text(users, field[code], *([reason] if reason is not None else [])):
                return orjson.loads(content)
            columns[kind] = {
                "detail": pc.list_parent_indices(lists).to_numpy(), "start": start, "end": end,
                "code": field[code], "reason": pa.nulls(len(segments), pa.string())
                if reason is None else reason}
        if not all_present(users):
            return orjson.loads(content)
        return cls(users.to_numpy(zero_copy_only=False), columns, total, len(content))

    @classmethod
    def of_records(cls, details: list[Any], total: int | None) -> _Segments:
        users, records = [], {kind: ([], []) for kind in KINDS}
        for at, detail in enumerate(details):
            user_id = detail.get("userId") if isinstance(detail, dict) else None
            if not isinstance(user_id, str) or not user_id.strip():
                shown = f"with fields {sorted(detail)[:10]}" if isinstance(detail, dict) else (
                    f"{str(detail)[:100]!r}")
                raise VendorError(f"Genesys Cloud userId of user details record {shown}: "
                                  f"{user_id!r}")
            users.append(user_id)
            for kind in KINDS:
                segments = objects(as_list(detail, kind, "Genesys Cloud user details of user "
                                           f"{user_id}"), f"Genesys Cloud {kind} of user {user_id}")
                records[kind][0].extend(segments)
                records[kind][1].extend([at] * len(segments))
        users = np.asarray(users, dtype=object)
        return cls(users, {kind: _checked(*records[kind], users, kind, code)
                           for kind, code in KINDS.items()}, total)


def _page_schema():
    """The fields of a user-details page that are read (2.4), all text but ``totalHits``."""
    import pyarrow as pa

    def segments(*fields: str):
        return pa.list_(pa.struct([(f, pa.string()) for f in ("startTime", "endTime", *fields)]))

    return pa.schema([("userDetails", pa.list_(pa.struct([
        ("userId", pa.string()),
        ("primaryPresence", segments("systemPresence", "organizationPresenceId")),
        ("routingStatus", segments("routingStatus"))]))), ("totalHits", pa.int64())])


def _checked(records: list[dict[str, Any]], detail: list[int], users: np.ndarray, kind: str,
             code_field: str) -> dict[str, np.ndarray]:
    """A page's segments of one kind through ``record_columns``' checks."""
    import pyarrow as pa

    def name(frame: pd.DataFrame, field: str, at: int) -> str:
        where = "" if field == "startTime" else f" starting {frame.startTime.iloc[at]}"
        return f"Genesys Cloud {field} of {kind} segment{where} of user {users[detail[at]]}"

    columns = record_columns(records, {code_field: True, "organizationPresenceId": False},
                             {"startTime": True, "endTime": False}, name)
    return {"detail": np.asarray(detail, dtype=np.int64),
            **{f: columns[field].dt.tz_convert(None).to_numpy("M8[us]")
               for f, field in (("start", "startTime"), ("end", "endTime"))},
            "code": pa.array(columns[code_field].to_numpy(object), pa.string()),
            # a reason of another type is kept as its text, as conform_raw_events keeps it
            "reason": pa.array([v if isinstance(v, str) or v is None else str(v) for v in
                                columns.organizationPresenceId.to_numpy(object)], pa.string())}


def _label(code: str) -> str:
    """``ON_QUEUE/NOT_RESPONDING`` -> ``On Queue - Not Responding``."""
    return " - ".join(part.replace("_", " ").title() for part in code.split("/"))
