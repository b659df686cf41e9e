"""Field checks on their own: each bad value fails naming where, the field and the value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import requests

from agent_status.connectors.base import VendorError
from agent_status.connectors.fields import (as_list, count, count_header, iso_times, iso_z,
                                            objects, texts, utc)


def name(at: int) -> str:
    return f"Vendor x: start of record {at + 1}"


def test_utc_and_iso_z():
    paris = dt.datetime(2026, 10, 25, 2, 30, 0, 123456,
                        tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert utc(paris) == pd.Timestamp("2026-10-25T00:30:00.123456Z")
    assert utc(dt.datetime(2026, 1, 1)) == pd.Timestamp("2026-01-01T00:00Z")  # naive: UTC
    assert iso_z(paris) == "2026-10-25T00:30:00.123Z"
    assert iso_z(paris, "s") == "2026-10-25T00:30:00Z"


def test_as_list():
    assert as_list({"items": [1]}, "items", "V") == [1]
    assert as_list({"items": None}, "items", "V") == [] == as_list({}, "items", "V")
    with pytest.raises(VendorError, match=r"^V: field 'items' must be a list, got 3$"):
        as_list({"items": 3}, "items", "V")
    with pytest.raises(VendorError, match=r"^V: expected a JSON object, got \[1\]$"):
        as_list([1], "items", "V")


def test_count_reads_dotted_fields_and_refuses_what_is_no_count():
    assert count({"meta": {"totalCount": 4}}, "meta.totalCount", "V") == 4
    assert count({"meta": None}, "meta.totalCount", "V") is None
    assert count({}, "total", "V") is None
    for bad in (-1, True, "4", 2.0):
        with pytest.raises(VendorError, match=rf"^V: field total must be a count, got "):
            count({"total": bad}, "total", "V")


def test_count_header():
    response = requests.Response()
    response.headers.update({"Total": "12", "Per-Page": " ", "Bad": "x1"})
    assert count_header(response, "Total", "V") == 12
    assert count_header(response, "Per-Page", "V") is None
    assert count_header(response, "Absent", "V") is None
    with pytest.raises(VendorError, match=r"^V: header Bad is not a number: 'x1'$"):
        count_header(response, "Bad", "V")


def test_objects():
    assert objects([{"a": 1}], "V") == [{"a": 1}]
    with pytest.raises(VendorError, match=r"^V: '\[1\]' is not an object$"):
        objects([{}, [1]], "V")
    with pytest.raises(VendorError, match=r"^V: 'None' is not an object$"):
        objects([{}, None], "V")  # a null in the list is no object either


def test_texts_names_the_first_bad_value():
    assert texts(pd.Series(["a", "b"]), name).tolist() == ["a", "b"]
    assert texts(pd.Series(["a", 7]), name, numbers=True).tolist() == ["a", 7]
    for values, shown in ((["a", " "], "' '"), (["a", None], "None"), (["a", 7], "7"),
                          (["a", True], "True")):
        with pytest.raises(VendorError, match=rf"^Vendor x: start of record 2: {shown}$"):
            texts(pd.Series(values, dtype=object), name)


def test_iso_times():
    values = pd.Series(["2026-10-25T08:00:00Z", "2026-10-25T10:00:00.250+02:00", None])
    parsed = iso_times(values, name, required=False)
    assert str(parsed.dtype) == "datetime64[us, UTC]"
    assert parsed.iloc[1] == pd.Timestamp("2026-10-25T08:00:00.250Z") and pd.isna(parsed.iloc[2])
    with pytest.raises(VendorError, match=r"^Vendor x: start of record 3: None$"):
        iso_times(values, name, required=True)
    for bad, shown in (("25/10/2026 08:00", "'25/10/2026 08:00'"), (1761379200, "1761379200")):
        with pytest.raises(VendorError, match=rf"^Vendor x: start of record 2: {shown}$"):
            iso_times(pd.Series(["2026-10-25T08:00:00Z", bad], dtype=object), name,
                      required=False)


def test_record_columns_take_arrows_path_or_the_checked_one_alike():
    from agent_status.connectors.fields import record_columns

    def where(frame, field, at):
        return f"V {field} of record {frame.id.iloc[at]}"

    def read(records):
        return record_columns(records, {"code": True, "id": False},
                              {"start": True, "end": False}, where)

    good = [{"id": "a", "code": "X", "start": "2026-10-25T08:00:00Z"},
            {"id": "b", "code": "Y", "start": "2026-10-25T10:00:00+02:00",
             "end": "2026-10-25T08:30:00.250Z"}]
    arrow = read(good)
    slow = read(good + [{"id": "c", "code": "Z", "start": "2026-10-25T09:00:00.000000001Z"}])
    assert list(arrow.columns) == ["code", "id", "start", "end"]
    pd.testing.assert_frame_equal(slow.iloc[:2], arrow)
    assert arrow.start.iloc[1] == pd.Timestamp("2026-10-25T08:00Z") and pd.isna(arrow.end[0])
    with pytest.raises(VendorError, match=r"^V code of record b: ' '$"):
        read([good[0], {**good[1], "code": " "}])
    with pytest.raises(VendorError, match=r"^V start of record b: None$"):
        read([good[0], {**good[1], "start": None}])
    with pytest.raises(VendorError, match=r"^V end of record b: 'soon'$"):
        read([good[0], {**good[1], "end": "soon"}])


def test_json_table_reads_one_document_or_says_it_cannot():
    """Arrow reads one JSON document into the declared columns, skipping other fields; a
    document it cannot read so (another type than declared, a field twice, several documents,
    not JSON) is None, for the caller's checked path."""
    import pyarrow as pa

    from agent_status.connectors.fields import all_present, json_table

    schema = pa.schema([("items", pa.list_(pa.struct([("id", pa.string())]))),
                        ("total", pa.int64())])
    table = json_table(b'{"items": [{"id": "a", "x": {"deep": [1]}}, {"id": " "}],\n'
                       b' "total": 2, "other": null}\n', schema)
    assert table.to_pylist() == [{"items": [{"id": "a"}, {"id": " "}], "total": 2}]
    for refused in (b'{"items": [{"id": 1}]}', b'{"total": 1, "total": 2}',
                    b'{"total": 1}{"total": 2}', b'{"total": 1.5}', b"<html>", b"", b"[1]"):
        assert json_table(refused, schema) is None, refused
    assert all_present(pa.array(["a", "b", "a"]))
    assert not all_present(pa.array(["a", None]))
    assert not all_present(pa.array(["a", " \t"]))
