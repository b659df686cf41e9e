"""Operating the mappings: CSV import/export with line-numbered errors, nothing half-imported."""

import pandas as pd
import pytest

from agent_status.cli import main
from agent_status.mappings import MappingFileError, parse_employee_csv, read_employee_mappings
from agent_status.warehouse import create_warehouse_engine, ensure_schema
from tests.helpers import write_integrations


@pytest.fixture
def setup(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "i.yaml", [
        {"name": "tk", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01"}])
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    return tmp_path, engine


def test_import_export_round_trip(setup, capsys):
    tmp, engine = setup
    (tmp / "e.csv").write_text("employee_id,external_employee_id,external_user_id\n"
                               "E1,M1,jane.doe\nE2,M2,\"john \"\n")
    assert main(["import-employees", "--integration", "tk", str(tmp / "e.csv")]) == 0
    assert "leading or trailing space" in capsys.readouterr().out
    assert main(["export-employees", "--integration", "tk", str(tmp / "out.csv")]) == 0
    back = pd.read_csv(tmp / "out.csv", dtype=str, keep_default_na=False)
    assert list(back.external_user_id) == ["jane.doe", "john "]


def test_bad_row_reported_with_line_and_nothing_imported(setup, capsys):
    tmp, engine = setup
    (tmp / "good.csv").write_text("employee_id,external_employee_id,external_user_id\nE1,M1,a\n")
    main(["import-employees", "--integration", "tk", str(tmp / "good.csv")])
    (tmp / "bad.csv").write_text("employee_id,external_employee_id,external_user_id\n"
                                 "E5,M5,x\nE6,M6,y\nE7,M5,z\n")
    assert main(["import-employees", "--integration", "tk", str(tmp / "bad.csv")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv:4" in err and "external_employee_id 'M5' already on line 2" in err
    assert list(read_employee_mappings(engine, "tk").external_user_id) == ["a"]


def test_email_vendors_need_email_shaped_identifiers(tmp_path):
    (tmp_path / "e.csv").write_text("employee_id,external_employee_id,external_user_id\nE1,M1,bob\n")
    with pytest.raises(MappingFileError, match="e.csv:2: external_user_id 'bob' is not an e-mail"):
        parse_employee_csv(tmp_path / "e.csv", "email")


def test_activity_csv_unknown_activity_and_bad_integer(setup, capsys):
    tmp, engine = setup
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification\nAUX/1,20,x\n")
    assert main(["import-activities", "--integration", "tk", str(tmp / "a.csv")]) == 2
    assert "a.csv:2: field 'classification' must be an integer" in capsys.readouterr().err
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification\nAUX/1,20,1\n")
    assert main(["import-activities", "--integration", "tk", str(tmp / "a.csv")]) == 2
    assert "activity id(s) [20] do not exist" in capsys.readouterr().err
    (tmp / "a.csv").write_text("vendor_activity_id,activity_id,classification,activity_name\n"
                               "AUX/1,20,1,Break\n")
    assert main(["import-activities", "--integration", "tk", str(tmp / "a.csv")]) == 0
    assert main(["unmapped"]) == 0
