"""Bounds: a page the vendor serves forever ends in an error for every paging vendor (it
used to page without end: 1,564 requests in 240 s), and every task of every DAG has an
``execution_timeout``. (Report-job vendors, Talkdesk and Five9, are bounded by the job
timeout of connectors/report_job.py, tested in tests/connectors/test_report_job.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

from agent_status.config import Integration
from agent_status.connectors.base import VendorError, build_connector
from agent_status.dag_factory import DEFAULT_ARGS, EXECUTION_TIMEOUTS, build_dag
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes.base import Faults
from tests.faults.harness import NIGHT, ZONE, start_sandbox

PAGED = {  # the path each vendor pages along
    "genesys_cloud": "/api/v2/analytics/users/details/query",
    "vonage": "/stats/wfm/agent-states",
    "ujet": "/manager/api/v1/agent_activity_logs",
}


def _integration(vendor: str) -> Integration:
    return Integration(name=f"bounded_{vendor}", vendor=vendor, conn_id="x", timezone=ZONE,
                       start_date=dt.date(2026, 10, 1))


@pytest.mark.parametrize("vendor", sorted(PAGED))
def test_a_page_served_forever_ends(vendor, tmp_path):
    faults = Faults(repeat_path=PAGED[vendor])
    # small pages, so the night spans several and the repeat is long enough to be told apart
    sandbox, connection = start_sandbox(vendor, tmp_path, agent_count=12, faults=faults)
    integration = _integration(vendor)
    options = {"genesys_cloud": {"page_size": 3}, "vonage": {"page_size": 20},
               "ujet": {"per_page": 20}}[vendor]
    integration = Integration(**{**integration.__dict__, "options": options})
    night = night_for_date(integration, NIGHT)
    connector = build_connector(integration, connection)
    try:
        # the vendor's own paging check or the HTTP layer's, whichever sees it first (Vonage
        # sees page 1 answered for page 2 in meta.page, vendors.md 8.3)
        with pytest.raises(VendorError,
                           match=r"repeat(s|ing) (a )?page|meta\.page is 1 for page 2"):
            for _ in connector.extract(night.start_utc, night.end_utc):
                pass
        assert 1 <= faults.injected["repeat"] < 5, faults.injected
    finally:
        connector.close()
        sandbox.stop()


def test_every_task_has_an_execution_timeout(tmp_path):
    integration = _integration("genesys_cloud")
    dag = build_dag(integration)
    assert DEFAULT_ARGS["execution_timeout"] > dt.timedelta(0)
    assert set(EXECUTION_TIMEOUTS) <= {t.task_id for t in dag.tasks}
    for task in dag.tasks:  # quality (after load) runs under the default
        assert task.execution_timeout == EXECUTION_TIMEOUTS.get(
            task.task_id, DEFAULT_ARGS["execution_timeout"]), task.task_id
        assert dt.timedelta(minutes=10) <= task.execution_timeout <= dt.timedelta(hours=6)
