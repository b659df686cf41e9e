"""Transform: one night of staged raw events -> the events to load, the quarantine and the
night's checks, through the steps in order: normalise, quarantine (split_unmapped), validate,
remap. One night is in memory at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from agent_status.config import Integration
from agent_status.nights import Night
from agent_status.pipeline.normalise import normalise, read_night
from agent_status.pipeline.quarantine import split_unmapped
from agent_status.pipeline.remap import remap
from agent_status.pipeline.validate import (
    COVERAGE_COLUMNS, NIGHT_SUITE_COLUMNS, ValidationReport, validate_night)


@dataclass
class TransformedNight:
    events: pd.DataFrame  # mapped to employees and WFM activities
    quarantined: pd.DataFrame  # identifiers without an employee, with hints
    checks: ValidationReport  # the night's suite
    counts: dict[str, int]  # what the ledger records for the night


def transform_night(raw_path: str | Path, night: Night, integration: Integration,
                    overlap_rule: str, employees: pd.DataFrame,
                    activities: pd.DataFrame) -> TransformedNight:
    """The night's segments, split by whether their identifier maps, checked, remapped. A
    structural break (an end before its start, a time outside the night) fails the night
    before anything loads; mapping coverage only grades it (quality.py)."""
    raw = read_night(raw_path, night, overlap_rule)
    segments = normalise(raw, night, overlap_rule)
    del raw  # before the night's other frames are built
    mapped, quarantined = split_unmapped(segments, employees)
    extracted = len(segments)
    del segments  # each frame let go once the next is built: a night's peak is two of them
    checks = validate_night(night_rows(mapped, quarantined), integration.name, night,
                            integration.quality, set(activities.vendor_activity_id))
    structural = [r for r in checks.failed() if r["column"] not in COVERAGE_COLUMNS]
    if structural:
        raise ValueError(f"{integration.name} night {night.label}: validation failed: "
                         f"{structural}")
    events, defaulted = remap(mapped, activities)
    del mapped
    return TransformedNight(events, quarantined, checks, {
        "events_extracted": extracted, "events_loaded": len(events),
        "events_quarantined": len(quarantined), "events_defaulted": defaulted})


def night_rows(mapped: pd.DataFrame, quarantined: pd.DataFrame) -> pd.DataFrame:
    """The night's segments as the night suite reads them: the employee join's result (an
    unmapped identifier has no employee), with only the columns it checks (a copy of every
    column of a million rows for four was a night's peak, issue 10)."""
    return pd.concat([mapped[NIGHT_SUITE_COLUMNS], quarantined[NIGHT_SUITE_COLUMNS[1:]].assign(
        employee_id=None)[NIGHT_SUITE_COLUMNS]], ignore_index=True)
