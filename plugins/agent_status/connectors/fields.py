"""Field checks for what a vendor answers: each bad value fails naming where, which field and
the value, never as a bare pandas error, a silent NaT or a dropped record (issue 8).

``where`` arguments are messages' beginnings ("Vonage GET /stats/wfm/agent-states ..."); a
``name`` argument is a function from a row's position to the words naming that row's field.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from agent_status.connectors.base import VendorError
from agent_status.frames import utc  # noqa: F401 - the connectors' UTC, kept where frames keep it


def iso_z(moment: dt.datetime, unit: str = "ms") -> str:
    """``2026-10-24T22:00:00.000Z`` (``unit`` "ms") or ``2026-10-24T22:00:00Z`` ("s")."""
    text = utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return {"ms": text[:-3], "s": text[:-7]}[unit] + "Z"


def as_list(answer: Any, field: str, where: str) -> list[Any]:
    """``answer[field]`` as a list (absent or null: empty); anything else fails naming it."""
    if not isinstance(answer, dict):
        raise VendorError(f"{where}: expected a JSON object, got {str(answer)[:200]}")
    value = answer.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise VendorError(f"{where}: field {field!r} must be a list, got {str(value)[:200]}")
    return value


def count(answer: dict[str, Any], field: str, where: str) -> int | None:
    """A count the vendor gives (``field`` may be dotted: ``meta.totalCount``); None when not
    given; anything but a non-negative integer fails naming it."""
    value: Any = answer
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise VendorError(f"{where}: field {field} must be a count, got {value!r}")
    return value


def json_table(content: bytes, schema) -> Any:
    """One JSON document read by Arrow's JSON reader into ``schema``'s columns: C++, no Python
    object per value (issue 10); fields ``schema`` does not declare are skipped. None when Arrow
    cannot read it so (a value of another type than declared, a field given twice, several
    documents, not JSON at all): the caller then decodes it as plain JSON and takes its checked
    path, which names what is wrong."""
    import pyarrow as pa
    import pyarrow.json as pj

    if content.lstrip()[:1] != b"{":  # Arrow 26 crashes on a bare ``null`` (apache/arrow#47409)
        return None
    try:
        table = pj.read_json(pa.BufferReader(content), read_options=pj.ReadOptions(
            use_threads=False, block_size=len(content) + 1), parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore", newlines_in_values=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return table if table.num_rows == 1 else None


def all_present(values) -> bool:
    """Arrow text values none missing, none blank (Python's ``strip``, as ``texts``): checked on
    the distinct values only."""
    import pyarrow.compute as pc

    return values.null_count == 0 and all(
        text.strip() for text in pc.unique(values).to_pylist())


def valid_text(*arrays) -> bool:
    """Arrow text arrays all valid UTF-8 (Arrow's JSON reader passes invalid bytes through,
    where a JSON parser refuses the document)."""
    import pyarrow as pa

    try:
        for array in arrays:
            array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def count_header(response, header: str, where: str) -> int | None:
    """A count sent as a header (``Total``, ``Per-Page``); None when not sent."""
    value = response.headers.get(header)
    if value is None or not str(value).strip():
        return None
    try:
        return int(value)
    except ValueError as error:
        raise VendorError(f"{where}: header {header} is not a number: {value!r}") from error


def objects(items: list[Any], where: str) -> list[dict[str, Any]]:
    """``items``, each of them a JSON object; the first that is not fails naming it."""
    for item in items:
        if not isinstance(item, dict):  # null too
            raise VendorError(f"{where}: {str(item)[:200]!r} is not an object")
    return items


def reject(bad: pd.Series, values: pd.Series, name: Callable[[int], str]) -> None:
    """Fail on the first ``bad`` row: ``name(position)``, then its value (absent: None)."""
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        value = values.iloc[position]
        if isinstance(value, float) and value != value:  # NaN: the field is absent
            value = None
        raise VendorError(f"{name(position)}: {value!r}")


def texts(values: pd.Series, name: Callable[[int], str], *, numbers: bool = False) -> pd.Series:
    """A required text field (``numbers``: integers too): absent, blank or another type fails."""
    kinds = (str, int) if numbers else (str,)
    reject(~values.map(lambda v: isinstance(v, kinds) and not isinstance(v, bool)
                       and str(v).strip() != ""), values, name)
    return values.astype(object)


def iso_times(values: pd.Series, name: Callable[[int], str], *, required: bool) -> pd.Series:
    """ISO-8601 text as UTC microsecond times; absent (NaT) only where not ``required``
    (the end of an open status). A value that is not such text fails naming it."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna() & (values.notna() | required)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        # only a column holding non-text values pays a Python call per value (issue 10)
        bad |= values.map(lambda v: v is not None and v == v and not isinstance(v, str))
    reject(bad, values, name)
    return parsed.astype("datetime64[us, UTC]")


def hms_seconds(values: pd.Series, where: str, field: str) -> pd.Series:
    """``HH:MM:SS`` durations (hours may pass 24) as seconds."""
    parts = values.str.strip().str.extract(r"^(\d+):(\d{2}):(\d{2})$")
    bad = parts[0].isna()
    if bad.any():
        raise VendorError(f"{where}: {field} must be HH:MM:SS, got e.g. "
                          f"{values[bad].iloc[0]!r}")
    parts = parts.astype("int64")
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def wall_datetimes(dates: pd.Series, clocks: pd.Series, formats: dict[str, str], where: str,
                   fields: tuple[str, str] = ("DATE", "TIME")) -> pd.Series:
    """A date and an ``HH:MM:SS`` time of day as naive wall time; each date in any of
    ``formats`` (strptime pattern -> how a message shows it), row by row."""
    date, clock = dates.str.strip(), clocks.str.strip()
    day = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[us]")
    for pattern in formats:
        day = day.fillna(pd.to_datetime(date, format=pattern, errors="coerce"))
    if day.isna().any():
        raise VendorError(f"{where}: {fields[0]} must be {' or '.join(formats.values())}, got "
                          f"{date[day.isna()].iloc[0]!r}")
    bad = ~clock.str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d")
    if bad.any():
        raise VendorError(f"{where}: {fields[1]} must be HH:MM:SS, got {clock[bad].iloc[0]!r}")
    return day + pd.to_timedelta(clock)


def csv_frame(text: str, columns: dict[str, str], where: str) -> pd.DataFrame:
    """CSV text (all of it text, nothing read as missing) holding ``columns``, checked as a
    query's result is (``sql.require_columns``); no text at all: no rows."""
    from agent_status.connectors.sql import require_columns

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({column: [] for column in columns}, dtype=object)
    frame.columns = [str(c).strip() for c in frame.columns]
    return require_columns(frame, columns, where)


def report_frame(content: bytes, columns: dict[str, str], where: str, key: str
                 ) -> pd.DataFrame:
    """A downloaded report's rows holding ``columns``, checked as ``csv_frame`` checks them:
    JSON (a list of records, or one under ``key``) or CSV, told apart by the first character."""
    from agent_status.connectors.sql import require_columns

    text = content.decode("utf-8")
    if text.lstrip()[:1] not in ("{", "["):
        return csv_frame(text, columns, where)
    document = json.loads(text)
    entries = document.get(key, []) if isinstance(document, dict) else document
    return require_columns(pd.DataFrame(entries, columns=None if entries else list(columns)),
                           columns, where)


def record_columns(records: list[dict[str, Any]], texts_required: dict[str, bool],
                   times_required: dict[str, bool],
                   name: Callable[[pd.DataFrame, str, int], str]) -> pd.DataFrame:
    """Records as columns named by their fields: text as objects, ISO-8601 times as UTC.

    Arrow's C++ code reads them, not one Python call per value (issue 10). Records Arrow
    cannot read (a time in nanoseconds, a value that is not text), or with a required field
    missing, take the checked pandas path, where the first bad value fails: ``name(frame,
    field, position)`` names it (texts are checked before times, each in the order given)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = [*texts_required, *times_required]
    try:
        table = pa.Table.from_pylist(records, schema=pa.schema([(f, pa.string())
                                                                for f in fields]))
        stamp = pa.timestamp("us", "UTC")
        columns = {f: pd.Series(table[f].to_numpy(), dtype=object) for f in texts_required}
        columns.update({f: pd.Series(pc.cast(table[f], stamp).to_pandas(types_mapper=None),
                                     dtype="datetime64[us, UTC]") for f in times_required})
        frame = pd.DataFrame(columns)[fields]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        frame = None
    if frame is not None and not any(frame[f].isna().any() for f, need in times_required.items()
                                     if need) and all(_present(frame[f]) for f, need
                                                      in texts_required.items() if need):
        return frame
    raw = pd.DataFrame(records, columns=fields, dtype=object)
    columns = {f: texts(raw[f], lambda at, f=f: name(raw, f, at)) if need
               else raw[f].astype(object) for f, need in texts_required.items()}
    columns.update({f: iso_times(raw[f], lambda at, f=f: name(raw, f, at), required=need)
                    for f, need in times_required.items()})
    return pd.DataFrame(columns)[fields]


def _present(values: pd.Series) -> bool:
    text = values.astype("string")  # vectorised: no Python call per value
    return bool(text.notna().all() and text.str.strip().ne("").all())
