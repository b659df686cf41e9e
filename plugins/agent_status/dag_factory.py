"""One DAG per configured integration: extract >> transform >> load over one night.

Nothing here touches a vendor or the warehouse: parsing only reads the integrations file.
"""

from __future__ import annotations

import datetime as dt

from agent_status.config import Integration
from agent_status.connectors.registry import IDENTIFIER_LABELS, VENDORS

DEFAULT_ARGS = {
    "owner": "agent-status",
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
    # no task runs unbounded: a vendor that hangs or pages forever fails the try, which retries
    "execution_timeout": dt.timedelta(hours=1),
}
# extract waits on vendors (rate limits, report jobs, a month of backfill), so it gets longer
EXECUTION_TIMEOUTS = {"extract": dt.timedelta(hours=4), "transform": dt.timedelta(hours=1),
                      "load": dt.timedelta(hours=1)}


def doc_md(integration: Integration) -> str:
    spec = VENDORS[integration.vendor]
    return f"""
### Agent status import: `{integration.name}`

{integration.description}

| | |
|---|---|
| vendor | {spec.label} (`{integration.vendor}`), {spec.access} |
| agents matched on | {IDENTIFIER_LABELS[spec.identifier]} (exact: case, spelling, spaces) |
| Airflow connection | `{integration.conn_id}` |
| nights | `{integration.schedule}` cut-over in `{integration.timezone}` (23 h / 25 h at DST) |
| vendor local time | {_source_zone(integration)} |
| lookback | each run re-imports {integration.lookback_nights} earlier night(s) |
| start date | {integration.start_date} |
| extract pool | `{integration.pool or 'default_pool'}` (integrations sharing a vendor account share a pool with N slots, created with `airflow pools set NAME N 'desc'`) |

Mapping status: `.venv/bin/agent-status unmapped --integration {integration.name}` lists identifiers and activities
without a mapping. Resume this DAG once they are in: every missed night is imported in order.
"""


def _source_zone(integration: Integration) -> str:
    spec = VENDORS[integration.vendor]
    if spec.fixed_source_timezone:
        return f"`{spec.fixed_source_timezone}` (fixed by the vendor)"
    if spec.reports_local_time:
        return f"`{integration.source_timezone or integration.timezone}`"
    return "none: the vendor reports UTC"


def build_dag(integration: Integration):
    import pendulum
    from airflow.sdk import dag, get_current_context, task
    from airflow.timetables.interval import CronDataIntervalTimetable

    zone = pendulum.timezone(integration.timezone)
    start = pendulum.datetime(integration.start_date.year, integration.start_date.month,
                              integration.start_date.day, tz=zone)

    @dag(
        dag_id=integration.dag_id,
        description=f"{VENDORS[integration.vendor].label} agent status, nightly",
        doc_md=doc_md(integration),
        schedule=CronDataIntervalTimetable(integration.schedule, timezone=zone),
        start_date=start,
        catchup=True,
        max_active_runs=1,
        is_paused_upon_creation=True,
        default_args=DEFAULT_ARGS,
        tags=["agent-status", integration.vendor],
        render_template_as_native_obj=False,
    )
    def agent_status_import():
        def guarded(step, *args):
            from airflow.sdk.exceptions import AirflowTaskTimeout

            from agent_status import tasks

            context = get_current_context()
            try:
                return step(*args)
            # a try cut by execution_timeout is a failure too (AirflowTaskTimeout is a
            # BaseException, so that nothing swallows it: re-raised below)
            except (Exception, AirflowTaskTimeout) as error:
                tasks.record_failure(integration.name, context["data_interval_start"],
                                     context["data_interval_end"], context["run_id"],
                                     context["ti"].try_number, f"{type(error).__name__}: {error}")
                raise

        # integrations sharing a vendor account share its rate budget through one pool
        @task(execution_timeout=EXECUTION_TIMEOUTS["extract"],
              **({"pool": integration.pool} if integration.pool else {}))
        def extract() -> dict:
            from agent_status import tasks

            context = get_current_context()
            return guarded(tasks.extract, integration.name, context["data_interval_start"],
                           context["data_interval_end"], context["run_id"])

        @task(execution_timeout=EXECUTION_TIMEOUTS["transform"])
        def transform(manifest: dict) -> dict:
            from agent_status import tasks

            return guarded(tasks.transform, manifest)

        @task(execution_timeout=EXECUTION_TIMEOUTS["load"])
        def load(manifest: dict) -> dict:
            from agent_status import tasks

            return guarded(tasks.load, manifest, get_current_context()["ti"].try_number)

        load(transform(extract()))

    return agent_status_import()
