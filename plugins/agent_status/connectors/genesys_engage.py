"""Genesys Engage: SQL on the Genesys Info Mart summarized agent states (vendors.md 3).

Its contract, point by point with the vendors.md sections, is declared with the vendor:
agent_status/vendors/genesys_engage.py."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.connectors.ranked_timeline import LABELS, led_by, ranked_statuses
from agent_status.connectors.timeline import merge_touching_runs
from agent_status.connectors.registry import VENDORS
from agent_status.connectors.sql import SqlConnector, checked_chunks, identifier, \
    vendor_query

# the spelling of GIM's option sm-resource-state-priority (3.4); RESOURCE_STATE's is unconfirmed
STATE_PRIORITY = ("ACW", "NOT_READY", "BUSY", "READY")
SOURCES = {"media_neutral": "genesys_engage", "per_media": "genesys_engage_per_media"}
NO_WORKMODE = {"", "UNKNOWN"}


class GenesysEngageConnector(SqlConnector):
    spec = VENDORS["genesys_engage"]
    columns = {"user_name": "text", "media": "text", "state_code": "text", "state_name": "text",
               "software_reason": "text", "workmode": "text", "start_ts": "int",
               "end_ts": "int", "active_flag": "int"}
    sample_rows = False  # the collapse needs every row of the window: check reads it whole

    @property
    def required(self) -> tuple[str, ...]:
        # media-neutral rows have no media (3.1)
        per_media = ("media",) if self.options["source"] == "per_media" else ()
        return ("user_name", "state_code", "start_ts") + per_media

    def query(self, name: str | None = None) -> str:
        """The source's query (or ``name``'s), on the option's user name column."""
        column = identifier(self.options["user_name_column"], f"integration "
                            f"{self.integration.name}: option user_name_column (of RESOURCE_)")
        return vendor_query(name or SOURCES[self.options["source"]],
                            None if name else self.options.get("query")
                            ).replace("{user_name_column}", column)

    def params(self, start: dt.datetime, end: dt.datetime, sample: bool) -> dict:
        return {"start_ts": math.floor(start.timestamp()), "end_ts": math.ceil(end.timestamp())}

    def finish(self, frame: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        events = super().finish(frame, start, end)
        if self.options["source"] == "media_neutral" and not self.options.get("query"):
            # on GIM's own tables: every agent of the events had a media-neutral row
            self._check_media_neutral_coverage(set(events.external_user_id), start, end)
        return events

    def events(self, rows: pd.DataFrame, start: dt.datetime, end: dt.datetime
               ) -> pd.DataFrame:
        states = media_states(rows)
        if self.options["source"] == "media_neutral":
            return media_neutral_states(states, start, end)
        priority = self._priority()
        _check_ranked(states, priority, self.source)
        return effective_states(states, priority, start, end)

    def _priority(self) -> list[str]:
        # a list of texts, checked when the integrations file loads (vendors/genesys_engage.py)
        priority = self.options.get("media_priority") or STATE_PRIORITY
        return [code.strip().upper() for code in priority]

    def _check_media_neutral_coverage(self, covered: set, start: dt.datetime,
                                      end: dt.datetime) -> None:
        """Every agent with per-media states in the window has media-neutral ones (3.1)."""
        query = self.query("genesys_engage_coverage")
        working = {name for chunk in checked_chunks(
            self.connection, query, self.params(start, end, False),
            {"user_name": "text", "state_rows": "int"}, self.source)
            for name in chunk.user_name.dropna()}
        missing = sorted(working - covered)
        if missing:
            raise VendorError(
                f"{self.source}: SM_MEDIA_NEUTRAL_STATE_FACT holds no state in the window for "
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
    states = _merge(states, lane=["user", "media", "has_reason"])
    rank = {code: i for i, code in enumerate(priority)}
    states["rank"] = states.state_code.map(rank).fillna(len(priority)).astype("int64")
    states = states.sort_values(["rank", "has_reason", "start_s", "media"],
                                ascending=[True, False, True, True]).reset_index(drop=True)
    return ranked_statuses(states, start, end)


def media_neutral_states(states: pd.DataFrame, start: dt.datetime,
                         end: dt.datetime) -> pd.DataFrame:
    """One timeline per agent from GIM's media-neutral rows (media NA), each instant given the
    reason of a reason row of the same state when one covers it (module doc)."""
    neutral = states.media.isna()
    states = states[neutral | states.has_reason].reset_index(drop=True)
    states = _merge(states, lane=["user", "media", "has_reason"])
    states = states.sort_values(["has_reason", "start_s", "media"],
                                ascending=[False, True, True]).reset_index(drop=True)
    # only the media-neutral row decides the state; reason rows of that state give its reason
    return ranked_statuses(states.assign(neutral=states.media.isna()), start, end,
                           led_by("neutral", "state_code"))


def _merge(frame: pd.DataFrame, lane: list[str]) -> pd.DataFrame:
    return merge_touching_runs(frame, lane, LABELS, start="start_s", end="end_s")

