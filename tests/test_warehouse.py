"""Warehouse schema: versioned migrations applied once; a current warehouse sees no DDL from a
task or a command, so analysts' views, their GRANTs and a long read survive a night's load."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent_status import tasks
from agent_status.cli import main
from agent_status.config import get_integration
from agent_status.warehouse import (create_warehouse_engine, ensure_schema, migrate,
                                    migration_statements, migrations, schema_version)
from tests.helpers import write_integrations
from tests.pipeline.test_load import NO_QUARANTINE, events, night
from tests.pipeline.test_load import load as load_events

LATEST = [f"{version:04d}_{name}" for version, name, _ in migrations()]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path, monkeypatch):
    if request.param == "postgres":
        value = request.getfixturevalue("postgres_url")
    else:
        value = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", value)
    write_integrations(tmp_path / "i.yaml", [
        {"name": "tk", "vendor": "avaya_cms", "conn_id": "c", "timezone": "UTC",
         "start_date": "2026-01-01"}])
    return value


def manifest(tmp_path: Path, day: int, run_id: str) -> dict:
    """What transform hands load for one night."""
    folder = tmp_path / "staging" / run_id
    folder.mkdir(parents=True)
    n = night(day)
    events(100, day).to_parquet(folder / "events.parquet", index=False)
    NO_QUARANTINE.astype({"duration_seconds": float, "is_open": bool}).to_parquet(
        folder / "quarantine.parquet", index=False)
    (folder / "validation.json").write_text(json.dumps(
        {"success": True, "summary": [], "rows": [], "data_docs": None}))
    return {"integration": "tk", "run_id": run_id, "raw_path": str(folder / "raw.parquet"),
            "nights": [{"start_utc": n.start_utc.isoformat(), "end_utc": n.end_utc.isoformat(),
                        "night_date": n.night_date.isoformat(),
                        "events_path": str(folder / "events.parquet"),
                        "quarantine_path": str(folder / "quarantine.parquet"),
                        "validation_path": str(folder / "validation.json"),
                        "counts": {"events_extracted": 100, "events_loaded": 100,
                                   "events_quarantined": 0, "events_defaulted": 0}}]}


def test_migrations_apply_once_and_in_order(url):
    engine = create_warehouse_engine(url)
    assert schema_version(engine) == 0
    assert ensure_schema(engine) == LATEST
    assert schema_version(engine) == len(LATEST)
    assert ensure_schema(engine) == [] and migrate(engine) == []
    with engine.connect() as c:
        versions = c.execute(sa.text("SELECT version, name FROM agent_status_schema_version "
                                     "ORDER BY version")).all()
    assert [f"{v:04d}_{n}" for v, n in versions] == LATEST
    engine.dispose()


def test_a_warehouse_from_before_migrations_is_adopted_with_its_data(url):
    """The old schema.sql created the tables of migration 1 without a version table."""
    engine = create_warehouse_engine(url)
    with engine.begin() as c:
        for statement in migration_statements(migrations()[0][2], engine.dialect.name):
            c.execute(sa.text(statement))
        c.execute(sa.text(
            "INSERT INTO import_runs (integration, night_date, run_id, attempt, vendor, status, "
            "night_start_utc, night_end_utc, finished_at) VALUES ('tk', '2026-11-01', 'r0', 3, "
            "'avaya_cms', 'success', :t, :t, :t)"), {"t": night(1).start_utc})
    assert ensure_schema(engine) == LATEST
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT attempt, try_number, task_id FROM import_runs")).all() \
            == [(3, 3, None)]
    engine.dispose()


def test_a_nights_load_leaves_views_dependent_views_and_grants_alone(url, tmp_path, capsys):
    """ensure_schema dropped and re-created the views on every task and command: a BI view on
    ours made every night fail (and no import_runs row was written), GRANTs vanished, and on
    PostgreSQL an analyst's long read of the view stalled the load."""
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    postgres = engine.dialect.name == "postgresql"
    role = f"analyst_{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:
        c.execute(sa.text("CREATE VIEW bi_daily AS SELECT integration, night_date, "
                          "SUM(seconds) AS seconds FROM time_in_activity_daily "
                          "GROUP BY integration, night_date"))
        if postgres:
            c.execute(sa.text(f"CREATE ROLE {role} NOLOGIN"))
            c.execute(sa.text(f"GRANT SELECT ON time_in_activity_daily TO {role}"))
    catalog = _catalog(engine)
    # an analyst's read, still open while the night loads (its locks on PostgreSQL; its WAL
    # snapshot on SQLite, read as the sqlite3 shell does, without our writer's BEGIN IMMEDIATE)
    reader = engine.connect() if postgres else _sqlite_reader(url)
    try:
        assert reader.execute(sa.text("SELECT COUNT(*) FROM bi_daily")).scalar() == 0
        load_url = url + ("?options=-c%20lock_timeout%3D3000" if postgres else "")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AGENT_STATUS_WAREHOUSE_URL", load_url)
            tasks.load(get_integration("tk"), manifest(tmp_path, 1, "r1"), try_number=1)
            tasks.record_failure(get_integration("tk"), night(2).start_utc, night(2).end_utc,
                                 "r2", "extract", 1, "HTTPError: 503")
            for argv in (["summary"], ["unmapped"], ["init-warehouse"]):
                assert main(argv) in (0, 1), argv
        reader.commit()
    finally:
        reader.close()
    capsys.readouterr()
    assert _catalog(engine) == catalog  # no view dropped, re-created or altered
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT seconds FROM bi_daily")).scalar() == 100
        ledger = c.execute(sa.text("SELECT night_date, run_id, status FROM import_runs "
                                   "ORDER BY night_date, run_id")).all()
        # run r2's failure covers its night and the lookback night
        assert [(str(d), r, s) for d, r, s in ledger] == [
            ("2026-11-01", "r1", "success"), ("2026-11-01", "r2", "failed"),
            ("2026-11-02", "r2", "failed")]
        if postgres:
            assert c.execute(sa.text(
                f"SELECT has_table_privilege('{role}', 'time_in_activity_daily', 'SELECT')")
            ).scalar() is True
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
            c.commit()
    engine.dispose()


def _sqlite_reader(url: str) -> sa.Connection:
    plain = sa.create_engine(url, connect_args={"isolation_level": None})

    @sa.event.listens_for(plain, "begin")
    def _deferred(connection):
        connection.exec_driver_sql("BEGIN")

    return plain.connect()


def _catalog(engine: sa.Engine):
    """Views as the database knows them: PostgreSQL object ids (a re-created view gets a new
    one) or SQLite's schema cookie (bumped by any DDL)."""
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            return c.execute(sa.text("SELECT relname, oid FROM pg_class WHERE relkind = 'v' "
                                     "ORDER BY relname")).all()
        return c.execute(sa.text("PRAGMA schema_version")).scalar()


def test_sqlite_warehouse_file_is_owner_only(tmp_path):
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'private' / 'w.sqlite'}")
    ensure_schema(engine)
    engine.dispose()
    assert stat.S_IMODE((tmp_path / "private" / "w.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o700


def test_a_failed_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    from agent_status import warehouse

    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    ensure_schema(engine)
    broken = tmp_path / "migrations"
    broken.mkdir()
    for _version, _name, path in migrations():
        (broken / path.name).write_text(path.read_text())
    (broken / "9999_broken.sql").write_text(
        "CREATE TABLE half_done (x INTEGER)\n;\nSELECT * FROM no_such_table\n;\n")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", broken)
    with pytest.raises(sa.exc.OperationalError, match="no_such_table"):
        ensure_schema(engine)
    assert schema_version(engine) == len(LATEST)
    assert not sa.inspect(engine).has_table("half_done")
    engine.dispose()



def test_migration_3_rekeys_the_events_keeping_rows_views_and_grants(url, monkeypatch):
    """A version-2 warehouse with loaded nights, an analyst's view on the events table and (on
    PostgreSQL) a GRANT on it: migration 3 keeps all of them, and the night is replaced through
    the new key."""
    from agent_status import warehouse

    engine = create_warehouse_engine(url)
    postgres = engine.dialect.name == "postgresql"
    with monkeypatch.context() as patch:
        patch.setattr(warehouse, "migrations", lambda: migrations()[:2])
        assert ensure_schema(engine) == LATEST[:2]
    load_events(engine, events(300, 1), 1)
    load_events(engine, events(200, 2), 2)
    role = f"analyst_{uuid.uuid4().hex[:8]}"
    with engine.begin() as c:
        c.execute(sa.text("CREATE VIEW bi_events AS SELECT night_date, COUNT(*) AS n "
                          "FROM agent_status_events GROUP BY night_date"))
        if postgres:
            c.execute(sa.text(f"CREATE ROLE {role} NOLOGIN"))
            c.execute(sa.text(f"GRANT SELECT ON agent_status_events TO {role}"))
    catalog = _catalog(engine) if postgres else None
    before = _events(engine)
    assert ensure_schema(engine) == LATEST[2:]
    assert _events(engine) == before
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(sa.text(
            "SELECT night_date, n FROM bi_events ORDER BY night_date")).all()] == [
            (d, n) for d, n in c.execute(sa.text(
                "SELECT night_date, COUNT(*) FROM agent_status_events GROUP BY night_date "
                "ORDER BY night_date")).all()]
        key = sa.inspect(c).get_pk_constraint("agent_status_events")["constrained_columns"]
        assert key == ["integration", "night_date", "run_id", "external_user_id", "start_utc"]
        assert "agent_status_events_night" not in {
            i["name"] for i in sa.inspect(c).get_indexes("agent_status_events")}
        if postgres:
            assert _catalog(engine) == catalog  # the views were not re-created
            assert c.execute(sa.text(f"SELECT has_table_privilege('{role}', "
                                     "'agent_status_events', 'SELECT')")).scalar() is True
    load_events(engine, events(250, 1), 1, run_id="r2")  # night 1 replaced, night 2 kept
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT run_id, COUNT(*) FROM agent_status_events "
                                 "GROUP BY run_id ORDER BY run_id")).all() == [
            ("r1", 200), ("r2", 250)]
        if postgres:
            c.execute(sa.text("DROP VIEW bi_events"))
            c.execute(sa.text(f"DROP OWNED BY {role}"))
            c.execute(sa.text(f"DROP ROLE {role}"))
            c.commit()
    engine.dispose()


def _events(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(
            "SELECT * FROM agent_status_events ORDER BY night_date, external_user_id, "
            "start_utc")).all()]
