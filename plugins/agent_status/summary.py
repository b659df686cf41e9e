"""The per-integration summary the demo ends with (also `agent-status summary`).

It reports the warehouse as it is now: a night's state is its latest attempt in the ledger,
loaded and quarantined counts are what the tables hold (a quarantine replay moves events), a
night missing between the first and last one recorded is a gap, and validation lists the
checks that failed, leaving out the null employee_id of events already counted as quarantined.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from agent_status.warehouse import query


def latest_attempts(engine: sa.Engine) -> pd.DataFrame:
    """One row per integration and night: its latest attempt (by time, then attempt number),
    and, as ``loaded_*``, its latest successful one: the load whose data the tables hold."""
    runs = pd.read_sql_query(sa.text(query("summary_import_runs")), engine)
    runs["night_date"] = pd.to_datetime(runs.night_date).dt.date
    runs["finished_at"] = pd.to_datetime(runs.finished_at, utc=True)
    runs = runs.sort_values(["integration", "night_date", "finished_at", "attempt"])
    key = ["integration", "night_date"]
    loaded = runs[runs.status == "success"].groupby(key).tail(1)[
        key + ["run_id", "events_quarantined", "data_docs"]].rename(columns={
            "run_id": "loaded_run_id", "events_quarantined": "loaded_events_quarantined",
            "data_docs": "loaded_data_docs"})
    latest = runs.groupby(key).tail(1).merge(loaded, on=key, how="left")
    return latest.assign(loaded=latest.loaded_run_id.notna())


def integration_summaries(engine: sa.Engine) -> list[dict]:
    from agent_status.mappings import unmapped_activities, unmapped_identifiers

    latest = latest_attempts(engine)
    if latest.empty:
        return []
    loaded = _counts(engine, query("events_count_by_integration"))
    quarantined = _counts(engine, query("quarantine_count_by_integration"))
    identifiers = unmapped_identifiers(engine)
    activities = unmapped_activities(engine)
    checks = pd.read_sql_query(sa.text(query("validation_results_failed")), engine)
    checks["night_date"] = pd.to_datetime(checks.night_date).dt.date
    out = []
    for name, group in latest.groupby("integration", sort=True):
        ok = group[group.loaded]
        failed = group[group.status != "success"]
        # a failed re-import (a later run's lookback) leaves the night's earlier load in place
        stale, failed = failed[failed.loaded], failed[~failed.loaded]
        nights = set(group.night_date)
        first, last = min(nights), max(nights)
        gaps = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)
                if first + dt.timedelta(days=i) not in nights]
        mine = identifiers[identifiers.integration == name]
        defaulted = activities[activities.integration == name]
        docs = ok.loaded_data_docs.dropna()
        item = {
            "integration": name, "vendor": group.vendor.iloc[-1],
            "nights_imported": [str(d) for d in ok.night_date],
            "nights_failed": _failures(failed),
            "nights_reimport_failed": _failures(stale),
            "nights_missing": [str(d) for d in gaps],
            "events_loaded": int(loaded.get(name, 0)),
            "events_quarantined": int(quarantined.get(name, 0)),
            "unmapped_identifiers": [{"external_user_id": r.external_user_id,
                                      "events": int(r.events), "hint": r.hint}
                                     for r in mine.itertuples()],
            "events_defaulted": int(defaulted.events.sum()) if len(defaulted) else 0,
            "validation_failed": _failed_checks(checks[checks.integration == name], ok),
            "data_docs": docs.iloc[-1] if len(docs) else None,
        }
        item["needs_attention"] = bool(item["nights_failed"] or item["nights_missing"]
                                       or item["nights_reimport_failed"]
                                       or item["events_quarantined"]
                                       or item["validation_failed"])
        out.append(item)
    return out


def _failures(failed: pd.DataFrame) -> list[dict]:
    return [{"night": str(r.night_date), "task": r.task_id, "error": r.error}
            for r in failed.itertuples()]


def _counts(engine: sa.Engine, statement: str) -> dict:
    frame = pd.read_sql_query(sa.text(statement), engine)
    return dict(zip(frame.integration, frame.n))


def _failed_checks(checks: pd.DataFrame, ok: pd.DataFrame) -> list[str]:
    """Failed checks of the load each night's data comes from. A null employee_id in the
    night's events is the quarantine, reported above, when it counts exactly those events."""
    current = checks.merge(
        ok[["night_date", "loaded_run_id", "loaded_events_quarantined"]].rename(
            columns={"loaded_run_id": "run_id"}), on=["night_date", "run_id"])
    quarantine = ((current.suite == "night_events") & (current.column_name == "employee_id")
                  & (current.unexpected_count == current.loaded_events_quarantined))
    failed = []
    for row in current[~quarantine].sort_values(["night_date", "suite"]).itertuples():
        failed.append(f"{row.night_date} {row.suite}: {row.expectation}({row.column_name}) "
                      f"{_int(row.unexpected_count)} unexpected of {_int(row.element_count)}")
    return failed


def _int(value) -> str:
    return "?" if pd.isna(value) else str(int(value))


def print_summary(engine: sa.Engine, fmt: str = "text", integration: str | None = None) -> bool:
    """Print the summary as text, JSON or CSV; True when something needs attention."""
    import sys

    from agent_status.warehouse import display_url

    summaries = [item for item in integration_summaries(engine)
                 if integration in (None, item["integration"])]
    if fmt == "json":
        print(json.dumps(summaries, indent=2, default=str))
    elif fmt == "csv":
        flat = [{key: (json.dumps(value) if isinstance(value, list) else value)
                 for key, value in item.items()} for item in summaries]
        pd.DataFrame(flat, columns=list(summaries[0]) if summaries else ["integration"]).to_csv(
            sys.stdout, index=False)
    elif not summaries:
        print("No import has run yet.")
    else:
        for item in summaries:
            _print_text(item)
        print(f"\nWarehouse: {display_url()}")
    return any(item["needs_attention"] for item in summaries)


def _print_text(item: dict) -> None:
    ok = item["nights_imported"]
    print(f"\n== {item['integration']} ({item['vendor']}) ==")
    print(f"  nights imported : {len(ok)} ({', '.join(ok)})")
    for failed in item["nights_failed"]:
        print(f"  night FAILED    : {failed['night']} in {failed['task'] or 'a task'}: "
              f"{failed['error']}")
    for failed in item["nights_reimport_failed"]:
        print(f"  re-import FAILED: {failed['night']} in {failed['task'] or 'a task'} (the "
              f"earlier import stays): {failed['error']}")
    if item["nights_missing"]:
        print(f"  nights MISSING  : {', '.join(item['nights_missing'])} (no attempt recorded)")
    print(f"  events loaded   : {item['events_loaded']}")
    print(f"  quarantined     : {item['events_quarantined']}")
    for row in item["unmapped_identifiers"]:
        print(f"      {row['external_user_id']!r}: {row['events']} event(s); hint: {row['hint']}")
    print(f"  defaulted to Present (activity 1): {item['events_defaulted']}")
    if item["validation_failed"]:
        print(f"  validation      : {len(item['validation_failed'])} failed check(s):")
        for check in item["validation_failed"]:
            print(f"      {check}")
    else:
        print("  validation      : passed")
    print(f"  Data Docs       : {item['data_docs'] or 'n/a'}")
