"""Bad integrations and mapping files: each fails with a message naming file, integration or
line and field, and leaves what was there; the good variants (BOM, CRLF, a 100k-row file)
import exactly. Mapping imports go through the operator's CLI."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from agent_status.cli import main as cli
from agent_status.config import ConfigError, load_integrations
from agent_status.mappings import read_employee_mappings
from agent_status.warehouse import create_warehouse_engine
from tests.faults.harness import integration_entry
from tests.helpers import write_integrations

GOOD = integration_entry("acme", "genesys_cloud")
CONFIG_CASES = {
    "unknown_vendor": ([GOOD | {"vendor": "genesys_clod"}], "field 'vendor'"),
    "bad_time_zone": ([GOOD | {"timezone": "Europe/Pariss"}], "field 'timezone'"),
    "duplicate_name": ([GOOD, GOOD], "field 'name' duplicates"),
    "missing_field": ([{k: v for k, v in GOOD.items() if k != "conn_id"}], "field 'conn_id'"),
    "unknown_field": ([GOOD | {"lookbak_nights": 2}], "unknown field(s) ['lookbak_nights']"),
    "bad_option": ([GOOD | {"options": {"page_size": "big"}}], "field 'options'"),
    "bad_schedule": ([GOOD | {"schedule": "0 0 * * 1"}], "field 'schedule'"),
    "bad_name": ([GOOD | {"name": "Acme; DROP TABLE x"}], "field 'name'"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_bad_integrations_file_names_file_integration_and_field(case, tmp_path):
    entries, message = CONFIG_CASES[case]
    path = tmp_path / "integrations.yaml"
    path.write_text(yaml.safe_dump({"integrations": entries}))
    with pytest.raises(ConfigError) as raised:
        load_integrations(path)
    assert str(path) in str(raised.value) and message in str(raised.value)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_integrations_file_encodings(encoding, tmp_path):
    """A BOM (Windows editors) and CRLF line ends load; UTF-16 fails naming the file."""
    path = tmp_path / "integrations.yaml"
    text = yaml.safe_dump({"integrations": [GOOD | {"description": "Équipe de nuit"}]},
                          allow_unicode=True).replace("\n", "\r\n")
    path.write_bytes(text.encode(encoding))
    if encoding == "utf-16":
        with pytest.raises(ConfigError, match=str(path)):
            load_integrations(path)
    else:
        assert load_integrations(path)[0].description == "Équipe de nuit"


HEADER = "employee_id,external_employee_id,external_user_id"
MAPPING_CASES = {
    "empty_field": (f"{HEADER}\nE1,M1,\n", ":2: field 'external_user_id' is empty"),
    "duplicate_identifier": (f"{HEADER}\nE1,M1,ann.lee\nE2,M2,ann.lee\n",
                             ":3: external_user_id 'ann.lee' already on line 2"),
    "extra_field": (f"{HEADER}\nE1,M1,ann.lee,oops\n", ":2: more fields than the header"),
    "semicolons": (HEADER.replace(",", ";") + "\nE1;M1;ann.lee\n",
                   ":1: fields are separated by ';'; use commas"),
    "missing_column": ("employee_id,external_user_id\nE1,ann.lee\n", ":1: header lacks column"),
}


@pytest.fixture
def acme(tmp_path, monkeypatch, url):
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "integrations.yaml", [GOOD])
    first = tmp_path / "first.csv"
    first.write_text(f"{HEADER}\nE0,M0,kept.mapping\n")
    assert cli(["import-employees", "--integration", "acme", str(first)]) == 0
    engine = create_warehouse_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("case", sorted(MAPPING_CASES))
def test_bad_mapping_file_names_line_and_field_and_keeps_the_mapping(case, acme, tmp_path,
                                                                     capsys):
    text, message = MAPPING_CASES[case]
    path = tmp_path / "employees.csv"
    path.write_text(text)
    capsys.readouterr()
    assert cli(["import-employees", "--integration", "acme", str(path)]) == 2
    error = capsys.readouterr().err
    assert f"{path}{message}" in error
    assert list(read_employee_mappings(acme, "acme").external_user_id) == ["kept.mapping"]


def test_mapping_file_in_latin1_fails_naming_the_file(acme, tmp_path, capsys):
    path = tmp_path / "employees.csv"
    path.write_bytes(f"{HEADER}\nE1,M1,zoé.durand\n".encode("latin-1"))
    capsys.readouterr()
    assert cli(["import-employees", "--integration", "acme", str(path)]) == 2
    assert str(path) in capsys.readouterr().err
    assert list(read_employee_mappings(acme, "acme").external_user_id) == ["kept.mapping"]


def test_mapping_file_with_bom_and_crlf_imports_exactly(acme, tmp_path):
    path = tmp_path / "employees.csv"
    path.write_bytes(f"{HEADER}\r\nE1,M1,zoé.durand\r\nE2,M2, spaced \r\n".encode("utf-8-sig"))
    assert cli(["import-employees", "--integration", "acme", str(path)]) == 0
    mapped = read_employee_mappings(acme, "acme")
    assert list(mapped.employee_id) == ["E1", "E2"]  # no BOM glued to the first header
    assert list(mapped.external_user_id) == ["zoé.durand", " spaced "]  # no \r, spaces kept


def test_mapping_file_of_100k_rows(acme, tmp_path):
    path = tmp_path / "employees.csv"
    frame = pd.DataFrame({"employee_id": [f"E{i}" for i in range(100_000)],
                          "external_employee_id": [f"M{i}" for i in range(100_000)],
                          "external_user_id": [f"agent.{i}" for i in range(100_000)]})
    frame.to_csv(path, index=False)
    assert cli(["import-employees", "--integration", "acme", str(path)]) == 0
    mapped = read_employee_mappings(acme, "acme")
    assert len(mapped) == 100_000 and set(mapped.external_user_id) == set(frame.external_user_id)


@pytest.mark.parametrize("command", ["unmapped", "unmapped --integration acme", "summary"])
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_operator_reports_run_on_every_warehouse(kind, command, tmp_path, monkeypatch, capsys,
                                                 request):
    url = (request.getfixturevalue("postgres_url") if kind == "postgres"
           else f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "integrations.yaml", [GOOD])
    capsys.readouterr()
    assert cli(command.split()) == 0
