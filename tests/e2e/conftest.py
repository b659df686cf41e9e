"""End-to-end fixtures: fresh PostgreSQL databases, the Redis broker, failure logs.

Each suite skips, naming the service, only where PostgreSQL (or Redis, for Celery) is absent.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.e2e import harness

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = int(os.environ.get("AGENT_STATUS_TEST_REDIS_DB", "11"))  # apart from other users


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs DAGs end to end: dag.test, or a real Airflow "
                                       "(api-server, scheduler, dag-processor, triggerer, "
                                       "workers) as subprocesses")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and harness.ACTIVE:
        for stack in harness.ACTIVE:
            report.sections.append((f"Airflow component logs ({stack.executor})",
                                    stack.dump_logs()))


@pytest.fixture(scope="session")
def fresh_database(postgres_server):
    """``fresh_database(prefix)`` -> URL of a new empty database, dropped at session end."""
    import sqlalchemy as sa

    engine, admin_url = postgres_server
    created = []

    def create(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return admin_url.rsplit("/", 1)[0] + f"/{name}"

    yield create
    for name in created:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_broker():
    try:
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=3).ping()
    except Exception as error:
        pytest.skip(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT} (needed for the "
                    f"CeleryExecutor suite): {error}")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
