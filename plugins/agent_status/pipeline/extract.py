"""Extract: a run's raw events from the vendor, staged as one Parquet file (staging.py).

The run reads its nights (its own and the lookback) in one window. A vendor that selects
records by their END time (``VendorSpec.selects_by``, Talkdesk 4.3) hands over a long status
only once it has ended, perhaps nights after it started. When a record starts before the run's
first night, the run reaches back to the night where it starts and reads those older nights
again (their other records had ended and come before), so transform and load replace each of
them whole, as any night: exact and idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from agent_status.config import Integration
from agent_status.frames import empty_raw_events
from agent_status.nights import Night, nights_before
from agent_status.staging import ParquetAppender

if TYPE_CHECKING:
    from agent_status.connectors.base import Connector

log = logging.getLogger(__name__)


def extract(connector: Connector, integration: Integration, nights: list[Night],
            raw_path: Path) -> tuple[list[Night], int]:
    """Stage at ``raw_path`` what ``connector`` reads over ``nights`` (oldest first), and over
    the older nights a record ending in them started on; returns the nights staged, oldest
    first, and the number of raw events. A failed read leaves no file at ``raw_path``."""
    from agent_status.connectors.registry import VENDORS

    with ParquetAppender(raw_path, empty_raw_events()) as staged:
        earliest = _stage(connector, staged, nights[0].start_utc, nights[-1].end_utc)
        if VENDORS[integration.vendor].selects_by == "end_time" and earliest is not None:
            older = nights_before(integration, earliest.to_pydatetime(), nights[0])
            if older:
                log.info("%s: a record ending in this run started on night %s: nights %s..%s "
                         "are read and replaced again", integration.name, older[0].label,
                         older[0].label, older[-1].label)
                _stage(connector, staged, older[0].start_utc, nights[0].start_utc)
                nights = older + nights
    return nights, staged.rows


def _stage(connector: Connector, staged: ParquetAppender, start: dt.datetime,
           end: dt.datetime) -> pd.Timestamp | None:
    """Append the vendor's records for ``[start, end)``; the earliest start among them."""
    earliest = None
    for chunk in connector.extract(start, end):
        staged.append(chunk)
        if len(chunk):
            first = chunk.start_utc.min()
            earliest = first if earliest is None else min(earliest, first)
    return earliest
