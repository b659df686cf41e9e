"""A deterministic contact-center simulator: the ground truth every sandbox renders.

The truth is a set of status segments per agent in UTC, whole seconds. It is a pure function
of (seed, agent, local date): any interval can be asked for, in any order, and the answer is the
same, so a sandbox can serve any night and a test can reconcile any night.

Canonical states: ``ready``, ``on_call``, ``wrap_up``, ``break``, ``lunch``, ``meeting`` and
``logged_out`` (between shifts). Each sandbox maps them to its vendor's own vocabulary.
Some agents work night shifts (22:00 to 06:00 local), so statuses cross midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

STATES = ("ready", "on_call", "wrap_up", "break", "lunch", "meeting", "logged_out")

_FIRST = ["amelie", "bruno", "chloe", "david", "emma", "farid", "gina", "hugo", "ines", "jules",
          "karim", "lea", "marc", "nina", "omar", "paula", "quentin", "rosa", "sami", "tina",
          "ugo", "vera", "walid", "xena", "yann", "zoe"]
_LAST = ["durand", "martin", "bernard", "petit", "robert", "richard", "moreau", "simon",
         "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent"]


@dataclass(frozen=True)
class Agent:
    index: int
    user_name: str  # Five9, Genesys, Sikom, Mitel, Avaya identify agents by user name
    email: str  # Talkdesk, UJET
    agent_id: str  # Vonage
    employee_id: str  # the WFM employee
    external_employee_id: str  # "the employee's ID in the external system" (matricule)
    night_shift: bool

    def identifier(self, kind: str) -> str:
        return {"user_name": self.user_name, "email": self.email, "agent_id": self.agent_id}[kind]


@dataclass(frozen=True)
class Simulator:
    seed: int = 7
    agent_count: int = 24
    timezone: str = "Europe/Paris"

    @cached_property
    def agents(self) -> list[Agent]:
        agents = []
        for i in range(self.agent_count):
            first = _FIRST[i % len(_FIRST)]
            last = _LAST[(i // len(_FIRST) + i) % len(_LAST)]
            suffix = "" if i < len(_FIRST) else str(i // len(_FIRST))
            user = f"{first}.{last}{suffix}"
            agents.append(Agent(
                index=i, user_name=user, email=f"{user}@contoso-cc.example",
                agent_id=str(40100 + i), employee_id=f"E{1000 + i}",
                external_employee_id=f"M{7000 + i}", night_shift=(i % 5 == 4),
            ))
        return agents

    # -- truth ------------------------------------------------------------------------------

    def segments(self, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None,
                 agents: list[Agent] | None = None) -> pd.DataFrame:
        """Every segment overlapping ``[start, end)``, unclipped, ordered by agent and start.

        With ``now``, the world is seen as at that instant: segments starting at or after it do
        not exist yet and a segment running through it is open (``end_utc`` NaT).
        """
        tz = ZoneInfo(self.timezone)
        first_day = start.astimezone(tz).date() - dt.timedelta(days=5)
        last_day = end.astimezone(tz).date() + dt.timedelta(days=4)  # next shift: <= 3 days
        frames = [self._agent_segments(agent, first_day, last_day)
                  for agent in (agents if agents is not None else self.agents)]
        truth = pd.concat(frames, ignore_index=True) if frames else _empty()
        start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
        truth = truth[(truth.end_utc > start_ts) & (truth.start_utc < end_ts)]
        if now is not None:
            now_ts = pd.Timestamp(now)
            truth = truth[truth.start_utc < now_ts].copy()
            truth.loc[truth.end_utc > now_ts, "end_utc"] = pd.NaT
        return truth.reset_index(drop=True)

    def _agent_segments(self, agent: Agent, first_day: dt.date, last_day: dt.date) -> pd.DataFrame:
        shifts = []
        day = first_day
        while day <= last_day:
            shift = self._shift(agent, day)
            if shift is not None:
                shifts.append(shift)
            day += dt.timedelta(days=1)
        parts = []
        for previous, shift in zip([None] + shifts[:-1], shifts):
            if previous is not None:
                gap_start = previous.end_utc.iloc[-1]
                parts.append(pd.DataFrame({"state": ["logged_out"], "start_utc": [gap_start],
                                           "end_utc": [shift.start_utc.iloc[0]]}))
            parts.append(shift)
        if not parts:
            return _empty()
        frame = pd.concat(parts, ignore_index=True)
        frame.insert(0, "agent", agent.index)
        return frame

    def _shift(self, agent: Agent, day: dt.date) -> pd.DataFrame | None:
        rng = np.random.default_rng([self.seed, agent.index, day.toordinal()])
        # two fixed days off a week per agent, never more than two in a row
        if day.weekday() in ((agent.index % 7), ((agent.index + 1) % 7)):
            return None
        tz = ZoneInfo(self.timezone)
        if agent.night_shift:
            login_local = dt.datetime.combine(day, dt.time(22, 0)) + dt.timedelta(
                seconds=int(rng.integers(0, 600)))
        else:
            login_local = dt.datetime.combine(day, dt.time(7, 0)) + dt.timedelta(
                minutes=15 * int(rng.integers(0, 12)), seconds=int(rng.integers(0, 300)))
        login = _local_to_utc(login_local, tz)
        shift_seconds = 8 * 3600 + int(rng.integers(0, 1800))
        # planned pauses: (offset from login, state, duration)
        pauses = [(2 * 3600, "break", 900), (4 * 3600, "lunch", 1800 + int(rng.integers(0, 600))),
                  (6 * 3600 + 900, "break", 900)]
        if rng.random() < 0.4:
            pauses.insert(1, (3 * 3600, "meeting", 1800))
        states, durations = [], []
        elapsed = 0
        pause_iter = iter(pauses)
        next_pause = next(pause_iter, None)
        while elapsed < shift_seconds:
            if next_pause is not None and elapsed >= next_pause[0]:
                _, state, seconds = next_pause
                states.append(state)
                durations.append(seconds)
                elapsed += seconds
                next_pause = next(pause_iter, None)
                continue
            for state, mean, low in (("ready", 90, 5), ("on_call", 280, 20), ("wrap_up", 40, 5)):
                seconds = low + int(rng.exponential(mean))
                states.append(state)
                durations.append(seconds)
                elapsed += seconds
        starts = login + pd.to_timedelta(np.concatenate([[0], np.cumsum(durations)[:-1]]), unit="s")
        ends = login + pd.to_timedelta(np.cumsum(durations), unit="s")
        frame = pd.DataFrame({"state": states, "start_utc": starts, "end_utc": ends})
        for column in ("start_utc", "end_utc"):
            frame[column] = frame[column].astype("datetime64[us, UTC]")
        return frame


def _local_to_utc(local: dt.datetime, tz: ZoneInfo) -> pd.Timestamp:
    return pd.Timestamp(local.replace(tzinfo=tz).astimezone(dt.timezone.utc))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"agent": pd.Series([], dtype="int64"), "state": pd.Series([], dtype=object),
                         "start_utc": pd.Series([], dtype="datetime64[us, UTC]"),
                         "end_utc": pd.Series([], dtype="datetime64[us, UTC]")})


def clip(truth: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Truth clipped to ``[start, end)``: what one night must contain. Open ends stop at ``end``."""
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    out = truth.copy()
    out["is_open"] = out.end_utc.isna()
    out["end_utc"] = out.end_utc.fillna(end_ts).clip(upper=end_ts)
    out["start_utc"] = out.start_utc.clip(lower=start_ts)
    out = out[out.end_utc > out.start_utc]
    out["duration_seconds"] = (out.end_utc - out.start_utc).dt.total_seconds()
    return out.reset_index(drop=True)
