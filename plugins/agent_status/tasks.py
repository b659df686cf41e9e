"""What each Airflow task does, over one run's nights: the pipeline's steps (pipeline/) wired to
the interval, the vendor connection, the staging folder (staging.py) and the warehouse. The DAG
factory hands each task its integration, read and checked once when the DAG file is parsed;
tasks hand each other a manifest of staged file paths, never DataFrames."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging

from agent_status.config import Integration
from agent_status.nights import Night, nights_for_run
from agent_status.staging import RunStaging, read_json, write_json, write_parquet

log = logging.getLogger(__name__)
RELEASE_AFTER_ROWS = 100_000  # segments of a night after which its memory is handed back


def extract(integration: Integration, interval_start, interval_end, run_id: str,
            connection=None) -> dict:
    """Read the vendor for the run's nights into staged Parquet (pipeline/extract.py)."""
    from agent_status.connectors.base import ConnectionInfo, build_connector
    from agent_status.pipeline.extract import extract as extract_nights

    staging = RunStaging.for_run(integration.name, run_id).create()
    connection = connection or ConnectionInfo.from_airflow(integration.conn_id)
    with contextlib.closing(build_connector(integration, connection)) as connector:
        nights, rows = extract_nights(
            connector, integration, nights_for_run(integration, interval_start, interval_end),
            staging.raw)
    log.info("%s: extracted %d raw events for nights %s..%s", integration.name, rows,
             nights[0].label, nights[-1].label)
    return {"integration": integration.name, "run_id": run_id, "raw_path": str(staging.raw),
            "raw_events": rows, "nights": [night.as_json() for night in nights]}


def transform(integration: Integration, manifest: dict) -> dict:
    """Each night through pipeline/transform.py; its results staged for load."""
    from agent_status.connectors.registry import VENDORS
    from agent_status.mappings import read_activity_mappings, read_employee_mappings
    from agent_status.pipeline.transform import transform_night
    from agent_status.pipeline.validate import staged_checks, validate_mappings

    _check_manifest(integration, manifest)
    spec = VENDORS[integration.vendor]
    overlap_rule = spec.overlap_rule
    with _warehouse() as engine:
        employees = read_employee_mappings(engine, integration.name)
        activities = read_activity_mappings(engine, integration.name)
    mapping_report = validate_mappings(employees, integration.name, spec.identifier)
    if not mapping_report.success:
        log.warning("%s: employee mapping checks failed: %s", integration.name,
                    mapping_report.summary()["failed"])
    staging = RunStaging.of(manifest["raw_path"])
    out_nights = []
    for item in manifest["nights"]:
        night = Night.from_json(item)
        done = transform_night(manifest["raw_path"], night, integration, overlap_rule,
                               employees, activities)
        paths = {"events_path": staging.events(night),
                 "quarantine_path": staging.quarantine(night),
                 "validation_path": staging.validation(night)}
        write_parquet(paths["events_path"], done.events)
        write_parquet(paths["quarantine_path"], done.quarantined)
        write_json(paths["validation_path"], staged_checks(mapping_report, done.checks))
        out_nights.append({**item, **{k: str(v) for k, v in paths.items()},
                           "counts": done.counts})
        log.info("%s night %s: %d segments, %d quarantined, %d defaulted to Present",
                 integration.name, night.label, done.counts["events_extracted"],
                 done.counts["events_quarantined"], done.counts["events_defaulted"])
        del done
        _release_memory(out_nights[-1]["counts"]["events_extracted"])  # before the next night
    return {**manifest, "nights": out_nights}


def load(integration: Integration, manifest: dict, try_number: int = 1) -> dict:
    """One transaction per night, then replay quarantined events that now map."""
    import pandas as pd
    import sqlalchemy as sa

    from agent_status.pipeline.load import load_night, replay_quarantine
    from agent_status.pipeline.validate import result_rows
    from agent_status.warehouse import query

    _check_manifest(integration, manifest)
    summary = {"integration": integration.name, "nights": []}
    with _warehouse() as engine:
        attempt = None
        for item in manifest["nights"]:
            night = Night.from_json(item)
            checks = read_json(item["validation_path"])
            attempt = load_night(
                engine, integration=integration.name, vendor=integration.vendor, night=night,
                run_id=manifest["run_id"], try_number=try_number,
                events=pd.read_parquet(item["events_path"]),
                quarantined=pd.read_parquet(item["quarantine_path"]),
                run={**item["counts"], "validation_success": checks["success"],
                     "validation_summary": json.dumps(checks["summary"]),
                     "data_docs": checks["data_docs"]},
                validation_rows=result_rows(checks, integration=integration.name, night=night,
                                            run_id=manifest["run_id"],
                                            validated_at=dt.datetime.now(dt.timezone.utc)))
            summary["nights"].append({"night": night.label, **item["counts"]})
            _release_memory(item["counts"]["events_extracted"])
        summary["replayed"] = replay_quarantine(engine, integration.name)
        with engine.begin() as connection:
            connection.execute(sa.text(query("import_runs_set_replayed")),
                {"n": summary["replayed"], "i": integration.name, "r": manifest["run_id"],
                 "a": attempt, "d": manifest["nights"][-1]["night_date"]})
    RunStaging.of(manifest["raw_path"]).remove()
    return summary


def record_failure(integration: Integration, interval_start, interval_end, run_id: str,
                   task_id: str, try_number: int, error: str) -> None:
    """A failed try appended to the ledger for each of the run's nights (pipeline/load.py)."""
    from agent_status.pipeline.load import record_failure as write_failure

    with _warehouse() as engine:
        write_failure(engine, integration=integration.name, vendor=integration.vendor,
                      nights=nights_for_run(integration, interval_start, interval_end),
                      run_id=run_id, task_id=task_id, try_number=try_number, error=error)


def quality_gate(integration: Integration, summary: dict) -> dict:
    """Each loaded night's quality level (quality.py), the quarantine alert, the asset extras."""
    from agent_status.quality import assess

    _check_manifest(integration, summary)
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


def _release_memory(rows: int) -> None:
    """What a night's frames held handed back to the system before the next night, so that a
    run with lookback nights peaks near one night's peak (issue 10): Python's cycles, Arrow's
    pool (mimalloc keeps freed pages) and the top of glibc's heap. Only after a large night
    (``rows`` segments): a collection of a task's heap costs about half a second, as much as a
    small night's whole work."""
    if rows < RELEASE_AFTER_ROWS:
        return
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the process's own C library
    if trim is not None:  # glibc; musl and macOS have nothing to trim
        trim(0)


def _check_manifest(integration: Integration, manifest: dict) -> None:
    """A manifest is handed on within one integration's DAG run; another's is a wiring bug."""
    if manifest.get("integration") != integration.name:
        raise ValueError(f"{integration.name}: the upstream task handed over the manifest of "
                         f"integration {manifest.get('integration')!r}")


@contextlib.contextmanager
def _warehouse():
    """The warehouse of the task's Airflow connection, migrated if behind; disposed after."""
    from agent_status.warehouse import create_warehouse_engine, ensure_schema, warehouse_url

    engine = create_warehouse_engine(warehouse_url(use_airflow=True))
    try:
        ensure_schema(engine)
        yield engine
    finally:
        engine.dispose()
