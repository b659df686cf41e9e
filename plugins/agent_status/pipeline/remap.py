"""Vendor activities -> WFM activities, per integration; unmapped -> 1 "Present", class 1."""

from __future__ import annotations

import pandas as pd

from agent_status.pipeline.quarantine import lookup_column

PRESENT_ACTIVITY_ID = 1
DEFAULT_CLASSIFICATION = 1


def remap(events: pd.DataFrame, activity_mappings: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Adds ``activity_id`` and ``classification``; returns the frame and how many events fell
    back to Present. ``activity_mappings`` has vendor_activity_id, activity_id, classification."""
    mapping = activity_mappings[["vendor_activity_id", "activity_id", "classification"]] \
        .drop_duplicates("vendor_activity_id")
    out = events.drop(columns=["activity_id", "classification"], errors="ignore") \
        .reset_index(drop=True)
    for column in ("activity_id", "classification"):  # a left merge's columns
        out[column] = lookup_column(events.vendor_activity_id, mapping.vendor_activity_id,
                                    mapping[column])
    defaulted = int(out.activity_id.isna().sum())
    out["activity_id"] = out.activity_id.fillna(PRESENT_ACTIVITY_ID).astype("int64")
    out["classification"] = out.classification.fillna(DEFAULT_CLASSIFICATION).astype("int64")
    return out, defaulted
