"""Which integrations need attention, and why, where ops look first: the Airflow DAG list.

The DAG list shows a DAG's name, tags, schedule and last runs; nothing a run writes reaches it
(run notes and asset extras are one click further). So the quality task, after each run, writes
``<staging>/attention/<integration>.json`` with the reasons its nights need attention, and the
DAG file turns them into tags when it is parsed: ``needs attention`` (one tag to filter the whole
list on) and one tag naming the reasons (``quality failed, unmapped agents, unmapped
activities``). The DAG list's cards show three tags (more behind "+N more"): with the product's
own ``agent-status`` tag these are the three, so each card shows which and why at a glance (the
vendor is in the display name). Reading one small local file is not a query: parsing stays light and works with the
warehouse down. The staging folder is already shared by every component (tasks hand each other
their Parquet files there), so the DAG processor reads what a worker wrote. The details (which
identifiers, with hints) are on the Mapping status tab the DAG docs link to.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from agent_status.staging import staging_root, write_json

log = logging.getLogger(__name__)

NEEDS_ATTENTION = "needs attention"
UNMAPPED_AGENTS = "unmapped agents"
UNMAPPED_ACTIVITIES = "unmapped activities"
QUALITY_FAILED = "quality failed"
REASONS = (QUALITY_FAILED, UNMAPPED_AGENTS, UNMAPPED_ACTIVITIES)  # the order tags are shown in


def attention_file(integration: str) -> Path:
    return staging_root() / "attention" / f"{integration}.json"


def reasons_of(summary: dict, verdicts: list[dict]) -> list[str]:
    """The reasons a run's nights need attention: quarantined events (agents without an
    employee), events defaulted to Present (vendor activities without a mapping), a night
    below its quality threshold."""
    found = set()
    for item in summary.get("nights", []):
        if int(item.get("events_quarantined") or 0):
            found.add(UNMAPPED_AGENTS)
        if int(item.get("events_defaulted") or 0):
            found.add(UNMAPPED_ACTIVITIES)
    if any(verdict.get("level") == "failed" for verdict in verdicts):
        found.add(QUALITY_FAILED)
    return [reason for reason in REASONS if reason in found]


def record(integration: str, run_id: str, summary: dict, verdicts: list[dict]) -> list[str]:
    """Write the run's reasons (none: the integration is healthy again); returns them."""
    reasons = reasons_of(summary, verdicts)
    path = attention_file(integration)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"integration": integration, "run_id": run_id,  # whole: a parse never
                      "nights": [str(n.get("night")) for n in summary.get("nights", [])],
                      "reasons": reasons})  # reads half a file
    return reasons


def tags(integration: str) -> list[str]:
    """The DAG's attention tags from the last run's file; none when there is no file yet. A
    file that cannot be read is logged and ignored: it must never break the DAG file."""
    path = attention_file(integration)
    try:
        reasons = json.loads(path.read_text()).get("reasons", [])
    except FileNotFoundError:
        return []
    except (OSError, ValueError, AttributeError) as error:
        log.warning("%s: attention file %s is unreadable (%s); no attention tags", integration,
                    path, error)
        return []
    known = [reason for reason in REASONS if reason in reasons]
    return [NEEDS_ATTENTION, ", ".join(known)] if known else []
