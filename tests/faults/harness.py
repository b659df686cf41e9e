"""Running one night through the task functions (extract -> transform -> load, as the DAG
does, failures recorded as the DAG's ``guarded`` does) and reconciling the warehouse with the
simulator's truth: nothing lost, nothing duplicated."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from agent_status import tasks
from agent_status.staging import staging_root
from agent_status.config import Integration, get_integration
from agent_status.connectors.registry import VENDORS
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status.nights import Night, night_for_date
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator
from agent_status.warehouse import create_warehouse_engine, ensure_schema
from tests.helpers import employee_frame, expected_night, write_integrations

ZONE = "Europe/Paris"
NIGHT = dt.date(2026, 10, 20)  # an ordinary 24 h night
KEY = ["external_user_id", "start_utc"]
SEGMENT = ["external_user_id", "vendor_activity_id", "start_utc", "end_utc"]


@dataclass
class Setup:
    """One integration wired to a sandbox and a warehouse."""

    integration: Integration
    sandbox: object
    connection: object
    url: str

    def engine(self) -> sa.Engine:
        return create_warehouse_engine(self.url)

    @property
    def night(self) -> Night:
        return night_for_date(self.integration, NIGHT)


# report-job vendors poll quickly here (the sandbox's jobs are ready at once or nearly)
QUICK_POLL = {"five9": {"poll_seconds": 0.1}, "talkdesk": {"poll_seconds": 0.1}}


def required_options(vendor: str) -> dict:
    """Options a vendor cannot run without, as the demo integrations file sets them."""
    if vendor == "mitel":  # the site's query is required input (vendors.md 7.1)
        from agent_status_dev.sandboxes.mitel import QUERY

        return {"query": QUERY}
    return {}


def integration_entry(name: str, vendor: str, **extra) -> dict:
    entry = {"name": name, "vendor": vendor, "conn_id": f"{name}_conn", "timezone": ZONE,
             "start_date": "2026-10-01", "lookback_nights": 0}
    options = QUICK_POLL.get(vendor, {}) | required_options(vendor)
    if options:
        entry["options"] = options
    # local times are in the sandbox's zone: the simulator's, unless the vendor's options
    # decide it (Five9's data center, vendors.md 1.4, as its sandbox renders them)
    if VENDORS[vendor].reports_local_time and VENDORS[vendor].options_timezone is None:
        entry["source_timezone"] = ZONE
    return entry | extra


def start_sandbox(vendor: str, tmp_path, agent_count: int = 6, **sandbox_args):
    simulator = Simulator(seed=11, agent_count=agent_count, timezone=ZONE)
    cls = sandbox_class(vendor)
    if hasattr(cls, "build"):
        sandbox = cls(simulator, path=tmp_path / f"{vendor}.sqlite", **sandbox_args)
        sandbox.build(NIGHT - dt.timedelta(days=2), NIGHT + dt.timedelta(days=1))
    else:
        sandbox = cls(simulator, **sandbox_args)
    return sandbox, sandbox.start()


def set_up(vendor: str, url: str, tmp_path, monkeypatch, *, name: str | None = None,
           entries: list[dict] | None = None, **sandbox_args) -> Setup:
    """A sandbox, an integrations file naming it, mappings for every agent and activity."""
    name = name or f"fault_{vendor}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    write_integrations(tmp_path / "integrations.yaml",
                       entries or [integration_entry(name, vendor)])
    sandbox, connection = start_sandbox(vendor, tmp_path, **sandbox_args)
    engine = create_warehouse_engine(url)
    try:
        ensure_schema(engine)
        map_everything(engine, name, sandbox)
    finally:
        engine.dispose()
    return Setup(get_integration(name), sandbox, connection, url)


def map_everything(engine, name: str, sandbox) -> None:
    import_employee_mappings(engine, name, employee_frame(sandbox))
    vendor_ids = sorted({v[0] for v in sandbox.state_map.values()})
    import_activity_mappings(engine, name, pd.DataFrame({
        "vendor_activity_id": vendor_ids, "activity_id": [10 + i for i in range(len(vendor_ids))],
        "classification": 1, "activity_name": [f"A{i}" for i in range(len(vendor_ids))]}))


def run_night(setup: Setup, run_id: str = "manual__faults", attempt: int = 1,
              connection=None) -> dict:
    """extract -> transform -> load for the setup's night; a failure is recorded in
    import_runs naming the failing task and its try (as the DAG's ``run_guarded`` does) and
    re-raised."""
    night, name = setup.night, setup.integration.name
    task_id = "extract"
    try:
        manifest = tasks.extract(setup.integration, night.start_utc, night.end_utc, run_id,
                                 connection=connection or setup.connection)
        task_id = "transform"
        transformed = tasks.transform(setup.integration, manifest)
        task_id = "load"
        return tasks.load(setup.integration, transformed, attempt)
    except Exception as error:
        tasks.record_failure(setup.integration, night.start_utc, night.end_utc, run_id, task_id,
                             attempt, f"{type(error).__name__}: {error}")
        raise


def table(engine, name: str, integration: str) -> pd.DataFrame:
    frame = pd.read_sql_query(sa.text(f"SELECT * FROM {name} WHERE integration = :i"), engine,
                              params={"i": integration})
    for column in ("start_utc", "end_utc", "loaded_at", "quarantined_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    if "night_date" in frame:
        frame["night_date"] = frame.night_date.astype(str)
    return frame.sort_values(KEY).reset_index(drop=True) if "start_utc" in frame else frame


def data(engine, integration: str) -> dict[str, pd.DataFrame]:
    """The integration's loaded data, exactly (what "the warehouse unchanged" compares)."""
    return {name: table(engine, name, integration)
            for name in ("agent_status_events", "agent_status_quarantine")}


def assert_data_equal(before: dict, after: dict, ignore=()) -> None:
    for name in before:
        keep = [c for c in before[name].columns if c not in ignore]
        pd.testing.assert_frame_equal(before[name][keep], after[name][keep], check_dtype=False)


def assert_exact(setup: Setup, engine=None) -> None:
    """The night in the warehouse (events + quarantine) equals the truth, segment by segment:
    nothing lost, nothing duplicated."""
    own = engine is None
    engine = engine or setup.engine()
    try:
        name, night = setup.integration.name, setup.night
        loaded = pd.concat([t[t.night_date == night.label]
                            for t in data(engine, name).values()], ignore_index=True)
        expected = expected_night(setup.sandbox, night)
        assert len(expected) > 0
        assert not loaded.duplicated(KEY).any(), "a status was loaded twice"
        pd.testing.assert_frame_equal(
            loaded[SEGMENT].sort_values(KEY).reset_index(drop=True),
            expected[SEGMENT].sort_values(KEY).reset_index(drop=True), check_dtype=False)
    finally:
        if own:
            engine.dispose()


def runs(engine, integration: str) -> pd.DataFrame:
    return pd.read_sql_query(sa.text("SELECT * FROM import_runs WHERE integration = :i "
                                     "ORDER BY finished_at"), engine, params={"i": integration})


def staging_leftovers() -> list[str]:
    root = staging_root()
    return [str(p) for p in root.rglob("*")] if root.exists() else []


WAREHOUSES = ["sqlite", "postgres"]


def warehouse_url(request, tmp_path) -> str:
    """The URL of a fresh warehouse of the parametrised kind."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


def env_for_subprocess(url: str) -> dict:
    from tests.conftest import ROOT

    return {**os.environ, "AGENT_STATUS_WAREHOUSE_URL": url,
            "PYTHONPATH": f"{ROOT / 'plugins'}{os.pathsep}{ROOT}"}
