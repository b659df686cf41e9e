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

One effective timeline per user (2.6, the rule Verint applies):
- outside an ON_QUEUE presence the presence is the state: ``vendor_activity_id`` is the
  ``systemPresence`` (AVAILABLE, BREAK, MEAL, MEETING, OFFLINE...) and ``reason`` its
  ``organizationPresenceId``;
- within an ON_QUEUE presence each routing-status segment, clipped to that presence, is the
  state: ``ON_QUEUE/IDLE``, ``ON_QUEUE/INTERACTING``, ``ON_QUEUE/COMMUNICATING``,
  ``ON_QUEUE/NOT_RESPONDING``, reason None. OFF_QUEUE (the instant around going on queue)
  counts as no routing status;
- the parts of an ON_QUEUE presence no routing segment covers are plain ``ON_QUEUE``, but only
  inside the extracted interval: outside it, routing segments were not asked for.
Segments without ``endTime`` are still open and stay open (``end_utc`` NaT). A ``userId`` the
directory does not list fails the extraction rather than dropping that agent's statuses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from agent_status.connectors.auth import OAuthClientCredentials, token_url_of
from agent_status.connectors.base import ConnectionInfo, Connector, VendorError
from agent_status.connectors.http import HttpClient, RetriableError
from agent_status.connectors.paging import PageNumberPaginator
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.windows import split_windows
from agent_status.frames import RAW_EVENT_COLUMNS, conform_raw_events, empty_raw_events

if TYPE_CHECKING:
    from agent_status.config import Integration

USERS = "/api/v2/users"
USER_DETAILS_QUERY = "/api/v2/analytics/users/details/query"
UNFILTERED_MAX_DAYS = 7  # vendors.md 2.3
ON_QUEUE = "ON_QUEUE"
OFF_QUEUE = "OFF_QUEUE"
_OPEN = pd.Timestamp("2200-01-01", tz="UTC")  # stands for a missing endTime while intersecting


class GenesysCloudConnector(Connector):
    spec = VENDORS["genesys_cloud"]

    def __init__(self, connection: ConnectionInfo, integration: Integration):
        super().__init__(connection, integration)
        self.page_size = self.options.get("page_size", 100)  # 100 as rohit554/Work (2.3)
        self.users_page_size = self.options.get("users_page_size", 500)
        self.total_hits_tolerance = self.options["total_hits_tolerance"]
        self.max_pages = self.options["max_pages"]
        self.window = dt.timedelta(days=self.options.get("window_days", UNFILTERED_MAX_DAYS))
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
        self._usernames: dict[str, str] | None = None

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        presence, routing = [], []
        for window in split_windows(start, end, self.window):
            for detail in self._user_details(*window):
                user_id = _user_id(detail)
                presence += _user_segments(detail, user_id, "primaryPresence")
                routing += _user_segments(detail, user_id, "routingStatus")
        timeline = effective_timeline(_segments(presence, "primaryPresence", "systemPresence"),
                                      _segments(routing, "routingStatus", "routingStatus"),
                                      start, end)
        if timeline.empty:
            yield empty_raw_events()
            return
        yield conform_raw_events(timeline.assign(
            external_user_id=self._usernames_of(timeline.user_id)))

    def close(self) -> None:
        self.http.close()

    # -- API calls ---------------------------------------------------------------------------

    def _user_details(self, start: dt.datetime, end: dt.datetime) -> Iterator[dict[str, Any]]:
        interval = f"{_iso_ms(start)}/{_iso_ms(end)}"
        what = f"Genesys Cloud user details {interval}"
        pages = PageNumberPaginator(what=what)
        while pages.has_more:
            body = {"interval": interval, "order": "asc",
                    "paging": {"pageSize": self.page_size, "pageNumber": pages.current}}

            def fetch() -> tuple[list[dict[str, Any]], int | None]:
                answer = self._call(f"user details {interval} page {body['paging']['pageNumber']}",
                                    lambda: self.http.post_json(USER_DETAILS_QUERY, body))
                details = _list(answer, "userDetails", what)  # empty arrays are left out
                hits = _count(answer, "totalHits", what)
                if not details and hits is not None and self._short_of(pages, hits):
                    raise RetriableError(
                        f"{what}: page {pages.current} has no userDetails although totalHits "
                        f"{hits} at pageSize {self.page_size} means about "
                        f"{math.ceil(hits / self.page_size)} pages: paging would end early")
                pages.check(details)
                return details, hits

            details, hits = self._fetch_checked(fetch)
            pages.advance(details)  # only an empty page ends it, not a short one (2.3)
            self._bound(pages, hits, self.page_size, "totalHits")
            yield from details

    def _short_of(self, pages: PageNumberPaginator, total: int) -> bool:
        """Whether the pages read so far cover clearly less than ``total`` (approximate)."""
        return pages.pages_read * self.page_size < total * (1 - self.total_hits_tolerance)

    def _bound(self, pages: PageNumberPaginator, total: int | None, size: int, field: str) -> None:
        """Pages beyond what ``total`` (with its tolerance) allows mean paging never ends."""
        if not pages.has_more:
            return
        if total is None:
            limit = self.max_pages
        else:
            limit = math.ceil(total * (1 + self.total_hits_tolerance) / size) + 1
        if pages.pages_read >= limit:
            raise VendorError(f"{pages.what}: paging did not end after {pages.pages_read} "
                              f"pages although {field} {total} at page size {size} allows "
                              f"{limit}: the read is refused")

    def _fetch_checked(self, fetch: Callable[[], Any]):
        """One page whose content passed its checks; a content fault is asked again with the
        shared retry policy (a transient one heals) and then fails."""
        return self.http.retry.run(fetch, "Genesys Cloud", self.http.sleep)

    def usernames(self) -> dict[str, str]:
        """userId -> username of every user, active or not; fetched once per connector."""
        if self._usernames is None:
            usernames: dict[str, str] = {}
            what = f"Genesys Cloud GET {USERS}"
            pages, read, total = PageNumberPaginator(what=what), 0, None
            while pages.has_more:
                params = {"pageSize": self.users_page_size, "pageNumber": pages.current,
                          "state": "any"}

                def fetch() -> dict[str, Any]:
                    answer = self._call(f"users page {params['pageNumber']}",
                                        lambda: self.http.get_json(USERS, params=params))
                    entities = _list(answer, "entities", what)
                    listed = _count(answer, "total", what)
                    if not entities and listed is not None and read < listed:
                        raise RetriableError(f"{what}: page {pages.current} lists no entities "
                                             f"after {read} of {listed} users (total)")
                    pages.check(entities)
                    return answer

                answer = self._fetch_checked(fetch)
                entities = answer.get("entities") or []
                total = _count(answer, "total", what)
                read += len(entities)
                usernames.update({u["id"]: u["username"] for u in entities if u.get("username")})
                pages.advance(entities, _count(answer, "pageCount", what))
                self._bound(pages, total, self.users_page_size, "total")
            if total is not None and read < total:
                raise VendorError(f"{what}: paging ended after {read} of {total} users "
                                  "(total): the directory read is truncated")
            self._usernames = usernames
        return self._usernames

    def _usernames_of(self, user_ids: pd.Series) -> pd.Series:
        usernames = self.usernames()
        unknown = sorted(set(user_ids) - usernames.keys())
        if unknown:
            raise VendorError(
                f"Genesys Cloud: {len(unknown)} userId(s) in the user details are not listed by "
                f"GET {USERS}?state=any, so their statuses have no user name: "
                f"{', '.join(unknown[:10])}")
        return user_ids.map(usernames)

    def _call(self, what: str, send):
        try:
            return send()
        except VendorError as error:
            raise VendorError(f"Genesys Cloud {what}: {error}") from error


def effective_timeline(presence: pd.DataFrame, routing: pd.DataFrame,
                       start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """One timeline per user from presence and routing segments (rule in the module docstring).

    Both frames have user_id, start, end (NaT = open), code; presence also reason. Each user's
    time is cut at every boundary of either timeline; each piece takes the presence and the
    routing segment covering it (an as-of join), and consecutive pieces of the same status are
    joined again.
    """
    columns = ["user_id", *RAW_EVENT_COLUMNS[1:]]
    if presence.empty:
        return pd.DataFrame({c: [] for c in columns})
    presence = presence.assign(end=presence.end.fillna(_OPEN), presence_no=np.arange(len(presence)))
    routing = routing[routing.code != OFF_QUEUE]
    routing = routing.assign(end=routing.end.fillna(_OPEN), routing_no=np.arange(len(routing)))

    cuts = pd.concat([frame[["user_id", side]].set_axis(["user_id", "start"], axis=1)
                      for frame in (presence, routing) for side in ("start", "end")])
    cuts = cuts.drop_duplicates().sort_values(["user_id", "start"])
    pieces = cuts.assign(end=cuts.groupby("user_id").start.shift(-1)).dropna(subset=["end"])
    pieces = _covering(pieces, presence[["user_id", "start", "end", "presence_no", "code", "reason"]])
    pieces = _covering(pieces, routing[["user_id", "start", "end", "routing_no", "code"]]
                       .rename(columns={"code": "routing"}))
    pieces = pieces[pieces.presence_no.notna()].sort_values(["user_id", "start"])

    on_queue = pieces.code.eq(ON_QUEUE)
    routed = on_queue & pieces.routing_no.notna()
    pieces = pieces.assign(
        activity=pieces.code.where(~routed, ON_QUEUE + "/" + pieces.routing.astype(object)),
        reason=pieces.reason.astype(object).where(~on_queue & pieces.reason.notna(), None),
        routing_no=pieces.routing_no.where(routed, -1))
    key = pieces[["user_id", "presence_no", "routing_no"]]
    first = (key != key.shift()).any(axis=1) | pieces.start.ne(pieces.end.shift())
    last = first.shift(-1, fill_value=True)
    runs = pd.DataFrame({
        "user_id": pieces.user_id[first].to_numpy(),
        "vendor_activity_id": pieces.activity[first].to_numpy(),
        "reason": pd.Series(pieces.reason[first].to_numpy(), dtype=object),
        "start_utc": pieces.start[first].to_numpy(),
        "end_utc": pieces.end[last].to_numpy()})

    # uncovered ON_QUEUE is known only inside the interval the routing status was read for
    start_ts, end_ts = _utc(start), _utc(end)
    bare = runs.vendor_activity_id.eq(ON_QUEUE)
    runs = runs[~bare | ((runs.start_utc < end_ts) & (runs.end_utc > start_ts))].copy()
    bare = runs.vendor_activity_id.eq(ON_QUEUE)
    runs.loc[bare, "start_utc"] = runs.start_utc[bare].clip(lower=start_ts)
    closed_bare = bare & runs.end_utc.ne(_OPEN)
    runs.loc[closed_bare, "end_utc"] = runs.end_utc[closed_bare].clip(upper=end_ts)
    runs["end_utc"] = runs.end_utc.where(runs.end_utc.ne(_OPEN))
    labels = {code: _label(code) for code in runs.vendor_activity_id.unique()}
    runs["vendor_activity_name"] = runs.vendor_activity_id.map(labels)
    return runs[columns].reset_index(drop=True)


def _covering(pieces: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Each piece with the segment of the same user that covers it (latest start wins)."""
    segments = segments.rename(columns={"start": "segment_start", "end": "segment_end"})
    joined = pd.merge_asof(pieces.sort_values("start"), segments.sort_values("segment_start"),
                           left_on="start", right_on="segment_start", by="user_id",
                           direction="backward")
    covered = joined.segment_end > joined.start
    extra = [c for c in segments.columns if c not in ("user_id",)]
    joined[extra] = joined[extra].where(covered)
    return joined.drop(columns=["segment_start", "segment_end"])


def _list(answer: Any, field: str, what: str) -> list[Any]:
    """``answer[field]`` as a list (absent: empty); anything else fails naming it."""
    if not isinstance(answer, dict):
        raise VendorError(f"{what}: expected a JSON object, got {str(answer)[:200]}")
    value = answer.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise VendorError(f"{what}: field {field!r} must be a list, got {str(value)[:200]}")
    return value


def _count(answer: dict[str, Any], field: str, what: str) -> int | None:
    value = answer.get(field)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise VendorError(f"{what}: field {field!r} must be a count, got {value!r}")
    return value


def _user_id(detail: Any) -> str:
    """A user-details record's ``userId`` (2.4); a record without one fails naming it."""
    user_id = detail.get("userId") if isinstance(detail, dict) else None
    if not isinstance(user_id, str) or not user_id.strip():
        shown = f"with fields {sorted(detail)[:10]}" if isinstance(detail, dict) else (
            f"{str(detail)[:100]!r}")
        raise VendorError(f"Genesys Cloud userId of user details record {shown}: {user_id!r}")
    return user_id


def _user_segments(detail: dict[str, Any], user_id: str, field: str) -> list[dict[str, Any]]:
    """The user's ``primaryPresence`` or ``routingStatus`` segments (2.4), each tagged with
    its userId; a field that is not a list of objects fails naming it."""
    segments = _list(detail, field, f"Genesys Cloud user details of user {user_id}")
    bad = next((s for s in segments if not isinstance(s, dict)), None)
    if bad is not None:
        raise VendorError(f"Genesys Cloud {field} of user {user_id}: {str(bad)[:200]!r} is "
                          "not a segment object")
    return [{"userId": user_id, **segment} for segment in segments]


def _segments(records: list[dict[str, Any]], kind: str, code_field: str) -> pd.DataFrame:
    """Segments once per (userId, startTime); a closed copy wins over an open one (2.6).

    The records become columns in Arrow's C++ code, not one Python call per value (issue 10).
    Each field is checked: a missing or unreadable ``startTime``, an ``endTime`` that is not
    ISO-8601, or a missing presence / routing code fails naming field, segment and value,
    rather than becoming an empty time or a None state; such a page (or a time Arrow cannot
    read, e.g. nanoseconds) takes the checked pandas path, which names what is wrong."""
    fields = ["userId", "startTime", "endTime", code_field, "organizationPresenceId"]
    try:
        segments = _arrow_segments(records, fields)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        segments = None
    if segments is None or segments.start.isna().any() or not _codes_present(segments.code):
        frame = pd.DataFrame(records, columns=fields, dtype=object)
        codes = frame[code_field]
        bad = ~codes.map(lambda code: isinstance(code, str) and bool(code.strip()))
        if bad.any():
            _fail(frame, bad, kind, code_field)
        segments = pd.DataFrame({
            "user_id": frame.userId.astype(object),
            "start": _parse_utc(frame, kind, "startTime", required=True),
            "end": _parse_utc(frame, kind, "endTime", required=False),
            "code": codes.astype(object),
            "reason": frame.organizationPresenceId.astype(object)})
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


def _parse_utc(frame: pd.DataFrame, kind: str, field: str, required: bool) -> pd.Series:
    """An ISO-8601 UTC time column (2.4); absent is allowed only where not ``required``
    (``endTime`` of an open segment)."""
    values = frame[field]
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna() & (values.notna() | required)
    if bad.any():
        _fail(frame, bad, kind, field)
    return parsed.astype("datetime64[us, UTC]")


def _fail(frame: pd.DataFrame, bad: pd.Series, kind: str, field: str):
    row = frame[bad.to_numpy()].iloc[0]
    value = row[field]
    if isinstance(value, float) and value != value:  # NaN: the field is absent
        value = None
    where = "" if field == "startTime" else f" starting {row.startTime}"
    raise VendorError(f"Genesys Cloud {field} of {kind} segment{where} of user {row.userId}: "
                      f"{value!r}")


def _utc(moment: dt.datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso_ms(moment: dt.datetime) -> str:
    """``2026-10-24T22:00:00.000Z``, the interval format of the analytics API."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _label(code: str) -> str:
    """``ON_QUEUE/NOT_RESPONDING`` -> ``On Queue - Not Responding``."""
    return " - ".join(part.replace("_", " ").title() for part in code.split("/"))
