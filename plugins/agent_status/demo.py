"""`make demo`: sandboxes, connections and mappings for the demo integrations, then the nightly
import of the last nights through Airflow (`airflow dags test`), then the summary. `make check`
runs `agent-status check` against the same sandboxes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agent_status import PROJECT_ROOT
from agent_status.config import Integration, load_integrations
from agent_status.nights import night_for_date
from agent_status.sandboxes import sandbox_class
from agent_status.simulator import Simulator

DEMO_DIR = PROJECT_ROOT / "data" / "demo"
SANDBOX_DIR = PROJECT_ROOT / "data" / "sandboxes"
FIRST_PORT = 18401
WFM_ACTIVITIES = {"ready": (10, "Available"), "on_call": (11, "Call"),
                  "wrap_up": (12, "Wrap-up"), "break": (20, "Break"), "lunch": (21, "Lunch"),
                  "logged_out": (30, "Logged out")}  # "meeting" is left unmapped on purpose
DEFECTS = {3: "case", 7: "trailing space", 11: "typo", 15: "missing"}


def simulator_for(integration: Integration) -> Simulator:
    return Simulator(seed=zlib.crc32(integration.vendor.encode()) % 1000, agent_count=24,
                     timezone=integration.source_timezone or integration.timezone)


def sandbox_for(integration: Integration, position: int):
    cls = sandbox_class(integration.vendor)
    simulator = simulator_for(integration)
    if hasattr(cls, "build"):
        return cls(simulator, path=SANDBOX_DIR / f"{integration.name}.sqlite")
    return cls(simulator, port=FIRST_PORT + position)


def last_nights(integration: Integration, count: int, today: dt.date | None = None) -> list[dt.date]:
    today = today or dt.datetime.now(integration.zone).date()
    return [today - dt.timedelta(days=back) for back in range(count, 0, -1)]


def mapping_csvs(integration: Integration, sandbox) -> tuple[Path, Path]:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    employees = DEMO_DIR / f"{integration.name}_employees.csv"
    lines = ["employee_id,external_employee_id,external_user_id"]
    for agent in sandbox.simulator.agents:
        identifier = agent.identifier(sandbox.identifier)
        defect = DEFECTS.get(agent.index)
        if defect == "missing":
            continue
        if defect == "case":
            identifier = identifier[0].upper() + identifier[1:]
        elif defect == "trailing space":
            identifier = identifier + " "
        elif defect == "typo":
            identifier = identifier[:2] + identifier[3] + identifier[2] + identifier[4:]
        lines.append(f'{agent.employee_id},{agent.external_employee_id},"{identifier}"')
    employees.write_text("\n".join(lines) + "\n")
    activities = DEMO_DIR / f"{integration.name}_activities.csv"
    rows = ["vendor_activity_id,activity_id,classification,activity_name"]
    for state, (vendor_id, _name, _reason) in sandbox.state_map.items():
        if state in WFM_ACTIVITIES:
            activity_id, activity_name = WFM_ACTIVITIES[state]
            rows.append(f'"{vendor_id}",{activity_id},1,{activity_name}')
    activities.write_text("\n".join(rows) + "\n")
    return employees, activities


def connection_json(integration: Integration, connection) -> dict:
    return {"conn_type": connection.conn_type or "http", "host": connection.host,
            "login": connection.login, "password": connection.password,
            "port": connection.port, "schema": connection.schema,
            "extra": json.dumps(connection.extra)}


def import_connections(connections: dict[str, dict]) -> list[str]:
    """The sandboxes' connections into Airflow's metadata database; returns the airflow CLI."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    conn_file = DEMO_DIR / "connections.json"
    conn_file.write_text(json.dumps(connections, indent=2))
    airflow = [str(Path(sys.executable).with_name("airflow"))]
    subprocess.run(airflow + ["connections", "import", "--overwrite", str(conn_file)], check=True,
                   stdout=subprocess.DEVNULL)
    return airflow


def run(nights: int) -> int:
    from agent_status.cli import main as cli

    integrations = load_integrations()
    sandboxes, connections = [], {}
    for position, integration in enumerate(integrations):
        sandbox = sandbox_for(integration, position)
        dates = last_nights(integration, nights)
        if hasattr(sandbox, "build"):
            sandbox.build(dates[0] - dt.timedelta(days=integration.lookback_nights), dates[-1])
        connections[integration.conn_id] = connection_json(integration, sandbox.start())
        sandboxes.append((integration, sandbox, dates))
    airflow = import_connections(connections)
    for integration, sandbox, _dates in sandboxes:
        employees, activities = mapping_csvs(integration, sandbox)
        cli(["import-employees", "--integration", integration.name, str(employees)])
        cli(["import-activities", "--integration", integration.name, str(activities)])
    failures = []
    try:
        # two integrations at a time (2 cores); each imports its nights in order
        with ThreadPoolExecutor(max_workers=2) as pool:
            for failed in pool.map(lambda item: _import_nights(airflow, *item), sandboxes):
                failures.extend(failed)
    finally:
        for _integration, sandbox, _dates in sandboxes:
            sandbox.stop()
    cli(["summary"])
    print(f"""
Validation reports (GX Data Docs): {PROJECT_ROOT / 'data' / 'gx'}/<integration>/gx/uncommitted/data_docs/local_site/index.html
Unmapped identifiers and activities: .venv/bin/agent-status unmapped
Query the warehouse:  sqlite3 data/warehouse.sqlite "SELECT * FROM time_in_activity_daily LIMIT 20"
Open the Airflow UI:  make airflow   (then http://localhost:8080, login in README)""")
    return 1 if failures else 0


def _import_nights(airflow: list[str], integration: Integration, sandbox, dates) -> list:
    failures = []
    for night_date in dates:
        night = night_for_date(integration, night_date)
        run_after = (night.end_utc + dt.timedelta(hours=1)).isoformat()
        started = time.monotonic()
        result = subprocess.run(airflow + ["dags", "test", integration.dag_id, run_after],
                                capture_output=True, text=True)
        ok = result.returncode == 0 and "state=success" in result.stdout + result.stderr
        print(f"{'ok    ' if ok else 'FAILED'} {integration.dag_id} night {night_date} "
              f"[{night.start_utc:%Y-%m-%d %H:%M}Z, {night.end_utc:%Y-%m-%d %H:%M}Z) "
              f"in {time.monotonic() - started:.1f}s", flush=True)
        if not ok:
            failures.append((integration.name, night_date))
            log = DEMO_DIR / f"{integration.name}_{night_date}.log"
            log.write_text(result.stdout + result.stderr)
            print(f"       log: {log}", flush=True)
    return failures


def serve() -> int:
    """Serve the HTTP sandboxes (and build the database ones) until interrupted (make airflow)."""
    running = []
    for position, integration in enumerate(load_integrations()):
        sandbox = sandbox_for(integration, position)
        if hasattr(sandbox, "build"):
            today = dt.datetime.now(integration.zone).date()
            sandbox.build(integration.start_date - dt.timedelta(days=1), today)
        sandbox.start()
        running.append(sandbox)
        print(f"{integration.name}: {sandbox.connection().host or sandbox.connection().extra}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        for sandbox in running:
            sandbox.stop()
    return 0


def check() -> int:
    """`make check`: the sandboxes of the demo integrations (database ones built over the last
    nights), their connections in Airflow, then `agent-status check` for each, as a user runs it."""
    integrations = load_integrations()
    command = str(Path(sys.executable).with_name("agent-status"))
    sandboxes, connections = [], {}
    try:
        for position, integration in enumerate(integrations):
            sandbox = sandbox_for(integration, position)
            if hasattr(sandbox, "build"):
                today = dt.datetime.now(integration.zone).date()
                sandbox.build(today - dt.timedelta(days=3), today)
            try:
                connections[integration.conn_id] = connection_json(integration, sandbox.start())
            except OSError as error:  # the fixed port is taken
                raise SystemExit(f"{integration.name}: its sandbox cannot listen on port "
                                 f"{FIRST_PORT + position} ({error}): is `make airflow` or "
                                 "`make demo` running? Stop it first") from error
            sandboxes.append(sandbox)
        import_connections(connections)
        failed = [integration.name for integration in integrations
                  if subprocess.run([command, "check", "--integration", integration.name])
                  .returncode != 0]
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
    print(f"\n{len(integrations) - len(failed)} of {len(integrations)} demo integrations can "
          f"import{': FAILED ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_status.demo")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--nights", type=int, default=3)
    sub.add_parser("serve")
    sub.add_parser("check")
    args = parser.parse_args(argv)
    os.environ.setdefault("AGENT_STATUS_INTEGRATIONS", str(PROJECT_ROOT / "include" /
                                                           "integrations.yaml"))
    if args.command == "run":
        return run(args.nights)
    return check() if args.command == "check" else serve()


if __name__ == "__main__":
    sys.exit(main())
