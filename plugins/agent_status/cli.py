"""`agent-status`: the operator's commands (mappings, unmapped, re-apply, summary, check,
migrate).

The warehouse is ``AGENT_STATUS_WAREHOUSE_URL`` or the embedded default (warehouse.py).
"""

from __future__ import annotations

import argparse
import sys

EXIT_CODES = """exit codes:
  0  done; for unmapped and summary: nothing needs attention
  1  unmapped / summary: something needs attention (unmapped identifiers or activities;
     failed or missing nights, quarantined events, failed validation checks)
  2  wrong input: arguments, integrations file, or CSV file (one line says what and where)
  3  the warehouse cannot be reached or refused the command"""


def _engine():
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    engine = create_warehouse_engine()
    ensure_schema(engine)  # migrates only when the warehouse is behind: no DDL otherwise
    return engine


def _integration(name: str):
    from agent_status.config import get_integration

    return get_integration(name)


def _write(frame, path: str | None) -> None:
    if path:
        frame.to_csv(path, index=False)
        print(f"wrote {len(frame)} row(s) to {path}")
    else:
        frame.to_csv(sys.stdout, index=False)


def cmd_import_employees(args) -> int:
    from agent_status.connectors.registry import VENDORS
    from agent_status.mappings import import_employee_mappings, parse_employee_csv
    from agent_status.pipeline.validate import NO_EDGE_SPACES

    integration = _integration(args.integration)
    frame = parse_employee_csv(args.file, VENDORS[integration.vendor].identifier)
    edgy = frame[~frame.external_user_id.str.match(NO_EDGE_SPACES)]
    for value in edgy.external_user_id:
        print(f"warning: external_user_id {value!r} has a leading or trailing space; matching "
              "is exact, so it only matches a vendor identifier with the same space")
    count = import_employee_mappings(_engine(), integration.name, frame)
    print(f"{integration.name}: {count} employee external ID(s) imported from {args.file}")
    return 0


def cmd_export_employees(args) -> int:
    from agent_status.mappings import read_employee_mappings

    _write(read_employee_mappings(_engine(), _integration(args.integration).name), args.file)
    return 0


def cmd_import_activities(args) -> int:
    from agent_status.mappings import import_activity_mappings, parse_activity_csv

    integration = _integration(args.integration)
    count = import_activity_mappings(_engine(), integration.name, parse_activity_csv(args.file))
    print(f"{integration.name}: {count} activity mapping(s) imported from {args.file}; "
          f"run `agent-status reapply-activities --integration {integration.name}` to apply "
          "them to history already loaded")
    return 0


def cmd_export_activities(args) -> int:
    from agent_status.mappings import read_activity_mappings

    _write(read_activity_mappings(_engine(), _integration(args.integration).name), args.file)
    return 0


def cmd_unmapped(args) -> int:
    import json

    import pandas as pd

    from agent_status.mappings import unmapped_activities, unmapped_identifiers

    engine = _engine()
    name = _integration(args.integration).name if args.integration else None
    identifiers = unmapped_identifiers(engine, name)
    activities = unmapped_activities(engine, name)
    if args.format == "json":
        print(json.dumps({"identifiers": identifiers.to_dict("records"),
                          "activities": activities.to_dict("records")}, indent=2, default=str))
    elif args.format == "csv":
        columns = ["kind", "integration", "identifier", "name", "hint", "events", "seconds",
                   "first_night", "last_night"]
        rows = [identifiers.assign(kind="identifier").rename(
                    columns={"external_user_id": "identifier"}),
                activities.assign(kind="activity").rename(
                    columns={"vendor_activity_id": "identifier"})]
        pd.concat([r for r in rows if len(r)] or [pd.DataFrame(columns=columns)],
                  ignore_index=True).reindex(columns=columns).to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 90,
                               "display.max_rows", 500):
            print("Unmapped external user identifiers (events quarantined until mapped):")
            print(identifiers.to_string(index=False) if len(identifiers) else "  none")
            print("\nVendor activities without a mapping (loaded as 1 'Present', "
                  "classification 1):")
            print(activities.to_string(index=False) if len(activities) else "  none")
    return 1 if len(identifiers) or len(activities) else 0


def cmd_reapply(args) -> int:
    from agent_status.pipeline.load import reapply_activity_mappings, replay_quarantine

    integration = _integration(args.integration)
    engine = _engine()
    replayed = replay_quarantine(engine, integration.name)
    updated = reapply_activity_mappings(engine, integration.name)
    print(f"{integration.name}: {updated} loaded event(s) re-mapped with the current activity "
          f"mappings; {replayed} quarantined event(s) now mapped and loaded")
    return 0


def cmd_summary(args) -> int:
    from agent_status.summary import print_summary

    engine = _engine()
    name = _integration(args.integration).name if args.integration else None
    return 1 if print_summary(engine, args.format, name) else 0


def cmd_migrate(args) -> int:
    from agent_status.warehouse import (create_warehouse_engine, display_url, migrate,
                                        schema_version)

    engine = create_warehouse_engine()
    applied = migrate(engine)
    print(f"warehouse ready: {display_url()} (schema version {schema_version(engine)}; "
          f"applied: {', '.join(applied) if applied else 'none, already current'})")
    return 0


def cmd_check(args) -> int:
    from agent_status.check import run_check

    return run_check(_integration(args.integration), night_date=args.night)


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agent-status", description=__doc__, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text, integration=True, file=None, formats=False):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--integration", required=integration is True,
                       help="integration name from the integrations file")
        if file == "in":
            p.add_argument("file", help="CSV file to import")
        elif file == "out":
            p.add_argument("file", nargs="?", help="CSV file to write (default: stdout)")
        if formats:
            p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                           help="output for people (text) or scripts (json, csv)")
        p.set_defaults(func=func)

    add("import-employees", cmd_import_employees,
        "replace an integration's employee external IDs from CSV", file="in")
    add("export-employees", cmd_export_employees, "export employee external IDs as CSV",
        file="out")
    add("import-activities", cmd_import_activities,
        "replace an integration's activity mappings from CSV", file="in")
    add("export-activities", cmd_export_activities, "export activity mappings as CSV", file="out")
    add("unmapped", cmd_unmapped, "list unmapped identifiers and activities seen so far "
        "(exit 1 when there are any)", integration=False, formats=True)
    add("reapply-activities", cmd_reapply,
        "re-apply activity mappings to loaded history and replay the quarantine")
    add("summary", cmd_summary, "per-integration import summary (exit 1 when something needs "
        "attention)", integration=False, formats=True)
    for name in ("migrate", "init-warehouse"):
        add(name, cmd_migrate, "create the warehouse or apply its pending schema migrations",
            integration=False)
    check = sub.add_parser("check", help="test an integration against its vendor before its "
                                         "first night: one small real read, checked and explained")
    check.add_argument("--integration", required=True,
                       help="integration name from the integrations file")
    check.add_argument("--night", type=_date, help="local date of the night to sample "
                                                   "(default: the last complete night)")
    check.set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    import sqlalchemy as sa

    from agent_status.config import ConfigError
    from agent_status.mappings import MappingFileError
    from agent_status.warehouse import display_url

    try:
        return args.func(args)
    except (ConfigError, MappingFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # an output file that cannot be written
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"error: warehouse {display_url()}: {reason}", file=sys.stderr)
        return 3
