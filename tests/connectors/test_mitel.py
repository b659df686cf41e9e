"""Contract tests: the Mitel MiCC-B connector against its sandbox database (vendors.md 7): ACD
local time on the 23 h and 25 h nights, rows cut at midnight, reason codes, open states and
queries or data the connector cannot go on with."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status import SQL_DIR
from agent_status.config import Integration
from agent_status.connectors.registry import VENDORS
from tests.connectors.contract import touching_equal_pieces
from agent_status.connectors.base import ConnectionInfo, VendorError, build_connector
from agent_status.connectors.mitel import MitelConnector
from agent_status.connectors.sql import engine_for
from agent_status.frames import conform_raw_events
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status_dev.sandboxes.mitel import MitelSandbox
from agent_status_dev.simulator import Simulator
from tests.helpers import expected_night

COLUMNS = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]
FALL_BACK = dt.date(2026, 10, 24)  # the night of 25 October is 25 hours long in Europe
SPRING_FORWARD = dt.date(2026, 3, 28)  # the night of 29 March is 23 hours long


def integration(acd_zone: str, **options) -> Integration:
    # nights are Paris nights; the ACD reports in its own zone (7.3)
    return Integration(name="t", vendor="mitel", conn_id="x", timezone="Europe/Paris",
                       start_date=dt.date(2026, 1, 1), source_timezone=acd_zone, options=options)


def build(tmp_path, first: dt.date, zone: str = "Europe/Paris", **kwargs) -> MitelSandbox:
    sandbox = MitelSandbox(Simulator(timezone=zone, **kwargs.pop("simulator", {})),
                           path=tmp_path / "ccmdata.sqlite", **kwargs)
    sandbox.build(first, first + dt.timedelta(days=1))
    return sandbox


def extract(sandbox: MitelSandbox, first: dt.date, **options):
    integ = integration(sandbox.simulator.timezone, **{**sandbox.options(), **options})
    nights = [night_for_date(integ, first + dt.timedelta(days=i)) for i in range(2)]
    connector = build_connector(integ, sandbox.connection())
    assert isinstance(connector, MitelConnector)
    raw = pd.concat(list(connector.extract(nights[0].start_utc, nights[-1].end_utc)),
                    ignore_index=True)
    return raw, nights


def assert_nights_match_truth(raw, sandbox, nights) -> None:
    for night in nights:
        got = conform_raw_events(normalise(raw, night))[COLUMNS].reset_index(drop=True)
        want = conform_raw_events(expected_night(sandbox, night))[COLUMNS].sort_values(
            ["external_user_id", "start_utc"]).reset_index(drop=True)
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


@pytest.mark.parametrize(("first", "zone", "hours"), [
    (FALL_BACK, "Europe/Paris", 25), (SPRING_FORWARD, "Europe/Paris", 23),
    (FALL_BACK, "Europe/Helsinki", 25),  # an ACD in another zone than the WFM nights
])
def test_output_equals_the_truth_on_dst_nights(tmp_path, first, zone, hours):
    sandbox = build(tmp_path, first, zone)

    raw, nights = extract(sandbox, first)

    assert nights[1].end_utc - nights[1].start_utc == dt.timedelta(hours=hours)
    assert set(raw.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
    assert_nights_match_truth(raw, sandbox, nights)


def test_reason_codes_of_make_busy_and_do_not_disturb(tmp_path):
    sandbox = build(tmp_path, FALL_BACK)
    assert sandbox.injected["reason_coded_rows"] > 0

    raw, _ = extract(sandbox, FALL_BACK)

    coded = raw[raw.reason.notna()]
    assert set(coded.vendor_activity_id) == {"Make Busy/1", "Make Busy/2", "Do Not Disturb/5"}
    assert (coded.vendor_activity_id.str.split("/").str[1] == coded.reason).all()
    assert raw[raw.reason.isna()].vendor_activity_id.isin(
        ["Idle", "ACD", "Work Timer", "Logged out"]).all()


def test_a_window_without_any_reason_code_is_read(tmp_path):
    """A site or window where no state carries a reason code: the column is all NULL."""
    from agent_status_dev.sandboxes.mitel import QUERY

    sandbox = build(tmp_path, FALL_BACK, simulator={"agent_count": 3})
    query = QUERY.replace("CAST(e.ReasonCode AS VARCHAR(10)) AS reason_code",
                          "CAST(NULL AS VARCHAR(10)) AS reason_code")
    assert query != QUERY

    raw, _ = extract(sandbox, FALL_BACK, query=query)

    assert len(raw) > 100 and raw.reason.isna().all()
    assert "Make Busy" in set(raw.vendor_activity_id)


def test_rows_cut_at_local_midnight_are_merged_back(tmp_path):
    sandbox = build(tmp_path, FALL_BACK)
    assert sandbox.injected["midnight_splits"] > 0

    raw, nights = extract(sandbox, FALL_BACK)

    assert touching_equal_pieces(raw) > 0
    assert_nights_match_truth(raw, sandbox, nights)


def test_open_states_have_no_end(tmp_path):
    now = dt.datetime(2026, 10, 25, 1, 40, 5, tzinfo=dt.timezone.utc)  # 02:40, second time
    sandbox = build(tmp_path, FALL_BACK, now=now)
    assert sandbox.injected["open_rows"] > 0

    raw, nights = extract(sandbox, FALL_BACK)

    open_ = raw[raw.end_utc.isna()]
    assert len(open_) == sandbox.injected["open_rows"]
    assert (open_.start_utc < pd.Timestamp(now)).all()
    assert normalise(raw, nights[1]).is_open.sum() == len(open_)
    assert_nights_match_truth(raw, sandbox, nights)


def test_an_agent_without_user_name_fails_naming_its_reporting_number(tmp_path):
    sandbox = build(tmp_path, FALL_BACK, simulator={"agent_count": 3})
    missing = sandbox.simulator.agents[1].agent_id
    engine = sa.create_engine(sandbox.url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM tblConfig_Agent WHERE Reporting = :r"),
                           {"r": missing})
    engine.dispose()

    with pytest.raises(VendorError, match=f"reporting number\\(s\\) \\['{missing}'\\]"):
        extract(sandbox, FALL_BACK)


@pytest.mark.filterwarnings("ignore:Could not infer format")
@pytest.mark.parametrize(("query", "column"), [
    ("SELECT a.UserName AS user_name, e.AgentReporting AS agent_reporting, e.State AS state, "
     "e.ReasonCode AS reason_code, e.StartTime AS start_local FROM tblData_AgentStateEvents e "
     "JOIN tblConfig_Agent a ON a.Reporting = e.AgentReporting", "duration"),
    ("SELECT a.UserName AS user_name, e.AgentReporting AS agent_reporting, e.State AS state, "
     "e.ReasonCode AS reason_code, e.State AS start_local, e.Duration AS duration "
     "FROM tblData_AgentStateEvents e JOIN tblConfig_Agent a ON a.Reporting = e.AgentReporting",
     "start_local"),
    ("SELECT a.UserName AS user_name, e.AgentReporting AS agent_reporting, e.State AS state, "
     "e.ReasonCode AS reason_code, e.StartTime AS start_local, e.EndTime AS duration "
     "FROM tblData_AgentStateEvents e JOIN tblConfig_Agent a ON a.Reporting = e.AgentReporting",
     "duration"),
])
def test_a_query_returning_wrong_columns_fails_naming_the_column(tmp_path, query, column):
    sandbox = build(tmp_path, FALL_BACK, simulator={"agent_count": 3})

    with pytest.raises(VendorError, match=f"mitel query on mitel_sandbox.*'?{column}"):
        extract(sandbox, FALL_BACK, query=query)


def test_the_site_query_is_required_input(tmp_path):
    """CCMData has no public event-level agent state table (7.1): no default query runs."""
    sandbox = build(tmp_path, FALL_BACK, simulator={"agent_count": 3})
    integ = integration("Europe/Paris")
    night = night_for_date(integ, FALL_BACK)

    with pytest.raises(VendorError, match="vendor mitel needs option 'query'.*include/sql/"
                                          "vendors/mitel.sql"):
        list(build_connector(integ, sandbox.connection()).extract(night.start_utc,
                                                                  night.end_utc))
    with pytest.raises(ValueError, match="option 'query' is required for vendor mitel"):
        VENDORS["mitel"].check_options({})
    template = (SQL_DIR / "vendors" / "mitel.sql").read_text()
    assert "BI_Voice_V1_AgentNotReady_Trace" in template
    assert "BI_Voice_V1_AgentShift_OverridingState" in template
    assert not [line for line in template.splitlines()
                if line.strip() and not line.lstrip().startswith("--")]  # never run: no SQL


def test_a_sql_server_connection_is_built_from_the_airflow_connection():
    """CCMData is on SQL Server: pyodbc with an ODBC driver named in extra.url_query, the
    password staying in the connection's password field."""
    ccmdata = ConnectionInfo(conn_id="mitel_ccmdata", conn_type="mssql", host="micc.example",
                             port=1433, login="wfm_reader", password="s3cret", schema="CCMData",
                             extra={"url_query": {"driver": "ODBC Driver 18 for SQL Server",
                                                  "Encrypt": "yes"}})
    if importlib.util.find_spec("pyodbc") is None:
        with pytest.raises(VendorError, match="mitel_ccmdata: the database driver 'pyodbc'"):
            engine_for(ccmdata)
        return
    engine = engine_for(ccmdata)
    assert engine.url.drivername == "mssql+pyodbc" and engine.url.database == "CCMData"
    assert engine.url.query["driver"] == "ODBC Driver 18 for SQL Server"
    assert "s3cret" not in repr(engine.url)
    engine.dispose()


def test_the_demo_integration_passes_the_sandbox_query():
    from agent_status.config import load_integrations
    from agent_status_dev.sandboxes.mitel import QUERY

    demo = [i for i in load_integrations(SQL_DIR.parent / "integrations.yaml")
            if i.vendor == "mitel"]
    assert demo and all(i.options["query"].strip() == QUERY.strip() for i in demo)
