"""Shared test helpers: integrations files, mappings from the simulator, reconciliation."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import yaml

from agent_status_dev.simulator import clip


def write_integrations(path: Path, integrations: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"integrations": integrations}, sort_keys=False))
    os.environ["AGENT_STATUS_INTEGRATIONS"] = str(path)
    return path


def employee_frame(sandbox, skip: set[int] = frozenset(), alter: dict[int, str] | None = None):
    rows = []
    for agent in sandbox.simulator.agents:
        if agent.index in skip:
            continue
        identifier = (alter or {}).get(agent.index, agent.identifier(sandbox.identifier))
        rows.append({"employee_id": agent.employee_id,
                     "external_employee_id": agent.external_employee_id,
                     "external_user_id": identifier})
    return pd.DataFrame(rows)


def expected_night(sandbox, night) -> pd.DataFrame:
    """What one night must hold: the vendor-labelled truth clipped to the night."""
    expected = sandbox.expected(night.start_utc, night.end_utc)
    return clip(expected, night.start_utc, night.end_utc)


def seconds_per_agent_activity(frame: pd.DataFrame) -> dict:
    grouped = frame.groupby(["external_user_id", "vendor_activity_id"]).duration_seconds.sum()
    return {key: round(float(value), 3) for key, value in grouped.items()}


def as_utc(value) -> dt.datetime:
    return pd.Timestamp(value).tz_convert("UTC") if pd.Timestamp(value).tzinfo else \
        pd.Timestamp(value).tz_localize("UTC")
