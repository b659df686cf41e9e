"""Employee external IDs and activity mappings: read, import and export as CSV.

A CSV is checked whole before anything is written: a bad row is reported with its line number
and nothing is half-imported. Importing replaces the integration's mapping in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from agent_status.warehouse import query

EMPLOYEE_FIELDS = ["employee_id", "external_employee_id", "external_user_id"]
# local@domain.tld: no spaces, one @, a dot in the domain; edge spaces are checked apart (they
# are significant in identifiers and only warned about, vendors.md 0.1)
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
ACTIVITY_FIELDS = ["vendor_activity_id", "activity_id", "classification", "activity_name"]


class MappingFileError(ValueError):
    """A CSV row is wrong; the message gives the file, line and field."""


def read_employee_mappings(engine: sa.Engine, integration: str) -> pd.DataFrame:
    return pd.read_sql_query(sa.text(query("employee_external_ids_select")), engine,
                             params={"i": integration}, dtype=object)


def read_activity_mappings(engine: sa.Engine, integration: str) -> pd.DataFrame:
    return pd.read_sql_query(sa.text(query("activity_mappings_select")), engine,
                             params={"i": integration})


def parse_employee_csv(path: Path | str, identifier: str | None = None) -> pd.DataFrame:
    rows = _read_csv(path, EMPLOYEE_FIELDS)
    seen_user, seen_employee = {}, {}
    for line, row in rows:
        for key in EMPLOYEE_FIELDS:
            if not row[key]:
                raise MappingFileError(f"{path}:{line}: field '{key}' is empty")
        if identifier == "email" and not EMAIL.match(row["external_user_id"].strip(" ")):
            raise MappingFileError(f"{path}:{line}: external_user_id {row['external_user_id']!r} "
                                   "is not an e-mail address, which this vendor matches on")
        for key, seen in (("external_user_id", seen_user), ("external_employee_id", seen_employee)):
            if row[key] in seen:
                raise MappingFileError(f"{path}:{line}: {key} {row[key]!r} already on line "
                                       f"{seen[row[key]]}")
            seen[row[key]] = line
    return pd.DataFrame([row for _, row in rows], columns=EMPLOYEE_FIELDS)


def parse_activity_csv(path: Path | str) -> pd.DataFrame:
    rows = _read_csv(path, ACTIVITY_FIELDS[:3], optional=["activity_name"])
    seen = {}
    out = []
    for line, row in rows:
        if not row["vendor_activity_id"]:
            raise MappingFileError(f"{path}:{line}: field 'vendor_activity_id' is empty")
        for key in ("activity_id", "classification"):
            try:
                row[key] = int(row[key])
            except (TypeError, ValueError):
                raise MappingFileError(f"{path}:{line}: field '{key}' must be an integer, got "
                                       f"{row[key]!r}") from None
        if row["vendor_activity_id"] in seen:
            raise MappingFileError(f"{path}:{line}: vendor_activity_id "
                                   f"{row['vendor_activity_id']!r} already on line "
                                   f"{seen[row['vendor_activity_id']]}")
        seen[row["vendor_activity_id"]] = line
        out.append(row)
    return pd.DataFrame(out, columns=ACTIVITY_FIELDS)


def _read_csv(path, required: list[str], optional: list[str] = ()) -> list[tuple[int, dict]]:
    # keep values exactly as written: spaces are significant in identifiers (vendors.md 0.1)
    path = Path(path)
    if path.is_dir():
        raise MappingFileError(f"{path}: is a directory, not a CSV file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MappingFileError(f"{path}: no such file") from None
    except PermissionError:
        raise MappingFileError(f"{path}: not readable (permission denied)") from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise MappingFileError(f"{path}:{line}: not UTF-8 (byte 0x{error.object[error.start]:02x}"
                               "); save the file as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [f for f in required if f not in header]
    if missing:
        first = text.splitlines()[0] if text.strip() else ""
        if len(header) == 1 and ";" in first:
            raise MappingFileError(f"{path}:1: fields are separated by ';'; use commas "
                                   f"(expected header {','.join(required + list(optional))})")
        raise MappingFileError(f"{path}:1: header lacks column(s) {missing}; expected "
                               f"{required + list(optional)}")
    rows = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise MappingFileError(f"{path}:{line}: more fields than the header has")
        rows.append((line, {k: (row.get(k) if row.get(k) is not None else "")
                            for k in required + list(optional)}))
    if not rows:
        # importing replaces the integration's mapping: an empty file would delete all of it
        raise MappingFileError(f"{path}: no rows under the header; nothing imported (an import "
                               "replaces the integration's whole mapping)")
    return rows


def import_employee_mappings(engine: sa.Engine, integration: str, frame: pd.DataFrame) -> int:
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    with engine.begin() as connection:
        connection.execute(sa.text(query("employee_external_ids_delete")), {"i": integration})
        if len(frame):
            connection.execute(sa.text(query("employee_external_ids_insert")),
                               [{**row, "integration": integration, "now": now}
                                for row in frame[EMPLOYEE_FIELDS].to_dict("records")])
    return len(frame)


def import_activity_mappings(engine: sa.Engine, integration: str, frame: pd.DataFrame) -> int:
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    with engine.begin() as connection:
        for row in frame.drop_duplicates("activity_id").to_dict("records"):
            name = row.get("activity_name") or None
            if name:
                connection.execute(sa.text(query("activities_upsert")),
                                   {"a": int(row["activity_id"]), "n": name})
        known = {r[0] for r in connection.execute(sa.text(query("activities_select_ids")))}
        unknown = sorted(set(frame.activity_id.astype(int)) - known)
        if unknown:
            raise MappingFileError(f"activity id(s) {unknown} do not exist: give an "
                                   "activity_name to create them")
        connection.execute(sa.text(query("activity_mappings_delete")), {"i": integration})
        if len(frame):
            connection.execute(sa.text(query("activity_mappings_insert")), [
                {"integration": integration, "vendor_activity_id": r["vendor_activity_id"],
                 "activity_id": int(r["activity_id"]), "classification": int(r["classification"]),
                 "now": now} for r in frame.to_dict("records")])
    return len(frame)


def unmapped_identifiers(engine: sa.Engine, integration: str | None = None) -> pd.DataFrame:
    """Quarantined identifiers of ``integration`` (None: of every integration)."""
    return pd.read_sql_query(sa.text(query("quarantine_unmapped_identifiers")), engine,
                             params={"integration": integration})


def unmapped_activities(engine: sa.Engine, integration: str | None = None) -> pd.DataFrame:
    """Loaded vendor activities without a mapping of ``integration`` (None: of every one)."""
    return pd.read_sql_query(sa.text(query("events_unmapped_activities")), engine,
                             params={"integration": integration})
