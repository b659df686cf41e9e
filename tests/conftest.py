"""Test environment: a private Airflow home (SQLite metadata), staging, GX and warehouse dirs.

Set before anything imports Airflow. Tests that need PostgreSQL use a fresh database on
127.0.0.1:5432 and skip, saying so, only where the server is absent.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="agent-status-tests-"))
os.environ.update({
    "AIRFLOW_HOME": str(_SESSION_DIR / "airflow"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "GX_ANALYTICS_ENABLED": "False",
    "AGENT_STATUS_STAGING_DIR": str(_SESSION_DIR / "staging"),
    "AGENT_STATUS_GX_DIR": str(_SESSION_DIR / "gx"),
    "AGENT_STATUS_WAREHOUSE_URL": f"sqlite:///{_SESSION_DIR / 'warehouse.sqlite'}",
})
PG_ADMIN_URL = os.environ.get("AGENT_STATUS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def airflow_db():
    """Airflow's metadata database, migrated once per session."""
    from airflow.utils.db import resetdb

    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    resetdb(skip_init=False)
    return True


def _pg_admin_engine():
    import sqlalchemy as sa

    for url in (PG_ADMIN_URL, "postgresql+psycopg://root@127.0.0.1:5432/postgres"):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return engine, url
        except Exception:
            engine.dispose()
    return None, None


@pytest.fixture(scope="session")
def postgres_server():
    engine, url = _pg_admin_engine()
    if engine is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (needed for this test)")
    yield engine, url
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import sqlalchemy as sa

    engine, url = postgres_server
    name = f"agent_status_t_{uuid.uuid4().hex[:10]}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + f"/{name}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture
def warehouse(request, tmp_path):
    """Parametrise with indirect=["warehouse"] over "sqlite" / "postgres"."""
    import sqlalchemy as sa  # noqa: F401

    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    if getattr(request, "param", "sqlite") == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
