"""Avaya CMS contract: SQL over the CMS agent trace in local time, exact across DST."""

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import VendorError, build_connector
from agent_status.nights import night_for_date
from agent_status.pipeline.normalise import normalise
from agent_status.sandboxes.avaya_cms import AvayaCmsSandbox
from agent_status.simulator import Simulator, clip

COLS = ["external_user_id", "vendor_activity_id", "reason", "start_utc", "end_utc"]


def integration(**options):
    return Integration(name="av", vendor="avaya_cms", conn_id="x", timezone="America/New_York",
                       start_date=dt.date(2026, 1, 1), options=options)


@pytest.mark.parametrize("day,hours", [(dt.date(2026, 11, 1), 25), (dt.date(2026, 3, 8), 23),
                                       (dt.date(2026, 6, 10), 24)])
def test_nights_exact_including_dst(tmp_path, day, hours):
    sandbox = AvayaCmsSandbox(Simulator(seed=3, agent_count=15, timezone="America/New_York"),
                              path=tmp_path / "cms.sqlite")
    sandbox.build(day, day)
    night = night_for_date(integration(), day)
    assert (night.end_utc - night.start_utc) == dt.timedelta(hours=hours)
    raw = pd.concat(build_connector(integration(), sandbox.connection()).extract(
        night.start_utc, night.end_utc))
    got = normalise(raw, night)
    want = clip(sandbox.expected(night.start_utc, night.end_utc), night.start_utc, night.end_utc)
    tidy = lambda f: f[COLS].astype({"reason": object}).fillna({"reason": ""}).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(tidy(got), tidy(want), check_dtype=False)
    if hours == 25:  # night-shift agents really worked through the repeated hour
        repeated = got[(got.start_utc >= pd.Timestamp("2026-11-01 05:00", tz="UTC"))
                       & (got.start_utc < pd.Timestamp("2026-11-01 07:00", tz="UTC"))]
        assert len(repeated) > 10


def test_open_states_come_out_open(tmp_path):
    now = dt.datetime(2026, 6, 10, 16, 0, tzinfo=dt.timezone.utc)
    sandbox = AvayaCmsSandbox(Simulator(seed=3, agent_count=15, timezone="America/New_York"),
                              now=now, path=tmp_path / "cms.sqlite")
    sandbox.build(dt.date(2026, 6, 10), dt.date(2026, 6, 10))
    night = night_for_date(integration(), dt.date(2026, 6, 10))
    raw = pd.concat(build_connector(integration(), sandbox.connection()).extract(
        night.start_utc, night.end_utc))
    got = normalise(raw, night)
    assert got.is_open.sum() > 0
    assert (got[got.is_open].end_utc == pd.Timestamp(night.end_utc)).all()


def test_a_query_with_wrong_columns_names_the_column(tmp_path):
    sandbox = AvayaCmsSandbox(path=tmp_path / "cms.sqlite")
    sandbox.build(dt.date(2026, 6, 10), dt.date(2026, 6, 10))
    bad = integration(query="SELECT logid, workmode, row_date, starttime, duration FROM ag_actv")
    night = night_for_date(bad, dt.date(2026, 6, 10))
    with pytest.raises(VendorError, match=r"lacks column\(s\) \['auxreason'\]"):
        list(build_connector(bad, sandbox.connection()).extract(night.start_utc, night.end_utc))
