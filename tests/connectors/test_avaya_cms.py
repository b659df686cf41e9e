"""Avaya CMS contract (vendors.md 9): SQL over the CMS agent trace in local time, exact across
DST, against every rendering of the contested details: numeric or named work modes, the time
column's name and encoding, blank-padded logins, with or without WMODE_SEQ."""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.config import Integration
from agent_status.connectors.base import VendorError, build_connector
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status_dev.sandboxes.avaya_cms import AvayaCmsSandbox
from agent_status_dev.simulator import Simulator, clip

COLS = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]
FALL_BACK, SPRING_FORWARD, SUMMER = dt.date(2026, 11, 1), dt.date(2026, 3, 8), dt.date(2026, 6, 10)
# each contested detail rendered the other way than the defaults (numeric, EVENT_TIME, hhmmss,
# CHAR(10), WMODE_SEQ)
VARIANTS = {
    "defaults": {},
    "named-workmodes": {"workmode": "names"},
    "starttime-column": {"time_column": "STARTTIME"},
    "seconds-since-midnight": {"time_encoding": "seconds"},
    "unpadded-logins": {"logid_width": None},
    "wide-char-logins": {"logid_width": 16},
    "no-wmode-seq": {"sequence": False},
}


def integration(**options):
    return Integration(name="av", vendor="avaya_cms", conn_id="x", timezone="America/New_York",
                       start_date=dt.date(2026, 1, 1), options=options)


def sandbox_for(tmp_path, day, agents=15, **variant) -> AvayaCmsSandbox:
    sandbox = AvayaCmsSandbox(Simulator(seed=3, agent_count=agents, timezone="America/New_York"),
                              path=tmp_path / "cms.sqlite", **variant)
    sandbox.build(day, day)
    return sandbox


def extract(sandbox, day, **options) -> tuple[pd.DataFrame, object]:
    integ = integration(**{**sandbox.options(), **options})
    night = night_for_date(integ, day)
    return pd.concat(build_connector(integ, sandbox.connection()).extract(
        night.start_utc, night.end_utc)), night


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COLS].astype({"reason": object}).fillna({"reason": ""}).reset_index(drop=True)


def assert_night_matches_truth(sandbox, day, **options) -> pd.DataFrame:
    raw, night = extract(sandbox, day, **options)
    got = normalise(raw, night)
    want = clip(sandbox.expected(night.start_utc, night.end_utc), night.start_utc, night.end_utc)
    assert len(want) > 0
    pd.testing.assert_frame_equal(tidy(got), tidy(want), check_dtype=False)
    return got


def table(sandbox) -> pd.DataFrame:
    engine = sa.create_engine(sandbox.url)
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sa.text("SELECT * FROM ag_actv"), connection)
    finally:
        engine.dispose()


def execute(sandbox, statement: str, **params) -> None:
    engine = sa.create_engine(sandbox.url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement), params)
    engine.dispose()


@pytest.mark.parametrize("day,hours", [(FALL_BACK, 25), (SPRING_FORWARD, 23), (SUMMER, 24)])
def test_nights_exact_including_dst(tmp_path, day, hours):
    sandbox = sandbox_for(tmp_path, day)
    night = night_for_date(integration(), day)
    assert (night.end_utc - night.start_utc) == dt.timedelta(hours=hours)

    got = assert_night_matches_truth(sandbox, day)

    if hours == 25:  # night-shift agents really worked through the repeated hour
        repeated = got[(got.start_utc >= pd.Timestamp("2026-11-01 05:00", tz="UTC"))
                       & (got.start_utc < pd.Timestamp("2026-11-01 07:00", tz="UTC"))]
        assert len(repeated) > 10


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_rendering_of_the_trace_is_read_exactly_on_the_fall_back_night(tmp_path, variant):
    sandbox = sandbox_for(tmp_path, FALL_BACK, **VARIANTS[variant])
    rendered = table(sandbox)
    # the rendering really is the variant
    assert pd.api.types.is_integer_dtype(rendered.WORKMODE) == (sandbox.workmode == "numeric")
    assert sandbox.time_column in rendered.columns
    assert rendered.LOGID.str.endswith(" ").any() == bool(sandbox.logid_width)
    assert ("WMODE_SEQ" in rendered.columns) == sandbox.sequence

    assert_night_matches_truth(sandbox, FALL_BACK)


def test_the_trace_in_any_row_order_is_placed_exactly(tmp_path):
    """The database returns a day's rows in no particular order: the repeated hour is placed
    from the chain of durations, not from the order rows arrive in (local_time)."""
    sandbox = sandbox_for(tmp_path, FALL_BACK)
    for statement in ("CREATE TABLE shuffled AS SELECT * FROM ag_actv "
                      "ORDER BY (rowid * 7919) % 1009 DESC",
                      "DELETE FROM ag_actv", "INSERT INTO ag_actv SELECT * FROM shuffled"):
        execute(sandbox, statement)
    rendered = table(sandbox)
    assert not rendered.EVENT_TIME.is_monotonic_increasing

    assert_night_matches_truth(sandbox, FALL_BACK)


@pytest.mark.parametrize("seed", [0, 1])
def test_states_sharing_a_wall_second_of_both_occurrences_follow_wmode_seq(tmp_path, seed):
    """9.3: WMODE_SEQ orders events of one second. At 01:05:00, 01:10:00 ... of both
    occurrences an agent has a state of no length and the rest of a longer one: by end times
    both of no length would come first and could swap occurrences; the sequence says which
    happened first. The rows come in any order."""
    sandbox = sandbox_for(tmp_path, FALL_BACK, shared_seconds=True)
    assert sandbox.injected["shared_seconds"] >= 5
    rendered = table(sandbox)
    # four rows in one wall second: of no length first (seq 0), the rest (1), then again
    fourth = rendered[rendered.WMODE_SEQ == 3]
    assert len(fourth) >= sandbox.injected["shared_seconds"]
    assert (rendered[rendered.WMODE_SEQ == 2].DURATION == 0).all()
    execute(sandbox, "CREATE TABLE shuffled AS SELECT * FROM ag_actv "
                     f"ORDER BY (rowid * {7919 + seed * 104}) % 1009 DESC")
    execute(sandbox, "DELETE FROM ag_actv")
    execute(sandbox, "INSERT INTO ag_actv SELECT * FROM shuffled")

    assert_night_matches_truth(sandbox, FALL_BACK)


def test_the_time_encoding_is_the_option_not_a_guess(tmp_path):
    """The same instant written HHMMSS and in seconds: 01:30:00 is 13000 and 5400."""
    hhmmss = table(sandbox_for(tmp_path / "a", SUMMER, agents=3))
    seconds = table(sandbox_for(tmp_path / "b", SUMMER, agents=3, time_encoding="seconds"))
    time = hhmmss.EVENT_TIME
    assert ((time // 10000) * 3600 + (time // 100 % 100) * 60 + time % 100
            == seconds.EVENT_TIME).all()
    assert (hhmmss.EVENT_TIME != seconds.EVENT_TIME).any()


def test_hhmm_times_are_read_to_the_minute(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, time_encoding="hhmm")
    assert table(sandbox).EVENT_TIME.max() < 2400

    raw, night = extract(sandbox, SUMMER)

    want = sandbox.expected(night.start_utc, night.end_utc)
    assert (want.start_utc.dt.second == 0).all()
    got = raw.sort_values(["external_user_id", "start_utc"])
    pd.testing.assert_frame_equal(tidy(got), tidy(want.sort_values(["external_user_id",
                                                                    "start_utc"])),
                                  check_dtype=False)


@pytest.mark.parametrize("rendered,read,value", [
    ("seconds", "hhmmss", r"\d+ cannot be a time of day in encoding 'hhmmss'"),
    ("hhmmss", "hhmm", r"\d+ cannot be a time of day in encoding 'hhmm'"),
    ("hhmmss", "seconds", r"\d+ cannot be a time of day in encoding 'seconds'"),
])
def test_a_time_outside_the_chosen_encoding_fails_naming_the_value(tmp_path, rendered, read,
                                                                   value):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=6, time_encoding=rendered)

    with pytest.raises(VendorError, match=f"avaya_cms query on avaya_cms_sandbox: EVENT_TIME "
                                          f"value {value}"):
        extract(sandbox, SUMMER, time_encoding=read)


def test_the_minutes_of_a_time_must_be_below_60(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=3)
    execute(sandbox, "UPDATE ag_actv SET EVENT_TIME = 127500 WHERE rowid = 5")  # 12:75:00

    with pytest.raises(VendorError, match="EVENT_TIME value 127500 cannot be a time of day in "
                                          "encoding 'hhmmss'"):
        extract(sandbox, SUMMER)


def test_padded_logins_match_as_administered_keeping_leading_zeros(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=6, logid_width=16)
    assert table(sandbox).LOGID.str.len().eq(16).all()
    before, _ = extract(sandbox, SUMMER)
    login = before.external_user_id.iloc[0]
    execute(sandbox, "UPDATE ag_actv SET LOGID = '0004711   ' WHERE LOGID = :padded",
            padded=login.ljust(16))

    raw, _ = extract(sandbox, SUMMER)

    assert set(before.external_user_id) <= {a.user_name for a in sandbox.simulator.agents}
    assert set(raw.external_user_id) == set(before.external_user_id) - {login} | {"0004711"}


def test_an_unknown_workmode_code_fails_naming_it_unless_mapped(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=3)
    execute(sandbox, "UPDATE ag_actv SET WORKMODE = 7 WHERE WORKMODE = 3")

    with pytest.raises(VendorError, match="WORKMODE 7 is not a known work mode code"):
        extract(sandbox, SUMMER)

    raw, _ = extract(sandbox, SUMMER, workmode_codes={7: "DACW"})
    assert "DACW" in set(raw.vendor_activity_id) and "ACW" not in set(raw.vendor_activity_id)


def test_an_unknown_workmode_name_fails_naming_it(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=3, workmode="names")
    execute(sandbox, "UPDATE ag_actv SET WORKMODE = 'LUNCH' WHERE rowid = 2")

    with pytest.raises(VendorError, match="WORKMODE 'LUNCH' is neither a work mode code"):
        extract(sandbox, SUMMER)


def test_open_states_come_out_open(tmp_path):
    now = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.timezone.utc)
    sandbox = AvayaCmsSandbox(Simulator(seed=3, agent_count=15, timezone="America/New_York"),
                              now=now, path=tmp_path / "cms.sqlite")
    sandbox.build(SUMMER, SUMMER)

    raw, night = extract(sandbox, SUMMER)

    got = normalise(raw, night)
    assert got.is_open.sum() > 0
    assert (got[got.is_open].end_utc == pd.Timestamp(night.end_utc)).all()


def test_a_query_with_wrong_columns_names_the_column(tmp_path):
    sandbox = sandbox_for(tmp_path, SUMMER, agents=3)

    with pytest.raises(VendorError, match=r"lacks column\(s\) \['auxreason'\]"):
        extract(sandbox, SUMMER, query="SELECT logid, workmode, row_date, event_time, duration, "
                                       "wmode_seq FROM ag_actv")
    with pytest.raises(VendorError, match=r"lacks column\(s\) \['STARTTIME'\]"):
        extract(sandbox, SUMMER, time_column="STARTTIME")
