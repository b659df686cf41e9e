"""What each vendor is, declared without importing its (heavy) connector module.

The DAG file reads this at parse time; the connector module is imported only inside tasks.
Each option is declared once (type, default, range, choices, description) and checked when the
integrations file loads, so a bad option fails the DAG file naming file, integration and field.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
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
    # a vendor whose options decide the zone of its local times (Five9: the data center, 1.4):
    # resolved options -> zone; an integration's source_timezone still overrides it
    options_timezone: Callable[[dict[str, Any]], str] | None = None
    # which records a query for [start, end) returns: those overlapping it ("overlap"), or
    # those ENDING in it ("end_time", Talkdesk 4.3): a record that ends late reaches every
    # earlier night it covers through tasks.extract, which reads those nights again
    selects_by: str = "overlap"

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

    def timezone_from_options(self, options: dict[str, Any]) -> str | None:
        """The zone the vendor's options give its local times, if they decide it."""
        if self.options_timezone is None:
            return None
        return self.options_timezone(self.resolve_options(options))

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
        # 9.3: AG_ACTV.EVENT_TIME in a public importer schema; older guesses read STARTTIME
        "time_column": Option(str, "EVENT_TIME", "trace column with the local time of the "
                              "state change"),
        # 9.3: "hour, minute, and second format" (importer schema); not confirmed by Avaya
        "time_encoding": Option(str, "hhmmss", "how the time column counts: HHMMSS, HHMM or "
                                "seconds since midnight", choices=("hhmmss", "hhmm", "seconds")),
        "sequence_column": Option(str, "WMODE_SEQ", "trace column ordering events of the same "
                                  "second ('' if the trace has none)"),
        # 9.2: only 1-4 are published; e.g. {5: OTHER}
        "workmode_codes": Option(dict, None, "more numeric WORKMODE codes -> work mode names"),
    },
))
register(VendorSpec(
    name="five9", label="Five9", identifier="user_name", access="report_job",
    module="agent_status.connectors.five9:Five9Connector",
    default_lookback_nights=1, reports_local_time=True,
    # report times are in the data center's zone (1.4): US Pacific per Five9's docs; UK, CA and
    # EU as Matatika's tap localises them (contested: set source_timezone if yours differ)
    options_timezone=lambda options: {"us": "America/Los_Angeles", "uk": "Europe/London",
                                      "ca": "America/Vancouver",
                                      "eu": "Europe/Berlin"}[options["data_center"]],
    options={
        "data_center": Option(str, "us", "the domain's data center (1.2): its host when the "
                              "connection has none, and the zone of report times (1.4)",
                              choices=("us", "uk", "ca", "eu")),
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
    default_lookback_nights=2, selects_by="end_time",
    options={
        "poll_seconds": Option((int, float), 5.0, "seconds between job-status calls", 0, 300),
        # 15 simultaneous reports per account (engineering-notes A.2)
        "max_concurrent_jobs": Option(int, 15, "report jobs at once", 1, 15),
        "window_days": Option(int, 31, "days per report job", 1, 31),  # a month (4.3)
        # also bounds the wait on a status outside the documented list, e.g. sending (4.3)
        "job_timeout_seconds": Option((int, float), 1800, "seconds from a job's creation to "
                                      "its download", 1, 86400),
    },
))
register(VendorSpec(
    name="ujet", label="UJET", identifier="email", access="rest",
    module="agent_status.connectors.ujet:UjetConnector",
    default_lookback_nights=1,
    options={
        # UJET's default and maximum: a larger per is reduced to 100 (5.3)
        "per_page": Option(int, 100, "records per page", 1, 100),
        # deep paging is discouraged (5.3, 5.6): a window needing more pages fails
        "max_pages": Option(int, 1000, "pages read per started_at window before failing", 1),
        "requests_per_second": Option((int, float), 10, "request budget", 0.1, 10),  # 5.3
        "window_days": Option(int, 1, "days per started_at window", 1, 60),
        # records are found by start (5.3): a status begun earlier than this before the night
        # is not read; an agent whose first status read is inside the night is warned about
        "look_behind_days": Option((int, float), 3, "days read before the night to find the "
                                   "statuses running into it", 0, 31),
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
        # 7.1: CCMData publishes no event-level agent state table: the site's query is required
        "query": Option(str, None, "SQL returning user_name, agent_reporting, state, "
                        "reason_code, start_local, duration (include/sql/vendors/mitel.sql)",
                        required=True),
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
