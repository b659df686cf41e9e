"""The extract step: what a connector reads over a run's nights, staged whole as one Parquet
file, reaching back to older nights for a vendor that selects records by their end time."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.frames import RAW_EVENT_COLUMNS, conform_raw_events, empty_raw_events
from agent_status.nights import night_for_date, nights_for_run
from agent_status.pipeline.extract import extract

UTC = dt.timezone.utc


def integration(vendor: str) -> Integration:
    return Integration(name=f"x_{vendor}", vendor=vendor, conn_id="c", timezone="UTC",
                       start_date=dt.date(2026, 11, 1), lookback_nights=1)


def record(user: str, start: str, end: str | None) -> dict:
    return {"external_user_id": user, "vendor_activity_id": "READY",
            "vendor_activity_name": "Ready", "reason": None,
            "start_utc": pd.Timestamp(start, tz="UTC"),
            "end_utc": pd.Timestamp(end, tz="UTC") if end else pd.NaT}


class FakeVendor:
    """Yields its records in chunks of two: those ending in the window (``by="end"``, as
    Talkdesk) or overlapping it; ``fail_after`` chunks, it raises."""

    def __init__(self, records: list[dict], by: str = "overlap", fail_after: int | None = None):
        self.records, self.by, self.fail_after = records, by, fail_after
        self.windows: list[tuple[dt.datetime, dt.datetime]] = []

    def extract(self, start, end):
        self.windows.append((start, end))
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        if self.by == "end":
            rows = [r for r in self.records if r["end_utc"] is not pd.NaT
                    and start <= r["end_utc"] < end]
        else:
            rows = [r for r in self.records if r["start_utc"] < end
                    and (r["end_utc"] is pd.NaT or r["end_utc"] > start)]
        for n, at in enumerate(range(0, len(rows), 2)):
            if self.fail_after is not None and n >= self.fail_after:
                raise RuntimeError("vendor went away")
            yield conform_raw_events(pd.DataFrame(rows[at:at + 2], columns=RAW_EVENT_COLUMNS))


def staged(path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values(["external_user_id", "start_utc"]).reset_index(
        drop=True)


def run_nights(item: Integration, day: int):
    start = dt.datetime(2026, 11, day, tzinfo=UTC)
    return nights_for_run(item, start, start + dt.timedelta(days=1))


def test_one_read_over_the_run_nights_staged_whole(tmp_path):
    item = integration("vonage")
    nights = run_nights(item, 10)  # the 10th and its lookback night, the 9th
    rows = [record("a", "2026-11-09 08:00", "2026-11-09 09:00"),
            record("b", "2026-11-09 23:00", "2026-11-10 01:00"),
            record("c", "2026-11-10 12:00", None),
            # started nights earlier: an overlap vendor sends it with the run's window, no more
            record("d", "2026-11-05 10:00", "2026-11-09 02:00"),
            record("e", "2026-11-12 10:00", "2026-11-12 11:00")]  # after the run: not read
    vendor = FakeVendor(rows)

    out, count = extract(vendor, item, nights, tmp_path / "raw.parquet")

    assert out == nights
    assert vendor.windows == [(nights[0].start_utc, nights[-1].end_utc)]
    assert count == 4
    expected = conform_raw_events(pd.DataFrame(rows[:4]))
    pd.testing.assert_frame_equal(staged(tmp_path / "raw.parquet"),
                                  expected.sort_values(["external_user_id", "start_utc"])
                                  .reset_index(drop=True), check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.parquet"]


def test_an_end_time_vendor_reaches_back_to_the_night_a_record_started(tmp_path):
    item = integration("talkdesk")
    nights = run_nights(item, 10)
    rows = [record("a", "2026-11-09 08:00", "2026-11-09 09:00"),
            # ends in the run, started on the 6th: the 6th..8th are read and replaced again
            record("b", "2026-11-06 15:08", "2026-11-10 07:34"),
            record("c", "2026-11-07 09:00", "2026-11-07 10:00"),  # ended on the 7th
            record("z", "2026-11-04 09:00", "2026-11-04 10:00")]  # before the reach-back
    vendor = FakeVendor(rows, by="end")

    out, count = extract(vendor, item, nights, tmp_path / "raw.parquet")

    older = [night_for_date(item, dt.date(2026, 11, d)) for d in (6, 7, 8)]
    assert out == older + nights
    assert vendor.windows == [(nights[0].start_utc, nights[-1].end_utc),
                              (older[0].start_utc, nights[0].start_utc)]
    assert count == 3
    assert list(staged(tmp_path / "raw.parquet").external_user_id) == ["a", "b", "c"]


def test_the_reach_back_stops_at_the_start_date(tmp_path):
    item = integration("talkdesk")
    nights = run_nights(item, 2)
    vendor = FakeVendor([record("b", "2026-10-20 10:00", "2026-11-02 03:00")], by="end")

    out, _ = extract(vendor, item, nights, tmp_path / "raw.parquet")

    assert [n.night_date for n in out] == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    assert len(vendor.windows) == 1  # the 1st is the run's lookback night already


def test_an_overlap_vendor_never_reaches_back(tmp_path):
    item = integration("vonage")
    vendor = FakeVendor([record("b", "2026-11-06 15:08", "2026-11-10 07:34")])
    out, count = extract(vendor, item, run_nights(item, 10), tmp_path / "raw.parquet")
    assert [n.night_date.day for n in out] == [9, 10] and count == 1
    assert len(vendor.windows) == 1


def test_a_closed_night_stages_an_empty_file_of_the_raw_shape(tmp_path):
    item = integration("vonage")
    out, count = extract(FakeVendor([]), item, run_nights(item, 10), tmp_path / "raw.parquet")
    assert count == 0 and len(out) == 2
    frame = pd.read_parquet(tmp_path / "raw.parquet")
    assert list(frame.columns) == RAW_EVENT_COLUMNS and frame.empty
    assert dict(frame.dtypes) == dict(empty_raw_events().dtypes)


def test_a_failed_read_leaves_no_file_behind(tmp_path):
    item = integration("vonage")
    rows = [record(u, "2026-11-10 08:00", "2026-11-10 09:00") for u in "abcde"]
    with pytest.raises(RuntimeError, match="vendor went away"):
        extract(FakeVendor(rows, fail_after=1), item, run_nights(item, 10),
                tmp_path / "raw.parquet")
    assert list(tmp_path.iterdir()) == []
