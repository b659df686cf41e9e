"""The package as an Airflow provider: one connection type per vendor family, with labelled
fields, and a Test button that runs ``agent-status check``'s connection test.

Declared (entry point ``apache_airflow_provider``), so the UI builds the forms from this data
without importing any hook; the hook (``agent_status.hooks``) is imported only when a
connection is used or tested. Each vendor declares its form (``VendorSpec.connection``, a
``ConnectionForm`` in ``agent_status/vendors/<name>.py``; the SQL vendors share
``registry.ACD_DATABASE``): ``FAMILIES`` and the hooks are made from the declarations, which
import no connector code. The Test button is off in Airflow by default: set
``AIRFLOW__CORE__TEST_CONNECTION=Enabled`` (the Makefile does, for the local UI).
"""

from __future__ import annotations

from typing import Any

from agent_status.connectors.registry import VENDORS, ConnectionField, ConnectionForm


def _field(field: ConnectionField) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if field.default is not None:
        schema["default"] = field.default
    if field.choices:
        schema["enum"] = list(field.choices)
    return {"label": field.label, "description": field.description, "schema": schema}


def _families() -> dict[str, dict[str, Any]]:
    """Connection type -> (display name, fields kept in the extra, form behaviour), from every
    vendor's ``ConnectionForm``; vendors sharing a type must declare the same form."""
    forms: dict[str, ConnectionForm] = {}
    labels: dict[str, list[str]] = {}
    for name, spec in sorted(VENDORS.items()):
        form = spec.connection
        if form is None:
            raise ValueError(f"vendor {name} declares no connection form (VendorSpec.connection)")
        if forms.setdefault(form.connection_type, form) != form:
            raise ValueError(f"vendor {name} declares a connection form for "
                             f"{form.connection_type!r} other than that of "
                             f"{', '.join(vendors_of(form.connection_type))}: share one")
        labels.setdefault(form.connection_type, []).append(spec.label)
    return {conn_type: {
        "hook-name": form.hook_name.format(vendors=", ".join(sorted(labels[conn_type]))),
        "conn-fields": {name: _field(field) for name, field in form.fields.items()},
        "ui-field-behaviour": {"hidden-fields": list(form.hidden),
                               "relabeling": dict(form.relabeling),
                               "placeholders": dict(form.placeholders)},
    } for conn_type, form in forms.items()}


def hook_class_name(conn_type: str) -> str:
    """``agent_status_acd_database`` -> ``AcdDatabaseHook`` (a class of ``agent_status.hooks``)."""
    words = conn_type.removeprefix("agent_status_").split("_")
    return "".join(w.capitalize() for w in words) + "Hook"


def get_provider_info() -> dict[str, Any]:
    from agent_status import __version__

    return {
        "package-name": "agent-status",
        "name": "agent-status",
        "description": "Nightly import of contact-center agent status history (nine ACDs) "
                       "into a warehouse.",
        "versions": [__version__],
        "connection-types": [
            {"connection-type": conn_type,
             "hook-class-name": f"agent_status.hooks.{hook_class_name(conn_type)}",
             "hook-name": family["hook-name"], "conn-fields": family["conn-fields"],
             "ui-field-behaviour": family["ui-field-behaviour"]}
            for conn_type, family in FAMILIES.items()],
    }


def family_of(vendor: str) -> str:
    """The connection type a vendor's connection should have."""
    return VENDORS[vendor].connection_type


def vendors_of(conn_type: str) -> list[str]:
    """The vendors whose connections are of this type."""
    return sorted(name for name, spec in VENDORS.items()
                  if spec.connection and spec.connection.connection_type == conn_type)


FAMILIES: dict[str, dict[str, Any]] = _families()
