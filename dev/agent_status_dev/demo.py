"""`make demo`: sandboxes, connections and mappings for the demo integrations, then the nightly
import of the last nights through Airflow (`airflow dags test`), then the summary. `make check`
runs `agent-status check` against the same sandboxes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

from agent_status import PROJECT_ROOT
from agent_status.config import Integration, load_integrations
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator

DEMO_DIR = PROJECT_ROOT / "data" / "demo"
SANDBOX_DIR = PROJECT_ROOT / "data" / "sandboxes"
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
    return cls(simulator)  # a free port: the connections imported into Airflow name it


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


def import_connections(connections: dict) -> None:
    """The sandboxes' connections (free ports, demo credentials) into Airflow's metadata."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    conn_file = DEMO_DIR / "connections.json"
    conn_file.write_text(json.dumps(connections, indent=2))
    conn_file.chmod(0o600)
    airflow = [str(Path(sys.executable).with_name("airflow"))]
    subprocess.run(airflow + ["connections", "import", "--overwrite", str(conn_file)], check=True,
                   stdout=subprocess.DEVNULL)


def demo_integrations_file(nights: int) -> Path:
    """The demo's integrations: the shipped file, each starting ``nights`` nights ago, so that
    resuming a DAG catches up exactly those nights, as it would in production."""
    import yaml

    source = Path(os.environ.get("AGENT_STATUS_DEMO_SOURCE", PROJECT_ROOT / "include" /
                                 "integrations.yaml"))
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    for entry, integration in zip(document["integrations"], load_integrations(source)):
        entry["start_date"] = last_nights(integration, nights)[0].isoformat()
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    target = DEMO_DIR / "integrations.yaml"
    target.write_text(f"# written by `make demo` from {source.name}: each integration starts "
                      f"{nights} nights ago\n" + yaml.safe_dump(document, sort_keys=False))
    return target


def run(nights: int) -> int:
    """Set up the sandboxes, connections and mappings, then let a real Airflow (api-server,
    scheduler, dag-processor) catch up each integration's last nights, as a resume would."""
    from agent_status.cli import main as cli
    from agent_status_dev.local_airflow import LocalAirflow, free_port

    started = time.monotonic()
    os.environ["AGENT_STATUS_INTEGRATIONS"] = str(demo_integrations_file(nights))
    integrations = load_integrations()
    sandboxes, connections = [], {}
    for position, integration in enumerate(integrations):
        sandbox = sandbox_for(integration, position)
        dates = last_nights(integration, nights)
        if hasattr(sandbox, "build"):
            sandbox.build(dates[0] - dt.timedelta(days=integration.lookback_nights), dates[-1])
        connections[integration.conn_id] = connection_json(integration, sandbox.start())
        sandboxes.append((integration, sandbox, dates))
    import_connections(connections)
    for integration, sandbox, _dates in sandboxes:
        employees, activities = mapping_csvs(integration, sandbox)
        cli(["import-employees", "--integration", integration.name, str(employees)])
        cli(["import-activities", "--integration", integration.name, str(activities)])
    failures: list[tuple[str, str]] = []
    port = free_port(int(os.environ.get("AIRFLOW__API__PORT", "8080")))
    try:
        with LocalAirflow(port, Path(os.environ["AIRFLOW_HOME"]) / "demo-logs") as stack:
            dag_ids = [i.dag_id for i in integrations]
            stack.wait_ready(dag_ids)
            print(f"Airflow is up ({time.monotonic() - started:.0f}s): resuming "
                  f"{len(dag_ids)} integrations, {nights} nights each", flush=True)
            for dag_id in dag_ids:
                stack.set_paused(dag_id, False)  # the UI toggle: catch up every missed night
            failures = _wait_for_nights(stack, integrations, nights)
            for dag_id in dag_ids:
                stack.set_paused(dag_id, True)  # quiet until `make airflow`
    finally:
        for _integration, sandbox, _dates in sandboxes:
            sandbox.stop()
    cli(["summary"])
    print(f"""
Imported in {time.monotonic() - started:.0f}s. Next:
  make check     test every demo integration's connection and contract (agent-status check)
  make airflow   the Airflow UI (login admin / admin): the runs, their logs, the "Agent status"
                 page (what needs attention and why), each DAG's "Mapping status" tab
  .venv/bin/agent-status unmapped
  sqlite3 data/warehouse.sqlite 'SELECT * FROM time_in_activity_daily LIMIT 20'""")
    return 1 if failures else 0


def _wait_for_nights(stack, integrations, nights: int, timeout: float = 900) -> list:
    """Print each night as its run ends; the failed ones."""
    deadline = time.monotonic() + timeout
    reported: set[tuple[str, str]] = set()
    failures = []
    pending = {i.dag_id: i for i in integrations}
    while pending and time.monotonic() < deadline:
        stack.check_alive()
        for dag_id, integration in list(pending.items()):
            runs = stack.runs(dag_id)
            for run in runs:
                key = (dag_id, run["dag_run_id"])
                if run["state"] not in ("success", "failed") or key in reported:
                    continue
                reported.add(key)
                seconds = (dt.datetime.fromisoformat(run["end_date"])
                           - dt.datetime.fromisoformat(run["start_date"])).total_seconds()
                night = dt.datetime.fromisoformat(run["data_interval_start"]).astimezone(
                    integration.zone).date()
                ok = run["state"] == "success"
                print(f"{'ok    ' if ok else 'FAILED'} {dag_id} night {night} in {seconds:.1f}s"
                      + ("" if ok else f" (run {run['dag_run_id']}: see the Airflow UI)"),
                      flush=True)
                if not ok:
                    failures.append((integration.name, str(night)))
            done = [r for r in runs if r["state"] in ("success", "failed")]
            if len(done) >= nights:
                del pending[dag_id]
        time.sleep(2)
    for dag_id in pending:
        print(f"FAILED {dag_id}: its nights did not finish within {timeout:.0f}s", flush=True)
        failures.append((dag_id, "timeout"))
    return failures


def serve(with_airflow: bool = False) -> int:
    """Serve the HTTP sandboxes (and build the database ones) until interrupted; with
    ``with_airflow``, also a local Airflow (make airflow), all stopped on Ctrl-C."""
    from agent_status_dev.local_airflow import LocalAirflow, free_port

    running, connections = [], {}
    for position, integration in enumerate(load_integrations()):
        sandbox = sandbox_for(integration, position)
        if hasattr(sandbox, "build"):
            today = dt.datetime.now(integration.zone).date()
            sandbox.build(integration.start_date - dt.timedelta(days=1), today)
        connections[integration.conn_id] = connection_json(integration, sandbox.start())
        running.append(sandbox)
        print(f"{integration.name}: {sandbox.connection().host or sandbox.connection().extra}")
    import_connections(connections)
    stack = None
    try:
        if with_airflow:
            port = free_port(int(os.environ.get("AIRFLOW__API__PORT", "8080")))
            stack = LocalAirflow(port, Path(os.environ["AIRFLOW_HOME"]) / "logs-local")
            stack.start()
            stack.wait_ready([i.dag_id for i in load_integrations()])
            print(f"\nAirflow UI: {stack.url}  login: {stack.user} / {stack.password}  "
                  f"(Ctrl-C stops Airflow and the sandboxes)", flush=True)
        while True:
            time.sleep(2)
            if stack is not None:
                stack.check_alive()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        if stack is not None:
            stack.stop()
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
            connections[integration.conn_id] = connection_json(integration, sandbox.start())
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
    parser = argparse.ArgumentParser(prog="python -m agent_status_dev.demo")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--nights", type=int, default=3)
    sub.add_parser("serve")
    sub.add_parser("check", help="the demo sandboxes, then `agent-status check` for each "
                   "integration (make check)")
    sub.add_parser("airflow", help="sandboxes and a local Airflow until Ctrl-C (make airflow)")
    args = parser.parse_args(argv)
    # after `make demo`, the UI shows the demo's integrations (the shipped file, shifted)
    demo_file = DEMO_DIR / "integrations.yaml"
    os.environ.setdefault("AGENT_STATUS_INTEGRATIONS", str(
        demo_file if demo_file.is_file() else PROJECT_ROOT / "include" / "integrations.yaml"))
    # SIGTERM (a CI timeout, `kill`) stops the children like Ctrl-C does; Ctrl-C stops them
    # even when this was started by a process that ignores SIGINT (a background job, a test
    # runner), which the child would otherwise inherit across exec
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.command == "run":
        return run(args.nights)
    if args.command == "check":
        return check()
    return serve(with_airflow=args.command == "airflow")


if __name__ == "__main__":
    sys.exit(main())
