"""What each vendor is, declared without importing its (heavy) connector module.

The DAG file reads this at parse time; the connector module is imported only inside tasks.
Each option is declared once (type, default, range, choices, description) and checked when the
integrations file loads, so a bad option fails the DAG file naming file, integration and field.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

IDENTIFIER_LABELS = {"user_name": "user name", "email": "e-mail", "agent_id": "agent ID"}
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", list: "a list",
               bool: "true or false", dict: "a mapping"}


@dataclass(frozen=True)
class Option:
    """One vendor option: its type, default, bounds or choices, and what it means."""

    type: type | tuple[type, ...]
    default: Any = None
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    required: bool = False

    def check(self, key: str, value: Any) -> None:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        # YAML gives ints for whole numbers; a bool is never a number here
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise ValueError(f"option {key!r} must be {wanted}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"option {key!r} must be one of {list(self.choices)}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"option {key!r} must be at least {self.minimum}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"option {key!r} must be at most {self.maximum}, got {value!r}")
        if isinstance(value, str) and self.required and not value.strip():
            raise ValueError(f"option {key!r} must not be empty")


@dataclass(frozen=True)
class VendorSpec:
    name: str
    label: str
    identifier: str  # "user_name" | "email" | "agent_id" (vendors.md 0.1)
    access: str  # "rest" | "report_job" | "sql"
    module: str  # "agent_status.connectors.<module>:<Class>"
    default_lookback_nights: int = 1
    options: dict[str, Option] = field(default_factory=dict)
    reports_local_time: bool = False
    # a vendor whose reports are in one fixed zone whatever the integration says (Five9, 1.4)
    fixed_source_timezone: str | None = None

    def check_options(self, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for vendor {self.name}; "
                             f"allowed: {sorted(self.options)}")
        for key, option in self.options.items():
            if options.get(key) is None:
                if option.required:
                    raise ValueError(f"option {key!r} is required for vendor {self.name}"
                                     + (f": {option.description}" if option.description else ""))
                continue
            option.check(key, options[key])

    def resolve_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The integration's options with every declared default filled in."""
        resolved = {key: option.default for key, option in self.options.items()}
        resolved.update({key: value for key, value in options.items() if value is not None})
        return resolved

    def connector_class(self):
        module_name, class_name = self.module.split(":")
        return getattr(importlib.import_module(module_name), class_name)


VENDORS: dict[str, VendorSpec] = {}


def register(spec: VendorSpec) -> VendorSpec:
    VENDORS[spec.name] = spec
    return spec


register(VendorSpec(
    name="genesys_cloud", label="Genesys Cloud", identifier="user_name", access="rest",
    module="agent_status.connectors.genesys_cloud:GenesysCloudConnector",
    # Genesys reprocesses data at least 48 h old (vendors.md 2.6): re-read three nights
    default_lookback_nights=3,
    options={
        # 100 as rohit554/Work (2.3)
        "page_size": Option(int, 100, "users per details-query page", 1, 100),
        "users_page_size": Option(int, 500, "users per GET /api/v2/users page", 1, 500),
        # at most 7 days without filters (2.3)
        "window_days": Option(int, 7, "days per details query", 1, 7),
        # totalHits is approximate (2.3): paging ending this far short of it, or running this
        # far past it, fails the night (issue 9); 1 disables the shortfall check
        "total_hits_tolerance": Option((int, float), 0.1, "allowed error of totalHits", 0, 1),
        "max_pages": Option(int, 10_000, "page cap when the answer has no total", 1),
    },
))
register(VendorSpec(
    name="avaya_cms", label="Avaya CMS", identifier="user_name", access="sql",
    module="agent_status.connectors.avaya_cms:AvayaCmsConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning the agent trace (include/sql/vendors)"),
        "chunk_rows": Option(int, 200_000, "rows read per chunk", 1),
        "acd": Option(int, 1, "the CMS ACD number", 1),
    },
))
register(VendorSpec(
    name="five9", label="Five9", identifier="user_name", access="report_job",
    module="agent_status.connectors.five9:Five9Connector",
    default_lookback_nights=1, reports_local_time=True,
    fixed_source_timezone="America/Los_Angeles",  # reports in US Pacific time (1.4)
    options={
        "folder_name": Option(str, "Agent Reports", "report folder"),
        "report_name": Option(str, "Agent State Details", "report with one row per state"),
        "window_hours": Option(int, 24, "hours per report run", 1, 24),
        "min_window_minutes": Option(int, 15, "smallest window when splitting at the row cap", 1),
        "poll_seconds": Option((int, float), 1.0, "isReportRunning timeout", 0, 300),
    },
))
register(VendorSpec(
    name="talkdesk", label="Talkdesk", identifier="email", access="report_job",
    module="agent_status.connectors.talkdesk:TalkdeskConnector",
    # records are filtered by end time: a status open at run time appears once it ends (4.6)
    default_lookback_nights=2,
    options={
        "poll_seconds": Option((int, float), 5.0, "seconds between job-status calls", 0, 300),
        # 15 simultaneous reports per account (engineering-notes A.2)
        "max_concurrent_jobs": Option(int, 15, "report jobs at once", 1, 15),
        "window_days": Option(int, 31, "days per report job", 1, 31),  # a month (4.3)
    },
))
register(VendorSpec(
    name="ujet", label="UJET", identifier="email", access="rest",
    module="agent_status.connectors.ujet:UjetConnector",
    default_lookback_nights=1,
    options={
        "per_page": Option(int, 100, "records per page", 1, 1000),  # UJET's default (5.3)
        "requests_per_second": Option((int, float), 10, "request budget", 0.1, 10),  # 5.3
        "window_days": Option(int, 1, "days per started_at window", 1, 60),
    },
))
register(VendorSpec(
    name="vonage", label="Vonage Contact Center", identifier="agent_id", access="rest",
    module="agent_status.connectors.vonage:VonageConnector",
    # states near the end of a window can change later (8.6)
    default_lookback_nights=2,
    options={
        "page_size": Option(int, 5000, "items per page (limit)", 1, 5000),  # sample's (8.2)
        "window_days": Option(int, 31, "days per request", 1, 31),  # 8.3
        "include": Option(str, "Started", "which states a window finds",
                          choices=("Started", "StartedOrEnded", "Processed")),  # 8.3
        "max_pages": Option(int, 10_000, "page cap when an answer has no totalCount", 1),
    },
))
register(VendorSpec(
    name="genesys_engage", label="Genesys Engage (Info Mart)", identifier="user_name",
    access="sql", module="agent_status.connectors.genesys_engage:GenesysEngageConnector",
    default_lookback_nights=1,
    options={
        "query": Option(str, None, "SQL over the Info Mart (include/sql/vendors)"),
        "chunk_rows": Option(int, 200_000, "rows read per chunk", 1),
        "user_name_column": Option(str, "RESOURCE_NAME", "RESOURCE_ column with the user name"),
        # who collapses the media into one state (3.1, 3.4): GIM's SM_MEDIA_NEUTRAL_STATE_FACT
        # under its own configured priority, or media_priority here
        "source": Option(str, "media_neutral", "media-neutral states from GIM, or per media",
                         choices=("media_neutral", "per_media")),
        "media_priority": Option(list, None, "source per_media: every STATE_NAME_CODE, highest "
                                 "priority first (default ACW, NOT_READY, BUSY, READY)"),
    },
))
register(VendorSpec(
    name="mitel", label="Mitel MiVoice Business (MiCC-B CCMData)", identifier="user_name",
    access="sql", module="agent_status.connectors.mitel:MitelConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning the agent states (include/sql/vendors)"),
        "chunk_rows": Option(int, 200_000, "rows read per chunk", 1),
    },
))
register(VendorSpec(
    name="sikom", label="Sikom", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:SikomConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning the agent states (include/sql/vendors)"),
        "chunk_rows": Option(int, 200_000, "rows read per chunk", 1),
    },
))
register(VendorSpec(
    name="generic_sql", label="Generic SQL source", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:GenericSqlConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={
        "query": Option(str, None, "SQL returning agentidentifier, starttime, endtime, activity "
                       "(include/sql/vendors/generic_sql.sql)", required=True),
        "chunk_rows": Option(int, 200_000, "rows read per chunk", 1),
    },
))
