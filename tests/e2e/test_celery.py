"""CeleryExecutor: several integrations importing in parallel on two workers, reconciled with
the truth; two integrations on one vendor account share a 1-slot pool (the account's rate
budget), so their extracts never run at the same time although their runs do."""

from __future__ import annotations

import itertools

import pytest
from celery import Celery

from tests.e2e.harness import parse_time
from tests.e2e.scenario import Deployment, Feed, assert_one_at_a_time_in_order, overlaps

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.postgres]

POOL = "genesys_account"
NIGHT_TIMEOUT = 300


@pytest.fixture(scope="module")
def deployment(fresh_database, redis_broker, tmp_path_factory):
    feeds = [Feed("cel_genesys_sales", "genesys_cloud", nights=3, pool=POOL, account="genesys"),
             Feed("cel_genesys_support", "genesys_cloud", nights=3, pool=POOL,
                  account="genesys"),
             Feed("cel_avaya", "avaya_cms", nights=3, zone="America/New_York", seed=5)]
    deployment = Deployment(tmp_path_factory.mktemp("e2e-celery"), feeds, "CeleryExecutor",
                            fresh_database("agent_status_e2e_meta"),
                            fresh_database("agent_status_e2e_wh"), broker_url=redis_broker)
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def test_integrations_import_in_parallel_and_a_shared_pool_serialises_extracts(deployment):
    stack = deployment.stack
    # the operator creates the account's pool, loads the mappings, then resumes the DAGs
    stack.airflow("pools", "set", POOL, "1", "Genesys Cloud account: one extract at a time",
                  check=True)
    assert stack.api("GET", f"/pools/{POOL}")["slots"] == 1
    for feed in deployment.feeds:
        deployment.import_mappings_cli(feed)
    for feed in deployment.feeds:
        stack.set_paused(feed.dag_id, False)

    runs = {f.name: stack.wait_runs_done(f.dag_id, f.nights, NIGHT_TIMEOUT * f.nights)
            for f in deployment.feeds}
    for feed in deployment.feeds:
        assert sorted(deployment.run_nights(feed, runs[feed.name])) == \
            [n.label for n in feed.night_list()]
        assert_one_at_a_time_in_order(runs[feed.name], feed.dag_id)  # per DAG: one at a time
        deployment.assert_equals_truth(feed)

    # in parallel: runs of different integrations overlapped in time, on both workers
    spans = {name: [(parse_time(r["start_date"]), parse_time(r["end_date"])) for r in rs]
             for name, rs in runs.items()}
    pooled = [f.name for f in deployment.feeds if f.pool == POOL]
    assert any(overlaps(a, b) for a in spans[pooled[0]] for b in spans[pooled[1]]), \
        f"the pooled integrations never ran at the same time: {spans}"
    workers = _tasks_per_worker(stack)
    assert len([w for w, n in workers.items() if n > 0]) >= 2, f"tasks per worker: {workers}"

    # the pool: extracts of the two integrations on the account never overlapped
    extracts = {}
    for feed in deployment.feeds:
        tis = [t for t in stack.task_instances(feed.dag_id) if t["task_id"] == "extract"]
        assert len(tis) == feed.nights
        assert {t["pool"] for t in tis} == {feed.pool or "default_pool"}
        extracts[feed.name] = [(parse_time(t["start_date"]), parse_time(t["end_date"]))
                               for t in tis]
    clashes = [(a, b) for a, b in itertools.product(extracts[pooled[0]], extracts[pooled[1]])
               if overlaps(a, b)]
    assert not clashes, f"extracts sharing the 1-slot pool ran together: {clashes}"


def _tasks_per_worker(stack) -> dict[str, int]:
    app = Celery(broker=stack.env["AIRFLOW__CELERY__BROKER_URL"])
    try:
        stats = app.control.inspect(timeout=3.0).stats() or {}
    finally:
        app.close()
    return {name: sum((info.get("total") or {}).values()) for name, info in stats.items()
            if stack.queue in name}
