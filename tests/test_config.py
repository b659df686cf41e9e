"""The integrations file fails when it loads, naming file, integration and field, for every
configuration that could not work at night."""

from __future__ import annotations

import pytest
import yaml

from agent_status.config import ConfigError, load_integrations

BASE = {"name": "acme", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
        "start_date": "2026-01-01"}


def write(tmp_path, text: str):
    path = tmp_path / "integrations.yaml"
    path.write_text(text)
    return path


def entry_yaml(**change) -> str:
    entry = {**BASE, **change}
    return yaml.safe_dump({"integrations": [entry]}, sort_keys=False)


@pytest.mark.parametrize("schedule", ["0,30 2 * * *", "*/30 * * * *", "0 */6 * * *",
                                      "0 1-3 * * *", "15 2,14 * * *", "@hourly"])
def test_a_schedule_with_more_than_one_cut_over_a_day_is_refused(tmp_path, schedule):
    """'0,30 2 * * *' gave two runs a day, each replacing the other's night."""
    path = write(tmp_path, entry_yaml(schedule=schedule))
    with pytest.raises(ConfigError, match=r"integration 'acme': field 'schedule' must be one "
                                          "daily cut-over") as error:
        load_integrations(path)
    assert str(path) in str(error.value)


def test_a_daily_cut_over_is_accepted(tmp_path):
    (integration,) = load_integrations(write(tmp_path, entry_yaml(schedule="30 2 * * *")))
    assert integration.schedule == "30 2 * * *"


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-1-1x"])
def test_an_impossible_start_date_names_file_integration_and_field(tmp_path, value):
    """Unquoted, YAML itself raised 'day is out of range for month' with no context."""
    path = write(tmp_path, entry_yaml().replace("'2026-01-01'", value))
    assert value in path.read_text() and f"'{value}'" not in path.read_text()
    with pytest.raises(ConfigError) as error:
        load_integrations(path)
    assert f"{path}: integration 'acme': field 'start_date'" in str(error.value)


def test_an_unquoted_valid_start_date_still_loads(tmp_path):
    import datetime as dt

    (integration,) = load_integrations(write(tmp_path, entry_yaml().replace("'2026-01-01'",
                                                                            "2026-01-01")))
    assert integration.start_date == dt.date(2026, 1, 1)


def test_an_empty_integrations_list_is_refused(tmp_path):
    path = write(tmp_path, "integrations: []\n")
    with pytest.raises(ConfigError, match="field 'integrations' is empty: no DAG"):
        load_integrations(path)


@pytest.mark.parametrize("vendor,options,message", [
    ("genesys_cloud", {"page_size": -5}, "option 'page_size' must be at least 1"),
    ("genesys_cloud", {"window_days": 8}, "option 'window_days' must be at most 7"),
    ("talkdesk", {"window_days": 32}, "option 'window_days' must be at most 31"),
    ("generic_sql", {}, "option 'query' is required"),
    ("generic_sql", {"query": "   "}, "option 'query' must not be empty"),
    ("vonage", {"page_size": "100"}, "option 'page_size' must be an integer"),
    ("genesys_engage", {"user_name_column": "NAME; DROP TABLE x"},
     "option 'user_name_column' must be a plain column name, got 'NAME; DROP TABLE x'"),
    ("genesys_engage", {"media_priority": ["ACW", 3]},
     "option 'media_priority' must be a non-empty list, each item a string"),
    ("genesys_engage", {"media_priority": []},
     "option 'media_priority' must be a non-empty list, each item a string"),
    ("avaya_cms", {"sequence_column": "SEQ-1"},
     "option 'sequence_column' must be a plain column name or ''"),
])
def test_option_values_out_of_range_fail_at_load(tmp_path, vendor, options, message):
    path = write(tmp_path, entry_yaml(vendor=vendor, options=options))
    with pytest.raises(ConfigError) as error:
        load_integrations(path)
    assert f"{path}: integration 'acme': field 'options'" in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize("kind,message", [
    ("directory", "is a directory, not an integrations file"),
    ("latin1", "not UTF-8 text"),
])
def test_an_unreadable_file_is_named(tmp_path, kind, message):
    path = tmp_path / "integrations.yaml"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"integrations:\n  - name: caf\xe9\n")
    with pytest.raises(ConfigError, match=message):
        load_integrations(path)
