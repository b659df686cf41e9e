"""Operating it for real: a new integration is paused and imports nothing; once its mappings are
in, unpausing imports every night since start_date in order; pausing part-way stops new nights
and leaves no partial night; resuming imports exactly the missed nights; a paused integration
holds back no other; a backfill re-imports exactly its nights. The warehouse ends equal to the
simulator's truth. Once with the LocalExecutor, once with the CeleryExecutor.

Driven only through the REST API (the UI toggle's PATCH) and the airflow CLI; the steps share
one deployment and run in file order."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from tests.e2e.harness import parse_time, wait_for
from tests.e2e.scenario import Deployment, Feed, assert_one_at_a_time_in_order

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.postgres]

RACE = dt.timedelta(seconds=2)  # a scheduler loop that read is_paused just before the PATCH
QUIET_SECONDS = 12  # a dozen scheduler loops (heartbeat 1 s): long enough to start a run
NIGHT_TIMEOUT = 300  # per night, generous for a 2-core machine


@pytest.fixture(scope="module", params=["LocalExecutor", "CeleryExecutor"])
def deployment(request, fresh_database, tmp_path_factory):
    broker = request.getfixturevalue("redis_broker") if request.param == "CeleryExecutor" \
        else None
    feeds = [Feed("pr_genesys", "genesys_cloud", nights=4, zone="Europe/Paris"),
             Feed("pr_avaya", "avaya_cms", nights=3, zone="America/New_York", seed=5)]
    deployment = Deployment(tmp_path_factory.mktemp(f"e2e-{request.param}"), feeds,
                            request.param, fresh_database("agent_status_e2e_meta"),
                            fresh_database("agent_status_e2e_wh"), broker_url=broker)
    try:
        deployment.start()
        deployment.story = {}
        yield deployment
    finally:
        deployment.stop()


def _feeds(deployment):
    return deployment.feeds[0], deployment.feeds[1]


def _needs(deployment, step):
    if step not in deployment.story:
        pytest.fail(f"needs step '{step}', which did not complete")


def test_new_integration_is_paused_and_imports_nothing(deployment):
    stack = deployment.stack
    # SimpleAuthManager (3.3.2): POST /auth/token with the user's password gives the JWT the
    # REST API needs; "admin:admin" in SIMPLE_AUTH_MANAGER_USERS is user:role, the password
    # comes from the passwords file (generated there unless set)
    refused = requests.post(f"{stack.api_url}/auth/token",
                            json={"username": "admin", "password": "not-the-password"})
    assert refused.status_code == 401, refused.text
    anonymous = requests.get(f"{stack.api_url}/api/v2/dags")
    assert anonymous.status_code == 401, anonymous.text
    for feed in deployment.feeds:
        assert stack.dag(feed.dag_id)["is_paused"] is True, f"{feed.dag_id} was not paused"
    time.sleep(QUIET_SECONDS)
    for feed in deployment.feeds:
        assert stack.dag_runs(feed.dag_id) == [], f"{feed.dag_id} ran while paused"
        assert deployment.import_runs(feed).empty
        assert deployment.loaded(feed).empty
    deployment.story["paused"] = True


def test_unpause_imports_in_order_and_pause_stops_new_nights(deployment):
    _needs(deployment, "paused")
    stack = deployment.stack
    feed, _ = _feeds(deployment)
    nights = feed.night_list()
    deployment.import_mappings_cli(feed)

    assert stack.set_paused(feed.dag_id, False)["is_paused"] is False  # the UI toggle

    def second_night_under_way():
        runs = stack.dag_runs(feed.dag_id)
        assert not [r for r in runs if r["state"] == "failed"], runs
        done = [r for r in runs if r["state"] == "success"]
        going = [r for r in runs if r["state"] == "running"]
        return (done, going) if done and going else None

    done, going = wait_for(second_night_under_way, NIGHT_TIMEOUT * 2,
                           f"{feed.dag_id}'s second night to start", every=0.3,
                           on_timeout=stack.dump_logs)
    assert stack.set_paused(feed.dag_id, True)["is_paused"] is True
    paused_at = dt.datetime.now(dt.timezone.utc) + RACE
    assert deployment.run_nights(feed, done) == [nights[0].label], \
        "the first night imported must be start_date's"
    assert deployment.run_nights(feed, going) == [nights[1].label]

    # the task under way may finish; nothing new is queued, no night starts
    wait_for(lambda: not stack.task_instances(feed.dag_id, state=["queued", "running"]),
             NIGHT_TIMEOUT, "the task under way at the pause to finish",
             on_timeout=stack.dump_logs)
    time.sleep(QUIET_SECONDS)
    runs = stack.dag_runs(feed.dag_id)
    late = [r["dag_run_id"] for r in runs if r["start_date"]
            and parse_time(r["start_date"]) > paused_at]
    assert not late, f"runs started while paused: {late}"
    queued_late = [(t["dag_run_id"], t["task_id"]) for t in stack.task_instances(feed.dag_id)
                   if t["queued_when"] and parse_time(t["queued_when"]) > paused_at]
    assert not queued_late, f"tasks queued while paused: {queued_late}"
    started = deployment.run_nights(feed, runs)
    assert started == [n.label for n in nights[:2]], f"nights with a run: {started}"
    under_way = {t["task_id"]: t["state"] for t in stack.task_instances(
        feed.dag_id, going[0]["dag_run_id"])}
    print(f"{stack.executor}: paused while night {nights[1].label} was under way; "
          f"its tasks now {under_way}")

    # each night is whole or absent: never partial, never one that did not start
    loaded = deployment.loaded(feed)
    states = {n.label: deployment.night_state(feed, n, loaded) for n in nights}
    assert states[nights[0].label] == "complete", states
    assert all(s in ("complete", "absent") for s in states.values()), states
    assert all(states[n.label] == "absent" for n in nights[len(started):]), states
    deployment.story["paused_part_way"] = {"run_ids": {r["dag_run_id"] for r in runs},
                                           "nights": started}


def test_resume_imports_exactly_the_missed_nights(deployment):
    _needs(deployment, "paused_part_way")
    stack = deployment.stack
    feed, _ = _feeds(deployment)
    before = deployment.story["paused_part_way"]
    resumed_at = dt.datetime.now(dt.timezone.utc)
    stack.airflow("dags", "unpause", feed.dag_id, check=True)
    assert stack.dag(feed.dag_id)["is_paused"] is False

    runs = stack.wait_runs_done(feed.dag_id, feed.nights, NIGHT_TIMEOUT * feed.nights)
    labels = deployment.run_nights(feed, runs)
    assert sorted(labels) == [n.label for n in feed.night_list()], f"runs for nights {labels}"
    new = [r for r in runs if r["dag_run_id"] not in before["run_ids"]]
    assert sorted(deployment.run_nights(feed, new)) == \
        [n.label for n in feed.night_list()[len(before["nights"]):]]
    assert all(parse_time(r["queued_at"]) >= resumed_at for r in new)
    assert_one_at_a_time_in_order(runs, feed.dag_id)

    imports = deployment.import_runs(feed)
    assert (imports.status == "success").all(), imports[imports.status != "success"].to_string()
    own = imports.merge(_own_nights(deployment, feed, runs), on=["run_id", "night_date"])
    assert sorted(own.night_date) == [n.label for n in feed.night_list()], \
        f"one import per night expected, got {sorted(own.night_date)}"
    # and in order: each night's own import finished after the previous night's
    assert own.sort_values("night_date").finished_at.is_monotonic_increasing
    deployment.assert_equals_truth(feed)
    deployment.story["resumed"] = True


def test_a_paused_integration_holds_back_no_other(deployment):
    _needs(deployment, "resumed")
    stack = deployment.stack
    feed, other = _feeds(deployment)
    # the first imported its whole range while the other stayed paused and untouched
    assert stack.dag(other.dag_id)["is_paused"] is True
    assert stack.dag_runs(other.dag_id) == []
    assert deployment.import_runs(other).empty
    # now the other: mappings through the functions, resumed through the CLI
    deployment.import_mappings(other)
    stack.airflow("dags", "unpause", other.dag_id, check=True)
    runs = stack.wait_runs_done(other.dag_id, other.nights, NIGHT_TIMEOUT * other.nights)
    assert sorted(deployment.run_nights(other, runs)) == [n.label for n in other.night_list()]
    assert_one_at_a_time_in_order(runs, other.dag_id)
    deployment.assert_equals_truth(other)
    deployment.assert_equals_truth(feed)  # untouched by the other's imports


def test_backfill_reimports_exactly_its_nights(deployment):
    _needs(deployment, "resumed")
    stack = deployment.stack
    feed, _ = _feeds(deployment)
    nights = feed.night_list()
    chosen = nights[1:3]
    keep = ["night_date", "external_user_id", "employee_id", "vendor_activity_id",
            "activity_id", "start_utc", "end_utc", "duration_seconds", "table"]
    before = deployment.loaded(feed)[keep].sort_values(["external_user_id", "start_utc"])
    imports_before = deployment.import_runs(feed)
    seen = set(zip(imports_before.night_date, imports_before.run_id, imports_before.attempt))

    result = stack.airflow(
        "backfill", "create", "--dag-id", feed.dag_id,
        "--from-date", chosen[0].start_utc.isoformat(),
        "--to-date", chosen[-1].start_utc.isoformat(),
        "--reprocess-behavior", "completed", "--max-active-runs", "1", check=True)
    backfill = wait_for(
        lambda: [b for b in stack.api("GET", "/backfills", params={"dag_id": feed.dag_id})
                 ["backfills"] if b["completed_at"]],
        NIGHT_TIMEOUT * len(chosen), f"the backfill of {feed.dag_id} to complete",
        on_timeout=lambda: result.stdout + stack.dump_logs())
    assert len(backfill) == 1
    runs = stack.wait_runs_done(feed.dag_id, feed.nights, NIGHT_TIMEOUT)
    assert len(runs) == feed.nights, "a backfill re-runs the nights' runs, it adds none"

    imports = deployment.import_runs(feed)
    new = imports[[key not in seen for key in
                   zip(imports.night_date, imports.run_id, imports.attempt)]]
    assert (new.status == "success").all(), new.to_string()
    own = new.merge(_own_nights(deployment, feed, runs), on=["run_id", "night_date"])
    assert sorted(own.night_date) == [n.label for n in chosen], \
        f"re-imported nights {sorted(own.night_date)}, asked for {[n.label for n in chosen]}"
    lookback = {n.night_date - dt.timedelta(days=b) for n in chosen
                for b in range(1, feed.lookback_nights + 1)}
    assert set(new.night_date) <= {n.label for n in chosen} | {d.isoformat() for d in lookback}
    after = deployment.loaded(feed)[keep].sort_values(["external_user_id", "start_utc"])
    assert before.reset_index(drop=True).equals(after.reset_index(drop=True)), \
        "the backfill changed the table"
    deployment.assert_equals_truth(feed)


def _own_nights(deployment, feed, runs):
    import pandas as pd

    return pd.DataFrame({"run_id": [r["dag_run_id"] for r in runs],
                         "night_date": deployment.run_nights(feed, runs)})
