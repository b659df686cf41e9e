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
_OPEN_US = pd.Timestamp("2200-01-01", tz="UTC").value // 1000  # a missing endTime, microseconds
_CHUNK_RECORDS = 50_000  # records held as dicts before they become columns (peak memory)


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
        # records become columns a chunk at a time, so the night is never held as dicts (the
        # peak memory, issue 10); effective_timeline keeps copies across chunks once (2.6)
        presence, routing, records = [], [], ([], [])
        for window in split_windows(start, end, self.window):
            for detail in self._user_details(*window):
                user_id = _user_id(detail)
                records[0].extend(_user_segments(detail, user_id, "primaryPresence"))
                records[1].extend(_user_segments(detail, user_id, "routingStatus"))
                if len(records[0]) + len(records[1]) >= _CHUNK_RECORDS:
                    presence.append(_segments(records[0], "primaryPresence", "systemPresence"))
                    routing.append(_segments(records[1], "routingStatus", "routingStatus"))
                    records = ([], [])
        if records[0] or records[1] or not presence:
            presence.append(_segments(records[0], "primaryPresence", "systemPresence"))
            routing.append(_segments(records[1], "routingStatus", "routingStatus"))
        timeline = effective_timeline(pd.concat(presence, ignore_index=True),
                                      pd.concat(routing, ignore_index=True), start, end)
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

    Both frames have user_id, start, end (NaT = open), code; presence also reason; a segment
    may come several times (2.6) and is kept once. Each user's time is cut at every boundary of
    either timeline; each piece takes the presence and the routing segment covering it (an
    as-of search), and consecutive pieces of the same status are joined again. Vectorised
    over sorted integer (user, time) keys: no Python object per row but the output's text
    (issue 10).
    """
    columns = ["user_id", *RAW_EVENT_COLUMNS[1:]]
    if presence.empty:
        return pd.DataFrame({c: [] for c in columns})
    users, names = pd.factorize(pd.concat([presence.user_id.astype(object),
                                           routing.user_id.astype(object)], ignore_index=True),
                                sort=True)
    p_user, p_start, p_end, p_code, p_reason = _copies_once(
        users[:len(presence)], presence, presence.reason)
    r_user, r_start, r_end, r_code, _ = _copies_once(users[len(presence):], routing, None)
    routed_status = r_code != OFF_QUEUE
    r_user, r_start, r_end, r_code = (a[routed_status] for a in (r_user, r_start, r_end, r_code))
    # every boundary of either timeline, as (user, time code) in one sortable integer
    (p_start, p_end, r_start, r_end), span, moments = _time_codes(
        [p_start, p_end, r_start, r_end], len(names))
    cuts = np.unique(np.concatenate([
        u.astype(np.int64) * span + t
        for u, t in ((p_user, p_start), (p_user, p_end), (r_user, r_start), (r_user, r_end))]))
    cut_user, cut_rank = np.divmod(cuts, span)
    same_user = cut_user[1:] == cut_user[:-1]
    piece_key = cuts[:-1][same_user]
    piece_user, piece_start, piece_end = (cut_user[:-1][same_user], cut_rank[:-1][same_user],
                                          cut_rank[1:][same_user])
    presence_no = _covering(piece_key, piece_user, piece_start, p_user, p_start, p_end, span)
    routing_no = _covering(piece_key, piece_user, piece_start, r_user, r_start, r_end, span)
    inside = presence_no >= 0
    piece_user, piece_start, piece_end, presence_no, routing_no = (
        a[inside] for a in (piece_user, piece_start, piece_end, presence_no, routing_no))

    # the activity as an integer: presence codes first, then ON_QUEUE/<routing code>
    p_codes, p_names = pd.factorize(p_code, use_na_sentinel=False)
    r_codes, r_names = pd.factorize(r_code, use_na_sentinel=False)
    on_queue_code = np.asarray(p_names, dtype=object) == ON_QUEUE
    on_queue = on_queue_code[p_codes][presence_no]
    routed = on_queue & (routing_no >= 0)
    routing_no = np.where(routed, routing_no, -1)
    activity = np.where(routed, len(p_names) + r_codes[np.maximum(routing_no, 0)] if len(r_codes)
                        else 0, p_codes[presence_no])
    activities = np.asarray([*p_names, *(f"{ON_QUEUE}/{r}" if isinstance(r, str) else None
                                         for r in r_names)], dtype=object)

    first = np.ones(len(presence_no), dtype=bool)
    first[1:] = ((presence_no[1:] != presence_no[:-1]) | (routing_no[1:] != routing_no[:-1])
                 | (piece_user[1:] != piece_user[:-1]) | (piece_start[1:] != piece_end[:-1]))
    last = np.append(first[1:], True)[:len(first)]
    run_presence, run_activity = presence_no[first], activity[first]
    run_start, run_end = moments(piece_start[first]), moments(piece_end[last])

    # uncovered ON_QUEUE is known only inside the interval the routing status was read for
    start_us, end_us = (_utc(moment).value // 1000 for moment in (start, end))  # .value: ns
    bare = (run_activity < len(p_names)) & on_queue_code[np.minimum(run_activity, len(p_names) - 1)]
    keep = ~bare | ((run_start < end_us) & (run_end > start_us))
    bare, run_presence, run_activity, run_start, run_end, run_user = (
        a[keep] for a in (bare, run_presence, run_activity, run_start, run_end,
                          piece_user[first]))
    run_start = np.where(bare, np.maximum(run_start, start_us), run_start)
    run_end = np.where(bare & (run_end != _OPEN_US), np.minimum(run_end, end_us), run_end)
    run_end = np.where(run_end == _OPEN_US, np.iinfo(np.int64).min, run_end)  # NaT: still open

    reasons = np.where(~on_queue_code[p_codes] & pd.notna(p_reason), p_reason, None)
    labels = np.asarray([_label(a) if isinstance(a, str) else None for a in activities],
                        dtype=object)
    return pd.DataFrame({
        "user_id": pd.Series(np.asarray(names, dtype=object)[run_user], dtype=object),
        "vendor_activity_id": pd.Series(activities[run_activity], dtype=object),
        "vendor_activity_name": pd.Series(labels[run_activity], dtype=object),
        "reason": pd.Series(reasons[run_presence], dtype=object),
        "start_utc": _stamps(run_start),
        "end_utc": _stamps(run_end)})


def _time_codes(stamps: list[np.ndarray], users: int):
    """Microsecond stamps as small non-negative codes in the same order, ``span`` (codes are
    below it, so ``user * span + code`` sorts by user then time) and the decoding function: the
    offset from the earliest stamp (an open end just after the latest) when that fits in 62
    bits with the users, else the rank among the distinct stamps (a sort more)."""
    every = np.concatenate(stamps)
    low, closed = every.min(), every[every != _OPEN_US]
    high = (closed.max() if len(closed) else low) + 1  # the code of an open end, as an offset
    if (high - low + 1) * max(users, 1) < 2 ** 62:
        def moments(codes):
            return np.where(codes == high - low, _OPEN_US, codes + low)

        return ([np.where(t == _OPEN_US, high, t) - low for t in stamps], int(high - low + 1),
                moments)
    times = np.unique(every)
    return [np.searchsorted(times, t) for t in stamps], len(times), times.__getitem__


def _copies_once(user: np.ndarray, segments: pd.DataFrame, reason: pd.Series | None):
    """user, start, end (microseconds), code, reason arrays of the segments once per (user,
    start), whichever chunk each copy came in: a closed copy over an open one, else the latest
    end (2.6)."""
    start, end = _micros(segments.start), _micros(segments.end)
    order = np.lexsort((np.where(end == _OPEN_US, np.iinfo(np.int64).min, end), start, user))
    kept_user, kept_start = user[order], start[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (kept_user[1:] != kept_user[:-1]) | (kept_start[1:] != kept_start[:-1])
    rows = np.sort(order[last])
    reasons = np.full(len(rows), None, dtype=object) if reason is None \
        else reason.astype(object).to_numpy()[rows]
    return (user[rows], start[rows], end[rows], segments.code.astype(object).to_numpy()[rows],
            reasons)


def _covering(piece_key: np.ndarray, piece_user: np.ndarray, piece_start: np.ndarray,
              user: np.ndarray, start: np.ndarray, end: np.ndarray, span: int) -> np.ndarray:
    """The row of the segment of the same user covering each piece (latest start wins), -1 if
    none: the as-of search on (user, start rank) keys."""
    key = user.astype(np.int64) * span + start
    order = np.argsort(key, kind="stable")
    at = np.searchsorted(key[order], piece_key, side="right") - 1
    row = order[np.maximum(at, 0)] if len(order) else np.zeros(len(piece_key), dtype=np.int64)
    covered = (at >= 0) & (user[row] == piece_user) & (end[row] > piece_start) if len(order) \
        else np.zeros(len(piece_key), dtype=bool)
    return np.where(covered, row, -1)


def _micros(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch; an open end (NaT) as the far-future ``_OPEN_US``."""
    stamps = pd.DatetimeIndex(values)
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    micros = stamps.as_unit("us").asi8
    return np.where(pd.isna(values).to_numpy(), _OPEN_US, micros)


def _stamps(micros: np.ndarray) -> pd.Series:
    return pd.Series(micros.view("M8[us]")).dt.tz_localize("UTC")


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
