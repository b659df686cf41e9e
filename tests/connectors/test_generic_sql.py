"""Contract tests: Sikom and the generic SQL source against their sandbox databases
(vendors.md 6, 10.2): local time across DST, statuses cut at midnight, open statuses, and
queries that do not meet the contract."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.config import Integration
from tests.connectors.contract import touching_equal_pieces
from agent_status.connectors.base import VendorError, build_connector
from agent_status.connectors.generic_sql import GenericSqlConnector, SikomConnector
from agent_status.connectors.sql import require_columns
from agent_status.frames import conform_raw_events
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.sandboxes.generic_sql import GenericSqlSandbox, SikomSandbox
from agent_status_dev.simulator import Simulator
from tests.helpers import expected_night

COLUMNS = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]
CONNECTORS = {"sikom": SikomConnector, "generic_sql": GenericSqlConnector}
# (sandbox, database zone, two nights; the second is the DST night)
CASES = {
    "sikom-fall-back": (SikomSandbox, "Europe/Oslo", dt.date(2026, 10, 24)),
    "sikom-spring-forward": (SikomSandbox, "Europe/Oslo", dt.date(2026, 3, 28)),
    "generic-fall-back": (GenericSqlSandbox, "America/New_York", dt.date(2026, 10, 31)),
    "generic-spring-forward": (GenericSqlSandbox, "America/New_York", dt.date(2026, 3, 7)),
}


def integration(sandbox, **options) -> Integration:
    if isinstance(sandbox, GenericSqlSandbox):
        options.setdefault("query", GenericSqlSandbox.query)
    return Integration(name="t", vendor=sandbox.vendor, conn_id="x",
                       timezone="Europe/Paris", start_date=dt.date(2026, 1, 1),
                       source_timezone=sandbox.simulator.timezone, options=options)


def nights_from(integ: Integration, first: dt.date, count: int = 2):
    return [night_for_date(integ, first + dt.timedelta(days=i)) for i in range(count)]


def extract(sandbox, nights, **options) -> pd.DataFrame:
    connector = build_connector(integration(sandbox, **options), sandbox.connection())
    assert isinstance(connector, CONNECTORS[sandbox.vendor])
    return pd.concat(list(connector.extract(nights[0].start_utc, nights[-1].end_utc)),
                     ignore_index=True)


def assert_nights_match_truth(raw: pd.DataFrame, sandbox, nights) -> None:
    for night in nights:
        got = conform_raw_events(normalise(raw, night))[COLUMNS].reset_index(drop=True)
        want = conform_raw_events(expected_night(sandbox, night))[COLUMNS].sort_values(
            ["external_user_id", "start_utc"]).reset_index(drop=True)
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def local_rows(sandbox) -> pd.DataFrame:
    engine = sa.create_engine(sandbox.url)
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sa.text(f"SELECT * FROM {sandbox.table}"), connection)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", list(CASES))
def test_output_equals_the_truth_across_a_dst_night(case, tmp_path):
    sandbox_class, zone, first = CASES[case]
    sandbox = sandbox_class(Simulator(timezone=zone), path=tmp_path / "acd.sqlite")
    sandbox.build(first, first + dt.timedelta(days=1))
    # the nights are the database's own (the integration zone matters only for night bounds)
    integ = Integration(name="t", vendor=sandbox.vendor, conn_id="x", timezone=zone,
                        start_date=dt.date(2026, 1, 1))
    nights = nights_from(integ, first)
    assert {(n.end_utc - n.start_utc) for n in nights} - {dt.timedelta(hours=24)}  # 23 h / 25 h

    raw = extract(sandbox, nights)

    assert set(raw.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
    assert_nights_match_truth(raw, sandbox, nights)


@pytest.fixture(scope="module")
def sikom_fall_back(tmp_path_factory):
    sandbox = SikomSandbox(Simulator(timezone="Europe/Oslo"),
                           path=tmp_path_factory.mktemp("sikom") / "sikom.sqlite")
    sandbox.build(dt.date(2026, 10, 24), dt.date(2026, 10, 25))
    return sandbox


def test_statuses_across_the_repeated_hour_are_placed_on_the_right_occurrence(sikom_fall_back):
    sandbox = sikom_fall_back
    rows = local_rows(sandbox)
    # the store really holds wall times the fall-back repeats, and statuses that end "before"
    # they start in wall time because they span the change
    repeated = rows.FromTime.between("2026-10-25 02:00:00", "2026-10-25 02:59:59")
    assert rows[repeated].UserName.nunique() >= 2
    assert (rows.ToTime.notna() & (rows.ToTime < rows.FromTime)).any()
    integ = integration(sandbox)
    nights = nights_from(integ, dt.date(2026, 10, 24))

    raw = extract(sandbox, nights)

    assert (raw.end_utc > raw.start_utc).all()
    assert_nights_match_truth(raw, sandbox, nights)


def test_statuses_cut_at_local_midnight_are_merged_back(sikom_fall_back):
    sandbox = sikom_fall_back
    assert sandbox.injected["midnight_splits"] > 0
    integ = integration(sandbox)
    nights = nights_from(integ, dt.date(2026, 10, 24))

    raw = extract(sandbox, nights)

    # the pieces come back with identical labels, touching: the pipeline merges them
    assert touching_equal_pieces(raw) > 0
    assert_nights_match_truth(raw, sandbox, nights)


def test_open_statuses_have_no_end(tmp_path):
    now = dt.datetime(2026, 10, 25, 8, 13, 27, tzinfo=dt.timezone.utc)
    sandbox = SikomSandbox(Simulator(timezone="Europe/Oslo"), now=now,
                           path=tmp_path / "sikom.sqlite")
    sandbox.build(dt.date(2026, 10, 24), dt.date(2026, 10, 25))
    assert sandbox.injected["open_rows"] > 0
    integ = integration(sandbox)
    nights = nights_from(integ, dt.date(2026, 10, 24))

    raw = extract(sandbox, nights)

    open_ = raw[raw.end_utc.isna()]
    assert len(open_) == sandbox.injected["open_rows"]
    assert (open_.start_utc < pd.Timestamp(now)).all()
    assert normalise(raw, nights[1]).is_open.sum() == len(open_)
    assert_nights_match_truth(raw, sandbox, nights)


@pytest.fixture
def sikom(tmp_path):
    sandbox = SikomSandbox(Simulator(timezone="Europe/Oslo", agent_count=4),
                           path=tmp_path / "sikom.sqlite")
    sandbox.build(dt.date(2026, 10, 24), dt.date(2026, 10, 24))
    return sandbox


def extract_night(sandbox, vendor="sikom", **options) -> pd.DataFrame:
    integ = Integration(name="t", vendor=vendor, conn_id="x", timezone="Europe/Oslo",
                        start_date=dt.date(2026, 1, 1), options=options)
    night = night_for_date(integ, dt.date(2026, 10, 24))
    connector = build_connector(integ, sandbox.connection())
    return pd.concat(list(connector.extract(night.start_utc, night.end_utc)))


def test_generic_sql_requires_a_query(sikom):
    with pytest.raises(VendorError, match="needs option 'query'"):
        extract_night(sikom, vendor="generic_sql")


def test_the_sikom_view_read_as_a_generic_source(sikom):
    query = ("SELECT agentidentifier, starttime, endtime, activity FROM wfm_agent_status "
             "WHERE starttime < :end_local AND (endtime IS NULL OR endtime > :start_local)")
    generic = extract_night(sikom, vendor="generic_sql", query=query)
    default = extract_night(sikom)
    pd.testing.assert_frame_equal(generic.reset_index(drop=True), default.reset_index(drop=True))


@pytest.mark.parametrize(("query", "column"), [
    ("SELECT UserName AS agent, FromTime AS starttime, ToTime AS endtime, "
     "StatusName AS activity FROM AgentStatusLog", "agentidentifier"),
    ("SELECT UserName AS agentidentifier, FromTime AS starttime, ToTime AS endtime "
     "FROM AgentStatusLog", "activity"),
    ("SELECT UserName AS agentidentifier, 'not a time' AS starttime, ToTime AS endtime, "
     "StatusName AS activity FROM AgentStatusLog", "starttime"),
    ("SELECT UserName AS agentidentifier, FromTime AS starttime, 'soon' AS endtime, "
     "StatusName AS activity FROM AgentStatusLog", "endtime"),
    ("SELECT NULL AS agentidentifier, FromTime AS starttime, ToTime AS endtime, "
     "StatusName AS activity FROM AgentStatusLog", "agentidentifier"),
])
def test_a_query_off_contract_fails_naming_the_column(sikom, query, column):
    with pytest.raises(VendorError, match=column):
        extract_night(sikom, vendor="generic_sql", query=query)


def test_a_value_of_the_wrong_type_is_named_with_its_row(sikom):
    """The value that failed is named, not the column's first (valid) value."""
    query = ("SELECT UserName AS agentidentifier, CASE WHEN rowid = (SELECT MIN(rowid) + 2 FROM "
             "AgentStatusLog) THEN 'soon' ELSE FromTime END AS starttime, ToTime AS endtime, "
             "StatusName AS activity FROM AgentStatusLog ORDER BY rowid")
    with pytest.raises(VendorError, match=r"column 'starttime' must be datetime, got 'soon' in "
                                          r"row 3$"):
        extract_night(sikom, vendor="generic_sql", query=query)


def test_a_wrong_type_is_found_in_any_row():
    frame = pd.DataFrame({"agent": ["a", "b", None, "d"], "n": ["1", None, "2", "x2"],
                          "at": ["2026-01-01 10:00", None, "2026-01-01 11:00", "2026-01-01 12:00"]})
    columns = {"agent": "text", "n": "int", "at": "datetime"}
    with pytest.raises(VendorError, match=r"^q: column 'n' must be int, got 'x2' in row 4$"):
        require_columns(frame, columns, "q")
    with pytest.raises(VendorError, match=r"column 'n' must be int, got 2.5 in row 2$"):
        require_columns(frame.assign(n=[1, 2.5, None, 3]), columns, "q")
    out = require_columns(frame.assign(n=[1, None, 2, 3]), columns, "q")
    assert out.n.tolist()[::2] == [1, 2] and out.n.isna().tolist() == [False, True, False, False]
    assert out["at"].isna().tolist() == [False, True, False, False]


def test_a_failing_query_is_a_vendor_error(sikom):
    with pytest.raises(VendorError, match="query on sikom_sandbox: the query failed.*no_such_view"):
        extract_night(sikom, vendor="generic_sql", query="SELECT * FROM no_such_view")


def test_the_sikom_vendor_is_wired_to_its_sandbox_and_connector():
    assert sandbox_class("sikom") is SikomSandbox
    assert issubclass(SikomConnector, GenericSqlConnector)
    for vendor in ("sikom", "generic_sql"):
        spec = CONNECTORS[vendor].spec
        assert spec.name == vendor and spec.identifier == "user_name" and spec.reports_local_time


def test_a_session_the_repeated_hour_cannot_place_fails_naming_the_agent(tmp_path):
    """A login from 01:10 to 01:40 on the fall-back night, alone between logouts: both
    occurrences fit equally, so the import stops instead of guessing (local_time)."""
    sandbox = GenericSqlSandbox(Simulator(timezone="America/New_York", agent_count=3),
                                path=tmp_path / "acd.sqlite")
    sandbox.build(dt.date(2026, 10, 31), dt.date(2026, 11, 1))
    engine = sa.create_engine(sandbox.url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO acd_state_log (login, state, began, ended) VALUES "
            "('x.ghost', 'Available', '2026-11-01 01:10:00', '2026-11-01 01:25:00'), "
            "('x.ghost', 'Talking', '2026-11-01 01:25:00', '2026-11-01 01:40:00')"))
    engine.dispose()
    nights = nights_from(integration(sandbox), dt.date(2026, 10, 31))

    with pytest.raises(VendorError, match="generic_sql query on generic_sql_sandbox: agent "
                                          "'x.ghost'.*01:10:00, 01:25:00.*cannot decide"):
        extract(sandbox, nights)
