"""Genesys Engage: SQL on the Genesys Info Mart summarized agent states (vendors.md 3).

GIM keeps one state timeline per agent and media type (voice, chat, e-mail...), in UTC epoch
seconds, and a second timeline of reasons/work modes (3.1). WFM wants one state per agent.
Option ``source`` says who collapses the media:

- ``media_neutral`` (default): GIM itself. ``SM_MEDIA_NEUTRAL_STATE_FACT`` holds, per agent,
  the highest-priority state in effect on any media under GIM's own configured
  sm-resource-state-priority (3.1, 3.4, corrected): nothing is ranked here, so no state
  spelling is assumed. Its rows are cut whenever GIM re-evaluates and at every ETL cycle, so
  touching equal rows are merged (3.5). It has no reason: a reason row (any media) of the same
  state gives a state its reason. GIM fills the table only with populate-media-neutral-sm-facts
  (8.5.002 on): an agent with per-media states but no media-neutral state in the window fails
  the import rather than loading a night without it (checked when the default query is used);
- ``per_media``: ranked here. At every instant, among the rows in effect on any of the agent's
  media, the winner is the one whose ``STATE_NAME_CODE`` comes first in ``media_priority``
  (default: the spelling of GIM's option, ACW, NOT_READY, BUSY, READY; no source confirms that
  RESOURCE_STATE uses those spellings, 3.4). A code the priority does not list fails the
  import naming it. On equal state a reason row beats the plain state row (the reason is the
  detail), then the state entered first, then the media name.

Either way, per-media rows closed at an ETL cycle and continued unchanged are merged back
first (3.5), and consecutive instants with the same winning label are one status. A status's
label is its STATE_NAME_CODE, plus the reason ("NOT_READY/Break"): the software reason value,
else the work mode (AuxWork...). Active states (ACTIVE_FLAG = 1 or END_TS NULL) are open (NaT)
and re-read by the lookback (3.5). The timeline is exact only where every row was read, so it
is cut to the window.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from agent_status.connectors.base import Connector, VendorError
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import read_checked, vendor_query
from agent_status.frames import conform_raw_events

COLUMNS = {"user_name": "text", "media": "text", "state_code": "text", "state_name": "text",
           "software_reason": "text", "workmode": "text", "start_ts": "int", "end_ts": "int",
           "active_flag": "int"}
# the spelling of GIM's option sm-resource-state-priority (3.4); RESOURCE_STATE's is unconfirmed
STATE_PRIORITY = ("ACW", "NOT_READY", "BUSY", "READY")
SOURCES = {"media_neutral": "genesys_engage", "per_media": "genesys_engage_per_media"}
NO_WORKMODE = {"", "UNKNOWN"}
COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
AGENTS_PER_BATCH = 500  # bounds the memory of the collapse


class GenesysEngageConnector(Connector):
    spec = VENDORS["genesys_engage"]

    def extract(self, start: dt.datetime, end: dt.datetime) -> Iterator[pd.DataFrame]:
        source = f"genesys_engage query on {self.connection.conn_id}"
        kind = self.options["source"]
        if kind not in SOURCES:
            raise VendorError(f"integration {self.integration.name}: option source must be one "
                              f"of {list(SOURCES)}, got {kind!r}")
        priority = self._priority() if kind == "per_media" else None
        column = self.options.get("user_name_column", "RESOURCE_NAME")
        if not COLUMN_NAME.fullmatch(column):
            raise VendorError(f"integration {self.integration.name}: option user_name_column "
                              f"must be a plain column name of RESOURCE_, got {column!r}")
        query = vendor_query(SOURCES[kind], self.options.get("query"))
        params = {"start_ts": math.floor(start.timestamp()), "end_ts": math.ceil(end.timestamp())}
        rows = read_checked(self.connection, query.replace("{user_name_column}", column), params,
                            COLUMNS, source, int(self.options.get("chunk_rows", 200_000)))
        # media-neutral rows have no media (3.1)
        required = ("user_name", "state_code", "start_ts") + (("media",) if priority else ())
        for name in required:
            empty = rows[name].isna()
            if empty.any():
                raise VendorError(f"{source}: column {name!r} is empty in {int(empty.sum())} "
                                  f"row(s), e.g. {rows[empty].iloc[0].to_dict()}")
        states = media_states(rows)
        if priority is None:
            if not self.options.get("query"):
                self._check_media_neutral_coverage(states, column, params, source)
            if states.empty:
                return
            yield media_neutral_states(states, start, end)
            return
        if states.empty:
            return
        _check_ranked(states, priority, source)
        yield effective_states(states, priority, start, end)

    def _priority(self) -> list[str]:
        priority = self.options.get("media_priority") or STATE_PRIORITY
        if not priority or not all(isinstance(code, str) for code in priority):
            raise VendorError(f"integration {self.integration.name}: option media_priority must "
                              f"list state codes, highest first, e.g. {list(STATE_PRIORITY)}")
        return [code.strip().upper() for code in priority]

    def _check_media_neutral_coverage(self, states: pd.DataFrame, column: str, params: dict,
                                      source: str) -> None:
        """Every agent with per-media states in the window has media-neutral ones (3.1)."""
        query = vendor_query("genesys_engage_coverage").replace("{user_name_column}", column)
        per_media = read_checked(self.connection, query, params,
                                 {"user_name": "text", "state_rows": "int"}, source)
        covered = set(states.user[states.media.isna()])
        missing = sorted(set(per_media.user_name.dropna()) - covered)
        if missing:
            raise VendorError(
                f"{source}: SM_MEDIA_NEUTRAL_STATE_FACT holds no state in the window for "
                f"{len(missing)} agent(s) that SM_RES_STATE_FACT shows working, e.g. "
                f"{', '.join(map(str, missing[:10]))}: GIM writes it only with "
                "populate-media-neutral-sm-facts = true (8.5.002 on), and only as far as voice "
                "and multimedia data are both in; enable that option, re-run later, or set "
                "option source: per_media")


def _check_ranked(states: pd.DataFrame, priority: list[str], source: str) -> None:
    """A state code the priority does not list is not ranked silently (3.4)."""
    unknown = states[~states.state_code.isin(priority)]
    if len(unknown):
        first = unknown.iloc[0]
        codes = sorted(set(unknown.state_code))
        raise VendorError(
            f"{source}: state_code (RESOURCE_STATE.STATE_NAME_CODE) {first.state_code!r} "
            f"(STATE_NAME {first.activity_name!r}) is not in media_priority {priority}; "
            f"unlisted codes: {codes} in {len(unknown)} row(s). List every STATE_NAME_CODE of "
            "RESOURCE_STATE, highest priority first, as GIM's sm-resource-state-priority "
            "orders them, or use option source: media_neutral")


def media_states(rows: pd.DataFrame) -> pd.DataFrame:
    """Query rows as labelled per-media states in epoch seconds; active ones open (NaN end)."""
    code = rows.state_code.astype("string").str.strip().str.upper()
    name = rows.state_name.astype("string").str.strip().fillna(code)
    software = rows.software_reason.astype("string").str.strip().replace("", pd.NA)
    workmode = rows.workmode.astype("string").str.strip()
    reason = software.fillna(workmode.mask(workmode.str.upper().isin(NO_WORKMODE)))
    has_reason = reason.notna()
    active = rows.end_ts.isna() | rows.active_flag.fillna(0).eq(1)  # 3.5: accumulating snapshot
    return pd.DataFrame({
        "user": rows.user_name, "media": rows.media.astype("string").str.strip().str.upper(),
        "state_code": code, "has_reason": has_reason,
        "activity_id": code.where(~has_reason, code + "/" + reason),
        "activity_name": name.where(~has_reason, name + " (" + reason + ")"),
        "reason": reason,
        "start_s": rows.start_ts.astype("int64"),
        "end_s": rows.end_ts.where(~active).astype("float64"),
    })


def effective_states(states: pd.DataFrame, priority: list[str], start: dt.datetime,
                     end: dt.datetime) -> pd.DataFrame:
    """One timeline per agent from per-media states ranked by ``priority`` (module doc)."""
    states = merge_runs(states, lane=["user", "media", "has_reason"],
                        labels=["activity_id", "reason"])
    rank = {code: i for i, code in enumerate(priority)}
    states["rank"] = states.state_code.map(rank).fillna(len(priority)).astype("int64")
    states = states.sort_values(["rank", "has_reason", "start_s", "media"],
                                ascending=[True, False, True, True]).reset_index(drop=True)
    return _timeline(states, start, end, media_neutral=False)


def media_neutral_states(states: pd.DataFrame, start: dt.datetime,
                         end: dt.datetime) -> pd.DataFrame:
    """One timeline per agent from GIM's media-neutral rows (media NA), each instant given the
    reason of a reason row of the same state when one covers it (module doc)."""
    neutral = states.media.isna()
    states = states[neutral | states.has_reason].reset_index(drop=True)
    states = merge_runs(states, lane=["user", "media", "has_reason"],
                        labels=["activity_id", "reason"])
    states = states.sort_values(["has_reason", "start_s", "media"],
                                ascending=[False, True, True]).reset_index(drop=True)
    return _timeline(states, start, end, media_neutral=True)


def _timeline(states: pd.DataFrame, start: dt.datetime, end: dt.datetime,
              media_neutral: bool) -> pd.DataFrame:
    """The winners of every instant (rows in ``states`` order, best first), cut to the window
    and joined into statuses."""
    states["order"] = np.arange(len(states))
    w0, w1 = math.floor(start.timestamp()), math.ceil(end.timestamp())
    users = pd.Series(pd.factorize(states.user)[0], index=states.index)
    pieces = [_collapse(states[users // AGENTS_PER_BATCH == batch], w0, w1, media_neutral)
              for batch in range(int(users.max()) // AGENTS_PER_BATCH + 1)]
    timeline = merge_runs(pd.concat(pieces, ignore_index=True), lane=["user"],
                          labels=["activity_id", "reason"])
    end_utc = pd.to_datetime(timeline.end_s.astype("float64"), unit="s", utc=True)
    return conform_raw_events(pd.DataFrame({
        "external_user_id": timeline.user, "vendor_activity_id": timeline.activity_id,
        "vendor_activity_name": timeline.activity_name, "reason": timeline.reason,
        "start_utc": pd.to_datetime(timeline.start_s, unit="s", utc=True),
        "end_utc": end_utc}))


def _collapse(states: pd.DataFrame, w0: int, w1: int, media_neutral: bool) -> pd.DataFrame:
    """The winner of each elementary interval (between consecutive start/end instants of an
    agent's rows): every row is spread over the intervals it covers, the lowest ``order`` wins.
    ``media_neutral``: only the media-neutral row and reason rows of its state compete; an
    interval without a media-neutral row has no state."""
    start = states.start_s.clip(lower=w0, upper=w1).to_numpy("int64")
    end = states.end_s.fillna(w1).clip(lower=w0, upper=w1).to_numpy("int64")
    keep = end > start
    states, start, end = states[keep].reset_index(drop=True), start[keep], end[keep]
    user = pd.factorize(states.user)[0].astype("int64")
    span = np.int64(w1 - w0 + 1)
    first, last = user * span + (start - w0), user * span + (end - w0)
    instants = np.unique(np.concatenate([first, last]))
    lo, hi = np.searchsorted(instants, first), np.searchsorted(instants, last)
    counts = hi - lo
    row = np.repeat(np.arange(len(states)), counts)
    interval = lo[row] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    if media_neutral:
        interval, row = _same_state_as_media_neutral(states, interval, row, len(instants))
    by_interval = np.lexsort((states.order.to_numpy()[row], interval))
    interval, row = interval[by_interval], row[by_interval]
    winner = np.r_[True, interval[1:] != interval[:-1]]
    interval, row = interval[winner], row[winner]
    base = user[row] * span - w0
    labels = ["user", "activity_id", "activity_name", "reason"]
    out = states.iloc[row][labels].reset_index(drop=True)
    out["start_s"] = instants[interval] - base
    out["end_s"] = (instants[interval + 1] - base).astype("float64")
    # the last interval of a row still active at the vendor stays open
    open_ = states.end_s.isna().to_numpy()[row] & (out.end_s.to_numpy() == w1)
    out.loc[open_, "end_s"] = np.nan
    return out


def _same_state_as_media_neutral(states: pd.DataFrame, interval: np.ndarray, row: np.ndarray,
                                 intervals: int) -> tuple[np.ndarray, np.ndarray]:
    """The (interval, row) pairs of each interval's media-neutral row (the first in order when
    GIM overlaps itself) and of the reason rows of that same state."""
    neutral = states.media.isna().to_numpy()
    code = pd.factorize(states.state_code)[0]
    order = states.order.to_numpy()
    pairs = neutral[row]
    first = np.lexsort((order[row[pairs]], interval[pairs]))
    n_interval, n_row = interval[pairs][first], row[pairs][first]
    lead = np.r_[True, n_interval[1:] != n_interval[:-1]]
    state_row = np.full(intervals, -1)
    state_row[n_interval[lead]] = n_row[lead]
    winner = state_row[interval]
    keep = (winner >= 0) & (code[row] == code[np.maximum(winner, 0)]) & (
        (row == winner) | ~neutral[row])
    return interval[keep], row[keep]


def merge_runs(frame: pd.DataFrame, lane: list[str], labels: list[str]) -> pd.DataFrame:
    """Touching rows of one lane with the same labels become one row (the last one's end)."""
    frame = frame.sort_values(lane + ["start_s"]).reset_index(drop=True)
    keys = frame[lane + labels].astype("object").fillna("\x00")
    same = keys.eq(keys.shift()).all(axis=1) & frame.start_s.eq(frame.end_s.shift())
    group = (~same).cumsum()
    merged = frame[~group.duplicated(keep="first")].copy()
    merged["end_s"] = frame.end_s[~group.duplicated(keep="last")].to_numpy()
    return merged.reset_index(drop=True)
