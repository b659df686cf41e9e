"""The package as an Airflow provider: one connection type per vendor family, with labelled
fields, and a Test button that runs ``agent-status check``'s connection test.

Declared (entry point ``apache_airflow_provider``), so the UI builds the forms from this data
without importing any hook; the hook (``agent_status.hooks``) is imported only when a
connection is used or tested. The Test button is off in Airflow by default: set
``AIRFLOW__CORE__TEST_CONNECTION=Enabled`` (the Makefile does, for the local UI).
"""

from __future__ import annotations

from typing import Any


def _text(label: str, description: str, default: str | None = None,
          enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if default is not None:
        schema["default"] = default
    if enum:
        schema["enum"] = enum
    return {"label": label, "description": description, "schema": schema}


# connection type -> (display name, fields kept in the extra, form behaviour); which vendors
# use it, each vendor declares (VendorSpec.connection_type, agent_status/vendors/)
# the extras are the names the connectors read (connectors/<vendor>.py, vendors.md 1.2-8.2);
# the token URL is "auth_url": Airflow's UI masks any extra whose name contains "token"
FAMILIES: dict[str, dict[str, Any]] = {
    "agent_status_genesys_cloud": {
        "hook-name": "Genesys Cloud (agent status)",
        "conn-fields": {
            "region": _text("Region", "Genesys Cloud region domain: the token comes from "
                            "login.<region>, the API is api.<region> (vendors.md 2.2)",
                            "mypurecloud.com"),
            "auth_url": _text("Token URL", "Only if not derived from the region"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["port", "schema"],
            "relabeling": {"login": "OAuth client id", "password": "OAuth client secret",
                           "host": "API base URL (optional; default api.<region>)"},
            "placeholders": {"host": "https://api.mypurecloud.de"},
        },
    },
    "agent_status_five9": {
        "hook-name": "Five9 (agent status)",
        "conn-fields": {
            "region": _text("Data center", "us, uk, ca or eu: the Web Services host and the "
                            "time zone of its reports (vendors.md 1.2, 1.4)", "us",
                            ["us", "uk", "ca", "eu"]),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["port", "schema"],
            "relabeling": {"login": "Five9 user (Administrator + Reporting roles)",
                           "password": "Password",
                           "host": "Web Services host (optional; default by data center)"},
            "placeholders": {"host": "api.five9.eu"},
        },
    },
    "agent_status_talkdesk": {
        "hook-name": "Talkdesk (agent status)",
        "conn-fields": {
            "account": _text("Account name", "Your Talkdesk account: the token comes from "
                             "https://<account>.talkdeskid.com (vendors.md 4.2)"),
            "region": _text("Region", "us, eu or ca", "us", ["us", "eu", "ca"]),
            "auth_url": _text("Token URL", "Only if not derived from account and region"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["port", "schema"],
            "relabeling": {"login": "OAuth client id (client credentials)",
                           "password": "OAuth client secret",
                           "host": "API base URL (optional; default by region)"},
            "placeholders": {"host": "https://api.talkdeskapp.eu"},
        },
    },
    "agent_status_ujet": {
        "hook-name": "UJET / CCAI Platform (agent status)",
        "conn-fields": {},
        "ui-field-behaviour": {
            "hidden-fields": ["port", "schema"],
            "relabeling": {"host": "Tenant URL", "login": "Company key (or subdomain)",
                           "password": "Company secret code (or API token)"},
            "placeholders": {"host": "https://acme.uc1.ccaiplatform.com"},
        },
    },
    "agent_status_vonage": {
        "hook-name": "Vonage Contact Center (agent status)",
        "conn-fields": {
            "region": _text("Region", "emea, nam or apac (vendors.md 8.2)", "emea",
                            ["emea", "nam", "apac"]),
            "auth_url": _text("Token URL", "Only if not derived from the region"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["port", "schema"],
            "relabeling": {"login": "API client id (scope stats)", "password": "Client secret",
                           "host": "API base URL (optional; default by region)"},
            "placeholders": {"host": "https://emea.api.newvoicemedia.com"},
        },
    },
    "agent_status_acd_database": {
        "hook-name": "ACD database: Avaya CMS, Genesys Info Mart, Mitel CCMData, Sikom, "
                     "generic SQL (agent status)",
        "conn-fields": {
            "sqlalchemy_url": _text(
                "Database URL", "A SQLAlchemy URL without the password, e.g. "
                "mssql+pyodbc://wfm@ccm-host:1433/CCMData?driver=ODBC+Driver+18+for+SQL+Server "
                "or ibm_db_sa://wfm@cms-host:9089/cms (Avaya CMS on Informix, extra "
                "[informix]); the password field is used"),
            "timezone": _text(
                "Database time zone", "IANA zone the ACD stores local times in (Avaya CMS, "
                "Mitel, Sikom, generic SQL), e.g. Europe/Oslo; an integration's "
                "source_timezone wins over it (vendors.md 7.3, 9.4)"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "port", "schema"],
            "relabeling": {"login": "Database user (read-only)", "password": "Password"},
            "placeholders": {},
        },
    },
}


def get_provider_info() -> dict[str, Any]:
    from agent_status import __version__

    return {
        "package-name": "agent-status",
        "name": "agent-status",
        "description": "Nightly import of contact-center agent status history (nine ACDs) "
                       "into a warehouse.",
        "versions": [__version__],
        "connection-types": [
            {"connection-type": conn_type, "hook-class-name": "agent_status.hooks."
             + _hook_class_name(conn_type), "hook-name": family["hook-name"],
             "conn-fields": family["conn-fields"],
             "ui-field-behaviour": family["ui-field-behaviour"]}
            for conn_type, family in FAMILIES.items()],
    }


def _hook_class_name(conn_type: str) -> str:
    words = conn_type.removeprefix("agent_status_").split("_")
    return "".join(w.capitalize() for w in words) + "Hook"


def family_of(vendor: str) -> str:
    """The connection type a vendor's connection should have."""
    from agent_status.connectors.registry import VENDORS

    return VENDORS[vendor].connection_type


def vendors_of(conn_type: str) -> list[str]:
    """The vendors whose connections are of this type."""
    from agent_status.connectors.registry import VENDORS

    return sorted(name for name, spec in VENDORS.items() if spec.connection_type == conn_type)
