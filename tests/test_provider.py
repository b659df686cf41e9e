"""The package as an Airflow provider: connection types with labelled fields, found by
Airflow through the entry point, and hooks whose Test button runs the connection check."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from agent_status.connectors.registry import VENDORS
from agent_status.provider import FAMILIES, family_of, get_provider_info


def test_provider_info_follows_airflows_schema():
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_every_vendor_has_a_connection_type_with_labelled_fields():
    for vendor in VENDORS:
        family = FAMILIES[family_of(vendor)]
        behaviour = family["ui-field-behaviour"]
        assert behaviour["relabeling"].get("login"), vendor
        for field in family["conn-fields"].values():
            assert field["label"] and field["description"]


def test_airflow_finds_the_connection_types_and_hooks():
    pytest.importorskip("airflow.providers_manager")
    from importlib.metadata import entry_points

    if not any(ep.value == "agent_status.provider:get_provider_info"
               for ep in entry_points(group="apache_airflow_provider")):
        pytest.skip("the package is not installed with its entry points (make venv installs it)")
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    assert "extra__agent_status_talkdesk__account" in widgets
    assert manager.field_behaviours["agent_status_ujet"]["relabeling"]["host"] == "Tenant URL"
    hook = manager.hooks["agent_status_acd_database"]
    assert hook.hook_class_name == "agent_status.hooks.AcdDatabaseHook"
    assert hook.connection_testable


def test_no_connection_field_is_masked_in_airflows_ui():
    """Airflow's UI shows *** for an extra whose name looks secret ("token" in "token_url"):
    the token URL field is ``auth_url`` (the connectors read both names)."""
    from airflow._shared.secrets_masker import should_hide_value_for_key

    masked = [(conn_type, name) for conn_type, family in FAMILIES.items()
              for name in family["conn-fields"] if should_hide_value_for_key(name)]
    assert masked == []
    assert FAMILIES["agent_status_vonage"]["conn-fields"]["auth_url"]["label"] == "Token URL"
