"""What each vendor is, declared without importing its (heavy) connector module.

The DAG file reads this at parse time; the connector module is imported only inside tasks.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

IDENTIFIER_LABELS = {"user_name": "user name", "email": "e-mail", "agent_id": "agent ID"}


@dataclass(frozen=True)
class VendorSpec:
    name: str
    label: str
    identifier: str  # "user_name" | "email" | "agent_id" (vendors.md 0.1)
    access: str  # "rest" | "report_job" | "sql"
    module: str  # "agent_status.connectors.<module>:<Class>"
    default_lookback_nights: int = 1
    options: dict[str, type | tuple[type, ...]] = field(default_factory=dict)
    reports_local_time: bool = False
    # a vendor whose reports are in one fixed zone whatever the integration says (Five9, 1.4)
    fixed_source_timezone: str | None = None

    def check_options(self, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ValueError(f"unknown option(s) {unknown} for vendor {self.name}; "
                             f"allowed: {sorted(self.options)}")
        for key, value in options.items():
            if not isinstance(value, self.options[key]):
                raise ValueError(f"option {key!r} has the wrong type ({type(value).__name__})")

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
    options={"page_size": int, "users_page_size": int, "window_days": int},
))
register(VendorSpec(
    name="avaya_cms", label="Avaya CMS", identifier="user_name", access="sql",
    module="agent_status.connectors.avaya_cms:AvayaCmsConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={"query": str, "chunk_rows": int, "acd": int},
))
register(VendorSpec(
    name="five9", label="Five9", identifier="user_name", access="report_job",
    module="agent_status.connectors.five9:Five9Connector",
    default_lookback_nights=1, reports_local_time=True,
    fixed_source_timezone="America/Los_Angeles",  # reports in US Pacific time (1.4)
    options={"folder_name": str, "report_name": str, "window_hours": int,
             "min_window_minutes": int, "poll_seconds": (int, float)},
))
register(VendorSpec(
    name="talkdesk", label="Talkdesk", identifier="email", access="report_job",
    module="agent_status.connectors.talkdesk:TalkdeskConnector",
    # records are filtered by end time: a status open at run time appears once it ends (4.6)
    default_lookback_nights=2,
    options={"poll_seconds": (int, float), "max_concurrent_jobs": int, "window_days": int},
))
register(VendorSpec(
    name="ujet", label="UJET", identifier="email", access="rest",
    module="agent_status.connectors.ujet:UjetConnector",
    default_lookback_nights=1,
    options={"per_page": int, "requests_per_second": (int, float), "window_days": int},
))
register(VendorSpec(
    name="vonage", label="Vonage Contact Center", identifier="agent_id", access="rest",
    module="agent_status.connectors.vonage:VonageConnector",
    # states near the end of a window can change later (8.6)
    default_lookback_nights=2,
    options={"page_size": int, "window_days": int, "include": str},
))
register(VendorSpec(
    name="genesys_engage", label="Genesys Engage (Info Mart)", identifier="user_name",
    access="sql", module="agent_status.connectors.genesys_engage:GenesysEngageConnector",
    default_lookback_nights=1,
    options={"query": str, "chunk_rows": int, "user_name_column": str,
             "media_priority": list},
))
register(VendorSpec(
    name="mitel", label="Mitel MiVoice Business (MiCC-B CCMData)", identifier="user_name",
    access="sql", module="agent_status.connectors.mitel:MitelConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={"query": str, "chunk_rows": int},
))
register(VendorSpec(
    name="sikom", label="Sikom", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:SikomConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={"query": str, "chunk_rows": int},
))
register(VendorSpec(
    name="generic_sql", label="Generic SQL source", identifier="user_name", access="sql",
    module="agent_status.connectors.generic_sql:GenericSqlConnector",
    default_lookback_nights=1, reports_local_time=True,
    options={"query": str, "chunk_rows": int},
))
