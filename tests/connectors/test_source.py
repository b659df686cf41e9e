"""The source loop on its own, with a vendor of a few lines: windows -> read -> parse (in
chunks) -> events -> overlapping -> identify -> canonical raw events; and the paging loop."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from agent_status.config import Integration
from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.http import RetryPolicy
from agent_status.connectors.paging import Page, PageNumberPaginator
from agent_status.connectors.registry import Option, VendorSpec
from agent_status.connectors.source import Directory, RestSource, Source, overlapping
from agent_status.connectors.windows import Windows
from agent_status.frames import RAW_EVENT_COLUMNS

T = dt.datetime(2026, 10, 25, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)
SPEC = VendorSpec(name="toy", label="Toy", identifier="email", access="rest", module="x:Y",
                  options={"hours": Option(int, 2, "hours per window", 1, 4)})


def integration(**options):
    return Integration("toy_test", "toy", "toy_conn", "UTC", dt.date(2026, 10, 1),
                       options=options)


class Toy(Source):
    """Records ``(user, hour offset, hours)``; a page per hour of the window."""

    spec = SPEC
    checked_options = ("hours",)

    def __init__(self, records, chunk_records=None, **options):
        super().__init__(ConnectionInfo("toy_conn"), integration(**options))
        self.records, self.chunk_records = records, chunk_records
        self.windows = Windows(dt.timedelta(hours=self.options["hours"]), lookback=H)
        self.asked, self.chunks = [], []
        self.directory = Directory(lambda: {"u1": "one@x", "u2": "two@x"},
                                   "Toy: {count} user(s) unknown")

    def read(self, window):
        self.asked.append(window)
        lo, hi = window
        for hour in range(int((hi - lo) / H)):
            yield [r for r in self.records if T + r[1] * H == lo + hour * H]

    def parse(self, pages):
        self.chunks.append(sum(len(p) for p in pages))
        rows = [r for page in pages for r in page]
        return pd.DataFrame({"external_user_id": [r[0] for r in rows],
                             "vendor_activity_id": "A", "vendor_activity_name": "A",
                             "reason": None,
                             "start_utc": [pd.Timestamp(T + r[1] * H) for r in rows],
                             "end_utc": [pd.Timestamp(T + (r[1] + r[2]) * H) for r in rows]},
                            columns=RAW_EVENT_COLUMNS)


def test_the_loop_reads_every_window_keeps_what_overlaps_and_identifies_it():
    toy = Toy([("u1", -1, 1), ("u1", -1, 2), ("u2", 0, 1), ("u2", 3, 1), ("u9", 5, 1)])
    frames = list(toy.extract(T, T + 4 * H))
    assert len(frames) == 1 and list(frames[0].columns) == RAW_EVENT_COLUMNS
    assert toy.asked == [(T - H, T + H), (T + H, T + 3 * H), (T + 3 * H, T + 4 * H)]
    events = frames[0]
    # (u1, -1, 1) ends where the interval starts: not overlapping; u9 is never read
    assert list(zip(events.external_user_id, events.start_utc)) == [
        ("one@x", pd.Timestamp(T - H)), ("two@x", pd.Timestamp(T)),
        ("two@x", pd.Timestamp(T + 3 * H))]
    assert str(events.start_utc.dtype) == "datetime64[us, UTC]"


def test_records_are_parsed_a_chunk_at_a_time():
    toy = Toy([("u1", h, 1) for h in range(4)] * 2, chunk_records=3)
    events = next(toy.extract(T, T + 4 * H))
    assert toy.chunks == [4, 4]  # each page empty or of 2 records: parsed at 4 held
    assert len(events) == 8


def test_an_unknown_user_fails_naming_it_and_nothing_read_is_empty():
    with pytest.raises(VendorError, match=r"^Toy: 1 user\(s\) unknown: u7$"):
        next(Toy([("u7", 0, 1)]).extract(T, T + H))
    toy = Toy([])
    events = next(toy.extract(T, T + H))
    assert events.empty and list(events.columns) == RAW_EVENT_COLUMNS and toy.chunks == [0]


def test_checked_options_fail_at_init_naming_the_integration():
    with pytest.raises(VendorError, match=r"integration toy_test: option 'hours' must be at "
                                          r"most 4, got 9"):
        Toy([], hours=9)


def test_overlapping_keeps_open_events():
    frame = pd.DataFrame({"start_utc": pd.to_datetime([T - H, T - 2 * H, T + H], utc=True),
                          "end_utc": pd.to_datetime([None, T - H, T + 2 * H], utc=True)})
    assert overlapping(frame, T, T + H).start_utc.tolist() == [pd.Timestamp(T - H)]


class Http:
    retry, sleep = RetryPolicy(max_attempts=3, backoff_seconds=0.0), staticmethod(lambda s: None)


class ToyRest(RestSource):
    spec, vendor = SPEC, "Toy"

    def __init__(self):
        super().__init__(ConnectionInfo("toy_conn"), integration())
        self.http = Http()


def test_the_paging_loop_asks_again_for_a_page_the_paginator_calls_retriable():
    served = {1: [[1, 2]], 2: [[1, 2], [3, 4]], 3: [[]]}  # page 2 repeats page 1 once
    asked = []

    def fetch(number):
        asked.append(number)
        return Page(served[number].pop(0))

    pager = PageNumberPaginator("Toy things", 2, 10)
    assert list(ToyRest().pages(pager, fetch)) == [[1, 2], [3, 4], []]
    assert asked == [1, 2, 2, 3]


def test_call_names_the_vendor():
    def fail():
        raise VendorError("HTTP 403 forbidden")

    with pytest.raises(VendorError, match=r"^Toy GET /things: HTTP 403 forbidden$"):
        ToyRest().call("GET /things", fail)


def test_agents_whose_first_status_starts_inside_the_interval_are_warned_about(caplog):
    class Warning(Toy):
        lookback_option = "lookback_hours"

    toy = Warning([("u1", -1, 2), ("u2", 2, 1), ("u3", 3, 1)])
    toy.directory = Directory(lambda: {"u1": "one@x", "u2": "two@x", "u3": "three@x"}, "")
    with caplog.at_level("WARNING", logger=__name__):
        next(toy.extract(T, T + 4 * H))
    assert toy.warnings == [
        "Toy: 2 agent(s) have no status starting in the 0.0416667 day(s) read before "
        "2026-10-25T00:00:00Z (option lookback_hours), so their status at that time is unknown "
        "until their first one: a status begun earlier is missing, unless they are new; raise "
        "lookback_hours if it covers a longer absence: two@x (from 2026-10-25 02:00Z), three@x "
        "(from 2026-10-25 03:00Z)"]
    assert toy.warnings[0] in caplog.text
    toy.records = [("u1", -1, 2)]
    next(toy.extract(T, T + 4 * H))
    assert toy.warnings == []
