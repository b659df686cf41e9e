"""Nights as tasks hand them on: Night.as_json and Night.from_json, and run intervals as
Airflow gives them (aware datetimes or ISO text)."""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest

from agent_status.config import Integration
from agent_status.nights import Night, night_for_date, nights_for_run

BERLIN = Integration(name="b", vendor="avaya_cms", conn_id="c", timezone="Europe/Berlin",
                     start_date=dt.date(2026, 10, 1), schedule="0 6 * * *", lookback_nights=1)


def test_a_night_survives_json_exactly_dst_nights_too():
    # 25 October 2026 03:00: Berlin leaves summer time, the night of the 24th lasts 25 hours
    for day in (dt.date(2026, 10, 24), dt.date(2026, 10, 25), dt.date(2026, 11, 3)):
        night = night_for_date(BERLIN, day)
        text = json.dumps(night.as_json())
        again = Night.from_json(json.loads(text))
        assert again == night
        assert again.start_utc.utcoffset() == dt.timedelta(0)
        assert again.label == day.isoformat()
    long = night_for_date(BERLIN, dt.date(2026, 10, 24))
    assert long.end_utc - long.start_utc == dt.timedelta(hours=25)
    assert long.as_json() == {"start_utc": "2026-10-24T04:00:00+00:00",
                              "end_utc": "2026-10-25T05:00:00+00:00",
                              "night_date": "2026-10-24"}


def test_from_json_keeps_the_instant_of_an_offset_it_is_given():
    night = Night.from_json({"start_utc": "2026-11-03T07:00:00+01:00",
                             "end_utc": "2026-11-04T07:00:00+01:00", "night_date": "2026-11-03"})
    assert night.start_utc == dt.datetime(2026, 11, 3, 6, tzinfo=dt.timezone.utc)
    assert night.start_utc.tzinfo == dt.timezone.utc


@pytest.mark.parametrize("item,named", [
    ({"start_utc": "2026-11-03T06:00:00+00:00", "night_date": "2026-11-03"}, "end_utc"),
    ({"start_utc": "2026-11-03T06:00:00+00:00", "end_utc": "yesterday",
      "night_date": "2026-11-03"}, "yesterday"),
    ({"start_utc": "2026-11-03T06:00:00", "end_utc": "2026-11-04T06:00:00+00:00",
      "night_date": "2026-11-03"}, "time zone"),
    ({"start_utc": "2026-11-03T06:00:00+00:00", "end_utc": "2026-11-04T06:00:00+00:00",
      "night_date": "2026-02-30"}, "day is out of range"),
])
def test_from_json_refuses_what_is_not_a_night_naming_it(item, named):
    with pytest.raises(ValueError, match="not a staged night") as error:
        Night.from_json(item)
    assert named in str(error.value)


def test_a_run_interval_as_text_pendulum_or_datetime_gives_the_same_nights():
    start, end = (dt.datetime(2026, 11, 3, 5, tzinfo=dt.timezone.utc),
                  dt.datetime(2026, 11, 4, 5, tzinfo=dt.timezone.utc))
    expected = [night_for_date(BERLIN, dt.date(2026, 11, 2)),
                night_for_date(BERLIN, dt.date(2026, 11, 3))]
    assert nights_for_run(BERLIN, start, end) == expected
    assert nights_for_run(BERLIN, start.isoformat(), end.isoformat()) == expected
    assert nights_for_run(BERLIN, pendulum.instance(start).in_tz("Europe/Berlin"),
                          pendulum.instance(end)) == expected
    with pytest.raises(ValueError, match="needs a time zone"):
        nights_for_run(BERLIN, start.replace(tzinfo=None), end)
