"""Contract tests: the Genesys Engage connector against a Genesys Info Mart sandbox database
(vendors.md 3): GIM's media-neutral states or per-media states collapsed by priority, rows split
at ETL cycles, reasons in their own facts, active states, unconfirmed state spellings, the user
name column, and queries off contract."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import VendorError, build_connector
from agent_status.connectors.genesys_engage import GenesysEngageConnector
from agent_status.connectors.sql import vendor_query
from agent_status.frames import conform_raw_events
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status_dev.sandboxes.base import merge_adjacent
from agent_status_dev.sandboxes.genesys_engage import GenesysEngageSandbox
from agent_status_dev.simulator import Simulator, clip

COLUMNS = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]
SOURCES = ["media_neutral", "per_media"]
FALL_BACK = dt.date(2026, 10, 24)  # the Paris night of 25 October is 25 hours long
SPRING_FORWARD = dt.date(2026, 3, 28)  # and the night of 29 March 23 hours


def integration(**options) -> Integration:
    return Integration(name="t", vendor="genesys_engage", conn_id="x", timezone="Europe/Paris",
                       start_date=dt.date(2026, 1, 1), options=options)


def nights_from(first: dt.date):
    return [night_for_date(integration(), first + dt.timedelta(days=i)) for i in range(2)]


def build(tmp_path, first=FALL_BACK, **kwargs) -> GenesysEngageSandbox:
    sandbox = GenesysEngageSandbox(Simulator(**kwargs.pop("simulator", {})),
                                   path=tmp_path / "gim.sqlite", **kwargs)
    sandbox.build(first, first + dt.timedelta(days=1))
    return sandbox


def extract(sandbox, first=FALL_BACK, **options) -> pd.DataFrame:
    nights = nights_from(first)
    integ = integration(**options)
    GenesysEngageConnector.spec.check_options(options)  # what the integrations file allows
    connector = build_connector(integ, sandbox.connection())
    assert isinstance(connector, GenesysEngageConnector)
    return pd.concat(list(connector.extract(nights[0].start_utc, nights[-1].end_utc)),
                     ignore_index=True)


def assert_nights_match(raw: pd.DataFrame, expected: pd.DataFrame, nights) -> None:
    """Each night as the pipeline keeps it equals the (unclipped, merged) expectation clipped."""
    for night in nights:
        got = conform_raw_events(normalise(raw, night))[COLUMNS].reset_index(drop=True)
        want = conform_raw_events(clip(expected, night.start_utc, night.end_utc))[COLUMNS]
        want = want.sort_values(["external_user_id", "start_utc"]).reset_index(drop=True)
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


def truth(sandbox, nights) -> pd.DataFrame:
    return sandbox.expected(nights[0].start_utc, nights[-1].end_utc)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("first", [FALL_BACK, SPRING_FORWARD])
def test_media_collapse_to_the_truth_over_two_nights_around_dst(tmp_path, first, source):
    sandbox = build(tmp_path, first)
    # the media really overlap with different states, and reasons are facts of their own
    assert sandbox.injected["busy_email_during_acw"] > 0
    assert sandbox.injected["reason_rows"] > 0
    assert sandbox.injected["media_neutral_rows"] > 0
    nights = nights_from(first)

    raw = extract(sandbox, first, source=source)

    assert set(raw.vendor_activity_id) == {v[0] for v in sandbox.state_map.values()}
    ordered = raw.sort_values(["external_user_id", "start_utc"])
    overlap = ordered.external_user_id.eq(ordered.external_user_id.shift()) & (
        ordered.start_utc < ordered.end_utc.shift())
    assert not overlap.any()  # one timeline per agent, not one per media
    assert_nights_match(raw, truth(sandbox, nights), nights)


@pytest.mark.parametrize("source", SOURCES)
def test_rows_split_at_etl_cycles_come_back_merged(tmp_path, source):
    sandbox = build(tmp_path)
    assert sandbox.injected["etl_splits"] > 0
    assert sandbox.injected["media_neutral_splits"] > 0  # re-evaluations and ETL cycles (3.1)

    raw = extract(sandbox, source=source)

    ordered = raw.sort_values(["external_user_id", "start_utc"])
    touching_twin = (ordered.external_user_id.eq(ordered.external_user_id.shift())
                     & ordered.vendor_activity_id.eq(ordered.vendor_activity_id.shift())
                     & ordered.start_utc.eq(ordered.end_utc.shift()))
    assert not touching_twin.any()
    # no status is cut at a quarter hour any more: a 25-minute lunch is one row
    lunches = raw[raw.vendor_activity_id.eq("NOT_READY/Lunch")]
    assert ((lunches.end_utc - lunches.start_utc) >= pd.Timedelta(minutes=30)).all()


def test_media_priority_option_changes_which_media_wins(tmp_path):
    sandbox = build(tmp_path)
    nights = nights_from(FALL_BACK)

    raw = extract(sandbox, source="per_media", media_priority=["busy", "ACW", "NOT_READY", "READY"])

    # with BUSY above ACW, after-call work during which e-mail was Busy becomes Busy
    expected = truth(sandbox, nights)
    busy = expected.merge(sandbox.busy_email_during_acw, how="left", indicator=True,
                          on=["external_user_id", "start_utc", "end_utc"])._merge.eq("both")
    assert busy.sum() > 0
    expected.loc[busy.to_numpy(), ["vendor_activity_id", "vendor_activity_name", "reason"]] = \
        ["BUSY", "Busy", None]
    assert_nights_match(raw, merge_adjacent(expected), nights)
    # GIM's media-neutral states were ranked by GIM's own configured priority: ours is unused
    unused = extract(sandbox, media_priority=["busy", "ACW", "NOT_READY", "READY"])
    assert_nights_match(unused, truth(sandbox, nights), nights)


@pytest.mark.parametrize("source", SOURCES)
def test_active_states_are_open(tmp_path, source):
    now = dt.datetime(2026, 10, 25, 9, 21, 44, tzinfo=dt.timezone.utc)
    sandbox = build(tmp_path, now=now)
    assert sandbox.injected["active_rows"] > 0
    assert sandbox.injected["provisional_end_rows"] > 0  # multimedia: END_TS of the cycle
    nights = nights_from(FALL_BACK)

    raw = extract(sandbox, source=source)

    expected = truth(sandbox, nights)
    open_ = raw[raw.end_utc.isna()]
    assert len(open_) == expected.end_utc.isna().sum() > 0
    assert set(open_.external_user_id) == set(expected[expected.end_utc.isna()].external_user_id)
    assert_nights_match(raw, expected, nights)


def test_the_user_name_column_is_configurable(tmp_path):
    sandbox = build(tmp_path, simulator={"agent_count": 6})
    by_name = extract(sandbox)
    by_employee = extract(sandbox, user_name_column="EMPLOYEE_ID")

    matricule = {a.user_name: a.external_employee_id for a in sandbox.simulator.agents}
    assert set(by_employee.external_user_id) == set(by_name.external_user_id.map(matricule))
    pd.testing.assert_frame_equal(
        by_employee.drop(columns="external_user_id").reset_index(drop=True),
        by_name.assign(key=by_name.external_user_id.map(matricule)).sort_values(
            ["key", "start_utc"]).drop(columns=["external_user_id", "key"]).reset_index(drop=True))


def test_a_bad_user_name_column_is_a_clear_error(tmp_path):
    sandbox = build(tmp_path, simulator={"agent_count": 2})

    with pytest.raises(VendorError, match="the query failed.*USER_NAME"):
        extract(sandbox, user_name_column="USER_NAME")  # not a column of this deployment
    # text written into the query must be a column name: refused when the file loads
    with pytest.raises(ValueError, match="must be a plain column name"):
        extract(sandbox, user_name_column="RESOURCE_NAME; DROP TABLE RESOURCE_")


@pytest.mark.parametrize(("query", "column"), [
    ("SELECT r.RESOURCE_NAME AS user_name, f.START_TS AS start_ts, f.END_TS AS end_ts "
     "FROM SM_RES_STATE_FACT f JOIN RESOURCE_ r ON r.RESOURCE_KEY = f.RESOURCE_KEY", "media"),
    ("SELECT r.RESOURCE_NAME AS user_name, 'VOICE' AS media, 'READY' AS state_code, "
     "'Ready' AS state_name, NULL AS software_reason, NULL AS workmode, "
     "'yesterday noon' AS start_ts, f.END_TS AS end_ts, 0 AS active_flag "
     "FROM SM_RES_STATE_FACT f JOIN RESOURCE_ r ON r.RESOURCE_KEY = f.RESOURCE_KEY", "start_ts"),
])
def test_a_query_off_contract_fails_naming_the_column(tmp_path, query, column):
    sandbox = build(tmp_path, simulator={"agent_count": 2})

    with pytest.raises(VendorError, match=f"query on genesys_engage_sandbox.*{column}"):
        extract(sandbox, query=query)


def test_a_media_priority_that_is_not_a_list_of_states_is_refused(tmp_path):
    sandbox = build(tmp_path, simulator={"agent_count": 2})

    # refused when the integrations file loads (the option's declaration), before any read
    with pytest.raises(ValueError, match="media_priority' must be a non-empty list, each item"):
        extract(sandbox, source="per_media", media_priority=[1, 2])


@pytest.mark.parametrize("spelling", ["priority_option", "state_names"])
def test_media_neutral_states_need_no_state_spelling(tmp_path, spelling):
    """No source confirms RESOURCE_STATE's spellings (3.4): GIM's own ranking needs none."""
    sandbox = build(tmp_path, spelling=spelling)
    nights = nights_from(FALL_BACK)

    assert_nights_match(extract(sandbox), truth(sandbox, nights), nights)


def test_a_state_code_the_priority_does_not_list_fails_naming_it(tmp_path):
    sandbox = build(tmp_path, spelling="state_names")
    nights = nights_from(FALL_BACK)

    with pytest.raises(VendorError, match=r"genesys_engage query on genesys_engage_sandbox: "
                       r"state_code \(RESOURCE_STATE.STATE_NAME_CODE\) '(NOTREADY|AFTERCALLWORK)'"
                       r".*not in media_priority"):
        extract(sandbox, source="per_media")
    # listing the deployment's own codes ranks them
    raw = extract(sandbox, source="per_media",
                  media_priority=["AFTERCALLWORK", "NOTREADY", "BUSY", "READY"])
    assert_nights_match(raw, truth(sandbox, nights), nights)


def test_an_unpopulated_media_neutral_table_fails_instead_of_an_empty_night(tmp_path):
    sandbox = build(tmp_path, media_neutral=False)

    with pytest.raises(VendorError, match=r"SM_MEDIA_NEUTRAL_STATE_FACT holds no state in the "
                       r"window for \d+ agent\(s\).*populate-media-neutral-sm-facts"):
        extract(sandbox)
    assert len(extract(sandbox, source="per_media")) > 0


def test_a_release_without_active_flag_fails_naming_it_and_a_query_of_ones_own_reads_it(tmp_path):
    """SM_MEDIA_NEUTRAL_STATE_FACT has ACTIVE_FLAG from GIM 8.5.116.26 on."""
    sandbox = build(tmp_path, media_neutral_active_flag=False)
    nights = nights_from(FALL_BACK)

    with pytest.raises(VendorError, match=r"the query failed.*ACTIVE_FLAG"):
        extract(sandbox)
    neutral, reasons = vendor_query("genesys_engage").split("UNION ALL")
    neutral = neutral.replace("f.ACTIVE_FLAG AS active_flag", "0 AS active_flag").replace(
        " OR f.ACTIVE_FLAG = 1", "")
    raw = extract(sandbox, query=neutral + "UNION ALL" + reasons)
    assert_nights_match(raw, truth(sandbox, nights), nights)
