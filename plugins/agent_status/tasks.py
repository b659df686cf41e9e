"""What each Airflow task does, over one run's nights. The DAG only wires these to the data
interval and the connections; tasks hand each other file paths (Parquet in the staging folder),
never DataFrames."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
from pathlib import Path

from agent_status import PROJECT_ROOT
from agent_status.config import Integration, get_integration
from agent_status.nights import Night, nights_for_run

log = logging.getLogger(__name__)


def staging_root() -> Path:
    return Path(os.environ.get("AGENT_STATUS_STAGING_DIR", PROJECT_ROOT / "data" / "staging"))


def run_folder(integration: str, run_id: str, attempt_key: str = "") -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)
    return staging_root() / integration / safe


def _nights(integration: Integration, interval_start, interval_end) -> list[Night]:
    return nights_for_run(integration, _as_utc(interval_start), _as_utc(interval_end))


def _as_utc(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return dt.datetime.fromtimestamp(value.timestamp(), tz=dt.timezone.utc)


def extract(integration_name: str, interval_start, interval_end, run_id: str,
            connection=None) -> dict:
    """Read the vendor for the run's nights (its own and the lookback) into staged Parquet.

    A vendor that selects records by their END time (``VendorSpec.selects_by``, Talkdesk 4.3)
    hands over a long status only once it has ended, perhaps nights after it started. When a
    record starts before the run's first night, the run reaches back to the night where it
    starts and reads those older nights again (their other records had ended and come before),
    so transform and load replace each of them whole, as any night: exact and idempotent."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from agent_status.connectors.base import ConnectionInfo, build_connector
    from agent_status.connectors.registry import VENDORS
    from agent_status.frames import empty_raw_events
    from agent_status.nights import nights_before

    integration = get_integration(integration_name)
    nights = _nights(integration, interval_start, interval_end)
    folder = run_folder(integration.name, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    raw_path = folder / "raw.parquet"
    connection = connection or ConnectionInfo.from_airflow(integration.conn_id)
    connector = build_connector(integration, connection)
    writer, rows = None, 0
    tmp_path = raw_path.with_suffix(".parquet.tmp")

    def stage(start: dt.datetime, end: dt.datetime) -> pd.Timestamp | None:
        """Append the vendor's records for ``[start, end)``; the earliest start among them."""
        nonlocal writer, rows
        earliest = None
        for chunk in connector.extract(start, end):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp_path, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(chunk)
            if len(chunk):
                first = chunk.start_utc.min()
                earliest = first if earliest is None else min(earliest, first)
        return earliest

    try:
        earliest = stage(nights[0].start_utc, nights[-1].end_utc)
        if VENDORS[integration.vendor].selects_by == "end_time" and earliest is not None:
            older = nights_before(integration, earliest.to_pydatetime(), nights[0])
            if older:
                log.info("%s: a record ending in this run started on night %s: nights %s..%s "
                         "are read and replaced again", integration.name, older[0].label,
                         older[0].label, older[-1].label)
                stage(older[0].start_utc, nights[0].start_utc)
                nights = older + nights
        if writer is None:
            writer = pq.ParquetWriter(tmp_path, pa.Table.from_pandas(
                empty_raw_events(), preserve_index=False).schema)
    finally:
        connector.close()
        if writer is not None:
            writer.close()
    tmp_path.replace(raw_path)
    log.info("%s: extracted %d raw events for nights %s..%s", integration.name, rows,
             nights[0].label, nights[-1].label)
    return {"integration": integration.name, "run_id": run_id, "raw_path": str(raw_path),
            "raw_events": rows, "nights": [_night_json(n) for n in nights]}


def transform(manifest: dict) -> dict:
    """Normalise, validate, quarantine and remap each night; stage the results per night."""
    import pandas as pd

    from agent_status.connectors.registry import VENDORS
    from agent_status.mappings import read_activity_mappings, read_employee_mappings
    from agent_status.pipeline.normalise import normalise, read_night
    from agent_status.pipeline.quarantine import split_unmapped
    from agent_status.pipeline.remap import remap
    from agent_status.pipeline.validate import COVERAGE_COLUMNS, validate_mappings, validate_night
    from agent_status.warehouse import create_warehouse_engine, ensure_schema, warehouse_url

    integration = get_integration(manifest["integration"])
    spec = VENDORS[integration.vendor]
    overlap_rule = spec.overlap_rule
    engine = create_warehouse_engine(warehouse_url(use_airflow=True))
    ensure_schema(engine)
    employees = read_employee_mappings(engine, integration.name)
    activities = read_activity_mappings(engine, integration.name)
    engine.dispose()
    mapping_report = validate_mappings(employees, integration.name, spec.identifier)
    if not mapping_report.success:
        log.warning("%s: employee mapping checks failed: %s", integration.name,
                    mapping_report.summary()["failed"])
    folder = Path(manifest["raw_path"]).parent
    out_nights = []
    for item in manifest["nights"]:
        night = _night_from_json(item)
        raw = read_night(manifest["raw_path"], night, overlap_rule)  # one night in memory
        segments = normalise(raw, night, overlap_rule)
        del raw
        mapped, quarantined = split_unmapped(segments, employees)
        joined = pd.concat([mapped, quarantined.drop(columns=["quarantine_reason", "hint"])
                            .assign(employee_id=None)], ignore_index=True)
        report = validate_night(joined, integration.name, night, integration.quality,
                                set(activities.vendor_activity_id))
        structural = [r for r in report.failed() if r["column"] not in COVERAGE_COLUMNS]
        if structural:
            raise ValueError(f"{integration.name} night {night.label}: validation failed: "
                             f"{structural}")
        events, defaulted = remap(mapped, activities)
        events_path = folder / f"events_{night.label}.parquet"
        quarantine_path = folder / f"quarantine_{night.label}.parquet"
        events.to_parquet(events_path, index=False)
        quarantined.to_parquet(quarantine_path, index=False)
        validation_rows = [dict(r, suite=s.suite) for s in (mapping_report, report)
                           for r in s.results]
        validation_path = folder / f"validation_{night.label}.json"
        validation_path.write_text(json.dumps({
            # the night's own checks, graded by the integration's thresholds; the mapping
            # suite's findings (e.g. a space at the end of an identifier) are recorded beside
            "success": report.success,
            "summary": [mapping_report.summary(), report.summary()],
            "rows": validation_rows, "data_docs": report.data_docs}))
        out_nights.append({**item, "events_path": str(events_path),
                           "quarantine_path": str(quarantine_path),
                           "validation_path": str(validation_path),
                           "counts": {"events_extracted": len(segments),
                                      "events_loaded": len(events),
                                      "events_quarantined": len(quarantined),
                                      "events_defaulted": defaulted}})
        log.info("%s night %s: %d segments, %d quarantined, %d defaulted to Present",
                 integration.name, night.label, len(segments), len(quarantined), defaulted)
        del segments, mapped, quarantined, joined, events  # before the next night is read
    return {**manifest, "nights": out_nights}


def load(manifest: dict, try_number: int = 1) -> dict:
    """One transaction per night, then replay quarantined events that now map."""
    import pandas as pd
    import sqlalchemy as sa

    from agent_status.pipeline.load import load_night, replay_quarantine
    from agent_status.warehouse import create_warehouse_engine, ensure_schema, query, warehouse_url

    integration = get_integration(manifest["integration"])
    engine = create_warehouse_engine(warehouse_url(use_airflow=True))
    ensure_schema(engine)
    summary = {"integration": integration.name, "nights": []}
    try:
        attempt = None
        for item in manifest["nights"]:
            night = _night_from_json(item)
            validation = json.loads(Path(item["validation_path"]).read_text())
            now = dt.datetime.now(dt.timezone.utc)
            rows = [{"integration": integration.name, "night_date": night.night_date,
                     "run_id": manifest["run_id"], "suite": r["suite"],
                     "expectation": r["expectation"], "column_name": r["column"],
                     "success": r["success"], "element_count": r["element_count"],
                     "unexpected_count": r["unexpected_count"], "validated_at": now}
                    for r in validation["rows"]]
            attempt = load_night(
                engine, integration=integration.name, vendor=integration.vendor, night=night,
                run_id=manifest["run_id"], try_number=try_number,
                events=pd.read_parquet(item["events_path"]),
                quarantined=pd.read_parquet(item["quarantine_path"]),
                run={**item["counts"], "validation_success": validation["success"],
                     "validation_summary": json.dumps(validation["summary"]),
                     "data_docs": validation["data_docs"]},
                validation_rows=rows)
            summary["nights"].append({"night": night.label, **item["counts"]})
        summary["replayed"] = replay_quarantine(engine, integration.name)
        with engine.begin() as connection:
            connection.execute(sa.text(query("import_runs_set_replayed")),
                {"n": summary["replayed"], "i": integration.name, "r": manifest["run_id"],
                 "a": attempt, "d": manifest["nights"][-1]["night_date"]})
    finally:
        engine.dispose()
    shutil.rmtree(Path(manifest["raw_path"]).parent, ignore_errors=True)
    return summary


def record_failure(integration_name: str, interval_start, interval_end, run_id: str,
                   task_id: str, try_number: int, error: str) -> None:
    from agent_status.pipeline.load import record_failure as write_failure
    from agent_status.warehouse import create_warehouse_engine, ensure_schema, warehouse_url

    integration = get_integration(integration_name)
    engine = create_warehouse_engine(warehouse_url(use_airflow=True))
    try:
        ensure_schema(engine)
        write_failure(engine, integration=integration.name, vendor=integration.vendor,
                      nights=_nights(integration, interval_start, interval_end), run_id=run_id,
                      task_id=task_id, try_number=try_number, error=error)
    finally:
        engine.dispose()


def _night_json(night: Night) -> dict:
    return {"start_utc": night.start_utc.isoformat(), "end_utc": night.end_utc.isoformat(),
            "night_date": night.night_date.isoformat()}


def _night_from_json(item: dict) -> Night:
    return Night(dt.datetime.fromisoformat(item["start_utc"]),
                 dt.datetime.fromisoformat(item["end_utc"]),
                 dt.date.fromisoformat(item["night_date"]))


def quality_gate(summary: dict) -> dict:
    """Each loaded night's quality level (quality.py), the quarantine alert, the asset extras."""
    from agent_status.quality import assess

    integration = get_integration(summary["integration"])
    verdicts = [assess(str(item["night"]), item, integration.quality)
                for item in summary["nights"]]
    threshold = (integration.alerts or {}).get("quarantine_share_above")
    alert = []
    for item in summary["nights"]:
        total = int(item.get("events_loaded") or 0) + int(item.get("events_quarantined") or 0)
        share = int(item.get("events_quarantined") or 0) / total if total else 0.0
        if threshold is not None and share > threshold:
            alert.append(f"night {item['night']}: {item['events_quarantined']} of {total} events "
                         f"quarantined ({share:.1%} > {threshold:.0%})")
    for line in [r for v in verdicts if v.level != "passed" for r in v.reasons]:
        log.warning("%s: %s", integration.name, line)
    return {
        "nights": [v.as_dict() for v in verdicts],
        "failed": [v.as_dict() for v in verdicts if v.level == "failed"],
        "warnings": [v.as_dict() for v in verdicts if v.level == "warning"],
        "alert": alert,
        "asset_extra": {
            "integration": integration.name, "vendor": integration.vendor,
            "nights": [{**{k: item.get(k) for k in ("night", "events_extracted", "events_loaded",
                                                      "events_quarantined", "events_defaulted")},
                        "quality": v.level} for item, v in zip(summary["nights"], verdicts)],
            "events_replayed": summary.get("replayed", 0),
        },
    }
