"""Genesys Engage sandbox: a Genesys Info Mart database with summarized agent states (vendors.md 3).

It renders the simulator's truth the way GIM stores it, in UTC epoch seconds:
- one timeline per agent and media (3.5): a call is handled on voice, chat or e-mail; the other
  media stay Ready meanwhile, and during after-call work of a voice or chat interaction the
  e-mail media is Busy (an e-mail being worked) - so the media overlap with different states and
  only GIM's priority (ACW over BUSY) gives back the truth; pauses are NotReady on all media;
- reasons in their own fact table (SM_RES_STATE_REASON_FACT): break and lunch carry a software
  reason, a meeting only the work mode AuxWork;
- rows are closed at every ETL cycle (15 minutes) and continued unchanged in a new row (3.5);
- with ``now``, states running at that instant are active (ACTIVE_FLAG 1): voice rows have no
  END_TS, multimedia rows carry the cycle's time as a provisional END_TS;
- SM_MEDIA_NEUTRAL_STATE_FACT (3.1): the highest-priority state across media under GIM's
  default sm-resource-state-priority, which is the truth; a new row at every per-media row
  start (GIM re-evaluates then, often to the same state) and at every ETL cycle; no reason, no
  media; the state running at ``now`` has no END_TS and ACTIVE_FLAG 1.
Variants (constructor arguments): ``media_neutral=False`` leaves SM_MEDIA_NEUTRAL_STATE_FACT
empty (populate-media-neutral-sm-facts off); ``media_neutral_active_flag=False`` is a release
before 8.5.116.26, whose table has no ACTIVE_FLAG; ``spelling`` picks the STATE_NAME_CODE
spellings, which no source confirms (3.4): ``"priority_option"`` (ACW, NOT_READY, BUSY, READY,
as GIM's priority option spells them) or ``"state_names"`` (AFTERCALLWORK, NOTREADY, BUSY,
READY, the T-Server state names).
Logged-out time is a gap. User names are in RESOURCE_.RESOURCE_NAME; EMPLOYEE_ID holds the
employee's matricule (the external employee id).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from agent_status.connectors.base import ConnectionInfo
from agent_status_dev.sandboxes.base import Sandbox
from agent_status_dev.sandboxes.generic_sql import truth_for_nights, write_tables
from agent_status_dev.simulator import Simulator

TENANT = 1
MEDIA = {"VOICE": (1, "Voice"), "CHAT": (2, "Chat"), "EMAIL": (3, "Email")}
# state -> (RESOURCE_STATE_KEY, STATE_TYPE, STATE_TYPE_CODE, STATE_NAME)
STATES = {"READY": (1, "Ready", "READY", "Ready"),
          "NOT_READY": (2, "NotReady", "NOT_READY", "NotReady"),
          "BUSY": (3, "Busy", "BUSY", "Busy"),
          "ACW": (4, "NotReady", "NOT_READY", "AfterCallWork")}
# the STATE_NAME_CODE of each state: spellings no source confirms (vendors.md 3.4)
SPELLINGS = {"priority_option": {code: code for code in STATES},
             "state_names": {"READY": "READY", "NOT_READY": "NOTREADY", "BUSY": "BUSY",
                             "ACW": "AFTERCALLWORK"}}
# the media-neutral state of each canonical state: GIM's default priority over the media
NEUTRAL = {"ready": "READY", "on_call": "BUSY", "wrap_up": "ACW", "break": "NOT_READY",
           "lunch": "NOT_READY", "meeting": "NOT_READY"}
# pause -> (RESOURCE_STATE_REASON_KEY, REASON_TYPE, REASON_TYPE_CODE, SOFTWARE_REASON_KEY,
#           SOFTWARE_REASON_VALUE, WORKMODE, WORKMODE_CODE)
REASONS = {"break": (1, "Software", "SOFTWARE", "ReasonCode", "Break", "AuxWork", "AUX_WORK"),
           "lunch": (2, "Software", "SOFTWARE", "ReasonCode", "Lunch", "AuxWork", "AUX_WORK"),
           "meeting": (3, "Unknown", "UNKNOWN", None, None, "AuxWork", "AUX_WORK")}
FACT_COLUMNS = ("START_DATE_TIME_KEY INTEGER NOT NULL, END_DATE_TIME_KEY INTEGER, "
                "TENANT_KEY INTEGER NOT NULL, MEDIA_TYPE_KEY INTEGER NOT NULL, "
                "RESOURCE_KEY INTEGER NOT NULL, RESOURCE_STATE_KEY INTEGER NOT NULL, "
                "START_TS INTEGER NOT NULL, END_TS INTEGER, TOTAL_DURATION INTEGER, "
                "ACTIVE_FLAG INTEGER NOT NULL")
DDL = (
    "CREATE TABLE IF NOT EXISTS RESOURCE_ (RESOURCE_KEY INTEGER NOT NULL, TENANT_KEY INTEGER, "
    "RESOURCE_TYPE TEXT, RESOURCE_TYPE_CODE TEXT, RESOURCE_NAME TEXT, AGENT_FIRST_NAME TEXT, "
    "AGENT_LAST_NAME TEXT, EMPLOYEE_ID TEXT, EXTERNAL_RESOURCE_ID TEXT)",
    "CREATE TABLE IF NOT EXISTS MEDIA_TYPE (MEDIA_TYPE_KEY INTEGER NOT NULL, MEDIA_NAME TEXT, "
    "MEDIA_NAME_CODE TEXT)",
    "CREATE TABLE IF NOT EXISTS RESOURCE_STATE (RESOURCE_STATE_KEY INTEGER NOT NULL, "
    "STATE_TYPE TEXT, STATE_TYPE_CODE TEXT, STATE_NAME TEXT, STATE_NAME_CODE TEXT)",
    "CREATE TABLE IF NOT EXISTS RESOURCE_STATE_REASON (RESOURCE_STATE_REASON_KEY INTEGER NOT "
    "NULL, TENANT_KEY INTEGER, REASON_TYPE TEXT, REASON_TYPE_CODE TEXT, HARDWARE_REASON TEXT, "
    "SOFTWARE_REASON_KEY TEXT, SOFTWARE_REASON_VALUE TEXT, WORKMODE TEXT, WORKMODE_CODE TEXT)",
    f"CREATE TABLE IF NOT EXISTS SM_RES_STATE_FACT (SM_RES_STATE_FACT_KEY INTEGER NOT NULL, "
    f"{FACT_COLUMNS})",
    f"CREATE TABLE IF NOT EXISTS SM_RES_STATE_REASON_FACT (SM_RES_STATE_REASON_FACT_KEY INTEGER "
    f"NOT NULL, RESOURCE_STATE_REASON_KEY INTEGER NOT NULL, {FACT_COLUMNS})",
    "CREATE INDEX IF NOT EXISTS SM_RES_STATE_FACT_START ON SM_RES_STATE_FACT (START_TS)",
    "CREATE TABLE IF NOT EXISTS SM_MEDIA_NEUTRAL_STATE_FACT (START_DATE_TIME_KEY INTEGER NOT "
    "NULL, END_DATE_TIME_KEY INTEGER, RESOURCE_KEY INTEGER NOT NULL, RESOURCE_STATE_KEY INTEGER "
    "NOT NULL, RESOURCE_GROUP_COMBINATION_KEY INTEGER, TENANT_KEY INTEGER NOT NULL, START_TS "
    "INTEGER NOT NULL, END_TS INTEGER, STUCK_FLAG INTEGER, CREATE_AUDIT_KEY INTEGER NOT NULL, "
    "UPDATE_AUDIT_KEY INTEGER{active_flag})",
    "CREATE INDEX IF NOT EXISTS SM_RES_STATE_REASON_FACT_START "
    "ON SM_RES_STATE_REASON_FACT (START_TS)",
)
PAUSES = list(REASONS)


class GenesysEngageSandbox(Sandbox):
    vendor = "genesys_engage"
    identifier = "user_name"
    state_map = {"ready": ("READY", "Ready", None), "on_call": ("BUSY", "Busy", None),
                 "wrap_up": ("ACW", "AfterCallWork", None),
                 "break": ("NOT_READY/Break", "NotReady (Break)", "Break"),
                 "lunch": ("NOT_READY/Lunch", "NotReady (Lunch)", "Lunch"),
                 "meeting": ("NOT_READY/AuxWork", "NotReady (AuxWork)", "AuxWork")}

    def __init__(self, simulator: Simulator | None = None, now: dt.datetime | None = None,
                 url: str | None = None, path: Path | str | None = None,
                 etl_cycle_seconds: int = 900, *, media_neutral: bool = True,
                 media_neutral_active_flag: bool = True, spelling: str = "priority_option"):
        super().__init__(simulator, now)
        self.media_neutral = media_neutral
        self.media_neutral_active_flag = media_neutral_active_flag
        self.codes = SPELLINGS[spelling]
        self.state_map = {state: (_respell(activity, self.codes), name, reason)
                          for state, (activity, name, reason) in type(self).state_map.items()}
        if url is None:
            url = f"sqlite:///{Path(path or 'data/sandboxes/genesys_engage.sqlite').resolve()}"
        self.url, self.etl_cycle_seconds = url, etl_cycle_seconds
        self.injected = {"etl_splits": 0, "busy_email_during_acw": 0, "active_rows": 0,
                         "provisional_end_rows": 0, "reason_rows": 0, "media_neutral_rows": 0,
                         "media_neutral_splits": 0}
        # after-call work during which the e-mail media was Busy: (user name, start, end)
        self.busy_email_during_acw = pd.DataFrame()

    def connection(self) -> ConnectionInfo:
        return ConnectionInfo(conn_id="genesys_engage_sandbox", conn_type="sqlite",
                              extra={"sqlalchemy_url": self.url})

    def build(self, first_night: dt.date, last_night: dt.date) -> int:
        """(Re)write the facts for local dates ``first_night - 1 .. last_night + 1``."""
        truth = truth_for_nights(self.simulator, first_night, last_night, self.now)
        truth = truth[truth.state.isin(list(self.state_map))].reset_index(drop=True)
        names = {a.index: a.user_name for a in self.simulator.agents}
        per_media, carrier = self._per_media(truth)
        acw = truth[truth.state.eq("wrap_up") & carrier.ne("EMAIL")]
        self.busy_email_during_acw = pd.DataFrame({
            "external_user_id": acw.agent.map(names), "start_utc": acw.start_utc,
            "end_utc": acw.end_utc}).reset_index(drop=True)
        rows = self._split_at_etl_cycles(per_media)
        now_s = int(pd.Timestamp(self.now).timestamp()) if self.now is not None else None
        active = rows.end_s.isna()
        provisional = active & rows.media.ne("VOICE")
        end_ts = rows.end_s.where(~provisional, now_s).astype("Int64")
        cycle = self.etl_cycle_seconds
        facts = pd.DataFrame({
            "START_DATE_TIME_KEY": rows.start_s // cycle * cycle,
            "END_DATE_TIME_KEY": (end_ts // cycle * cycle).astype("Int64"),
            "TENANT_KEY": TENANT, "MEDIA_TYPE_KEY": rows.media.map(lambda m: MEDIA[m][0]),
            "RESOURCE_KEY": rows.agent + 100,
            "RESOURCE_STATE_KEY": rows.code.map(lambda c: STATES[c][0]),
            "START_TS": rows.start_s, "END_TS": end_ts,
            "TOTAL_DURATION": (end_ts.fillna(now_s or 0) - rows.start_s).astype("Int64"),
            "ACTIVE_FLAG": active.astype(int)})
        with_reason = rows.reason_key.notna()
        reasons = facts[with_reason].assign(RESOURCE_STATE_REASON_KEY=rows.reason_key[with_reason])
        facts, reasons = (frame.sort_values(["START_TS", "RESOURCE_KEY", "MEDIA_TYPE_KEY"])
                          for frame in (facts, reasons))
        reasons.insert(0, "SM_RES_STATE_REASON_FACT_KEY", np.arange(1, len(reasons) + 1))
        facts.insert(0, "SM_RES_STATE_FACT_KEY", np.arange(1, len(facts) + 1))
        neutral = self._media_neutral(truth, rows, now_s) if self.media_neutral else \
            pd.DataFrame(columns=list(NEUTRAL_COLUMNS))
        if not self.media_neutral_active_flag:
            neutral = neutral.drop(columns="ACTIVE_FLAG")
        self.injected.update(active_rows=int(active.sum()),
                             provisional_end_rows=int(provisional.sum()),
                             reason_rows=len(reasons), busy_email_during_acw=len(acw),
                             media_neutral_rows=len(neutral))
        flag = ", ACTIVE_FLAG INTEGER NOT NULL" if self.media_neutral_active_flag else ""
        ddl = tuple(statement.replace("{active_flag}", flag) for statement in DDL)
        write_tables(self.url, ddl, {"RESOURCE_": self._resources(), "MEDIA_TYPE": _media(),
                                     "RESOURCE_STATE": _states(self.codes),
                                     "RESOURCE_STATE_REASON": _reasons(),
                                     "SM_RES_STATE_FACT": facts,
                                     "SM_RES_STATE_REASON_FACT": reasons,
                                     "SM_MEDIA_NEUTRAL_STATE_FACT": neutral})
        return len(facts) + len(reasons) + len(neutral)

    def _media_neutral(self, truth: pd.DataFrame, rows: pd.DataFrame,
                       now_s: int | None) -> pd.DataFrame:
        """SM_MEDIA_NEUTRAL_STATE_FACT (3.1): the truth's state under GIM's priority, a new row
        wherever a per-media row starts (GIM re-evaluates, often to the same state)."""
        epoch = pd.Timestamp(0, tz="UTC")
        runs = pd.DataFrame({
            "agent": truth.agent, "code": truth.state.map(NEUTRAL),
            "start_s": (truth.start_utc - epoch) // pd.Timedelta(seconds=1),
            "end_s": ((truth.end_utc - epoch) // pd.Timedelta(seconds=1)).astype("Int64")})
        same = (runs.agent.eq(runs.agent.shift()) & runs.code.eq(runs.code.shift())
                & runs.start_s.eq(runs.end_s.shift()))
        group = (~same.fillna(False).astype(bool)).cumsum()
        merged = runs[~group.duplicated(keep="first")].copy()
        merged["end_s"] = runs.end_s[~group.duplicated(keep="last")].to_numpy()
        merged = merged.reset_index(drop=True)
        # cut at every per-media row start of the same agent (their ETL-cycle cuts included)
        span = np.int64(1) << 34
        cuts = np.unique(rows.agent.to_numpy("int64") * span + rows.start_s.to_numpy("int64"))
        base = merged.agent.to_numpy("int64") * span
        first = base + merged.start_s.to_numpy("int64")
        until = merged.end_s.fillna(now_s if now_s is not None else 0).to_numpy("int64")
        last = base + np.maximum(until, merged.start_s.to_numpy("int64") + 1)
        lo, hi = np.searchsorted(cuts, first, "right"), np.searchsorted(cuts, last, "left")
        pieces = hi - lo + 1
        row = np.repeat(np.arange(len(merged)), pieces)
        k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        out = merged.iloc[row].reset_index(drop=True)
        cut_at = cuts[np.minimum(lo[row] + k, len(cuts) - 1)] - base[row]
        out["start_s"] = np.where(k == 0, out.start_s, cuts[np.maximum(lo[row] + k - 1, 0)]
                                  - base[row])
        out["end_s"] = out.end_s.where(pd.Series(k == pieces[row] - 1), pd.Series(cut_at))
        self.injected["media_neutral_splits"] = len(out) - len(merged)
        active = out.end_s.isna()
        cycle = self.etl_cycle_seconds
        end_ts = out.end_s.astype("Int64")
        if not self.media_neutral_active_flag:  # before 8.5.116.26 a running state ends
            end_ts = end_ts.fillna(now_s or 0)   # with the ETL cycle
        return pd.DataFrame({
            "START_DATE_TIME_KEY": out.start_s // cycle * cycle,
            "END_DATE_TIME_KEY": (end_ts // cycle * cycle).astype("Int64"),
            "RESOURCE_KEY": out.agent + 100,
            "RESOURCE_STATE_KEY": out.code.map(lambda c: STATES[c][0]),
            "RESOURCE_GROUP_COMBINATION_KEY": -1, "TENANT_KEY": TENANT,
            "START_TS": out.start_s, "END_TS": end_ts, "STUCK_FLAG": 0,
            "CREATE_AUDIT_KEY": 1, "UPDATE_AUDIT_KEY": 1,
            "ACTIVE_FLAG": active.astype(int)}).sort_values(["START_TS", "RESOURCE_KEY"])

    @staticmethod
    def _per_media(truth: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Each media's own timeline, equal neighbours merged; and each status's carrier."""
        start_s = (truth.start_utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        state = truth.state
        # the medium an interaction is on: a deterministic pick, half of them voice
        picked = pd.Series(np.array(["VOICE", "VOICE", "CHAT", "EMAIL"])[
            ((start_s // 7 + truth.agent) % 4).to_numpy()], index=truth.index)
        follows_call = (truth.agent.eq(truth.agent.shift()) & state.shift().eq("on_call")
                        & truth.start_utc.eq(truth.end_utc.shift()))
        carrier = picked.where(state.eq("on_call"), None)
        carrier = carrier.where(~state.eq("wrap_up"),
                                picked.shift().where(follows_call, "VOICE"))
        frames = []
        for media in MEDIA:
            on_it = carrier.eq(media)
            code = np.select(
                [state.eq("ready"), state.eq("on_call"), state.eq("wrap_up")],
                [np.full(len(truth), "READY"), np.where(on_it, "BUSY", "READY"),
                 np.where(on_it, "ACW", "BUSY" if media == "EMAIL" else "READY")],
                default="NOT_READY")
            frames.append(pd.DataFrame({
                "agent": truth.agent, "media": media, "code": code,
                "reason_key": state.map(lambda s: REASONS[s][0] if s in REASONS else None
                                        ).astype("Int64"),
                "start_s": start_s,
                "end_s": ((truth.end_utc - pd.Timestamp(0, tz="UTC"))
                          // pd.Timedelta(seconds=1)).astype("Int64")}))
        rows = pd.concat(frames, ignore_index=True).sort_values(
            ["agent", "media", "start_s"]).reset_index(drop=True)
        keys = rows[["agent", "media", "code", "reason_key"]].astype("object").fillna(-1)
        same = keys.eq(keys.shift()).all(axis=1) & rows.start_s.eq(rows.end_s.shift())
        group = (~same.fillna(False).astype(bool)).cumsum()
        merged = rows[~group.duplicated(keep="first")].copy()
        merged["end_s"] = rows.end_s[~group.duplicated(keep="last")].to_numpy()
        return merged.reset_index(drop=True), carrier

    def _split_at_etl_cycles(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows closed at every ETL cycle and continued in a new row (3.5); active rows are cut
        up to ``now``, their last piece staying active."""
        cycle = self.etl_cycle_seconds
        now_s = int(pd.Timestamp(self.now).timestamp()) if self.now is not None else 0
        start = rows.start_s.to_numpy("int64")
        until = rows.end_s.fillna(max(now_s, 0)).to_numpy("int64")
        until = np.maximum(until, start + 1)
        pieces = (until - 1) // cycle - start // cycle + 1
        row = np.repeat(np.arange(len(rows)), pieces)
        k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        out = rows.iloc[row].reset_index(drop=True)
        first_cycle = start[row] // cycle
        out["start_s"] = np.where(k == 0, start[row], (first_cycle + k) * cycle)
        last = k == pieces[row] - 1
        out["end_s"] = out.end_s.where(pd.Series(last), pd.Series((first_cycle + k + 1) * cycle))
        self.injected["etl_splits"] = len(out) - len(rows)
        return out

    def _resources(self) -> pd.DataFrame:
        agents = self.simulator.agents
        return pd.DataFrame({
            "RESOURCE_KEY": [a.index + 100 for a in agents], "TENANT_KEY": TENANT,
            "RESOURCE_TYPE": "Agent", "RESOURCE_TYPE_CODE": "AGENT",
            "RESOURCE_NAME": [a.user_name for a in agents],
            "AGENT_FIRST_NAME": [a.user_name.split(".")[0].title() for a in agents],
            "AGENT_LAST_NAME": [a.user_name.split(".")[1].title() for a in agents],
            "EMPLOYEE_ID": [a.external_employee_id for a in agents],
            "EXTERNAL_RESOURCE_ID": [a.agent_id for a in agents]})


def _media() -> pd.DataFrame:
    return pd.DataFrame([(key, name, code) for code, (key, name) in MEDIA.items()],
                        columns=["MEDIA_TYPE_KEY", "MEDIA_NAME", "MEDIA_NAME_CODE"])


NEUTRAL_COLUMNS = ("START_DATE_TIME_KEY", "END_DATE_TIME_KEY", "RESOURCE_KEY",
                   "RESOURCE_STATE_KEY", "RESOURCE_GROUP_COMBINATION_KEY", "TENANT_KEY",
                   "START_TS", "END_TS", "STUCK_FLAG", "CREATE_AUDIT_KEY", "UPDATE_AUDIT_KEY",
                   "ACTIVE_FLAG")


def _respell(activity: str, codes: dict[str, str]) -> str:
    state, _, reason = activity.partition("/")
    return codes[state] + ("/" + reason if reason else "")


def _states(codes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([(key, kind, kind_code, name, codes[code])
                         for code, (key, kind, kind_code, name) in STATES.items()],
                        columns=["RESOURCE_STATE_KEY", "STATE_TYPE", "STATE_TYPE_CODE",
                                 "STATE_NAME", "STATE_NAME_CODE"])


def _reasons() -> pd.DataFrame:
    return pd.DataFrame([(key, TENANT, kind, kind_code, None, software_key, value, mode,
                          mode_code)
                         for key, kind, kind_code, software_key, value, mode, mode_code
                         in REASONS.values()],
                        columns=["RESOURCE_STATE_REASON_KEY", "TENANT_KEY", "REASON_TYPE",
                                 "REASON_TYPE_CODE", "HARDWARE_REASON", "SOFTWARE_REASON_KEY",
                                 "SOFTWARE_REASON_VALUE", "WORKMODE", "WORKMODE_CODE"])
