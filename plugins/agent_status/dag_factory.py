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

**Mapping status**: the **Mapping status** tab of this DAG (or [the status view](/agent-status/integrations/{integration.name}))
lists unmapped identifiers with hints, unmapped vendor activities, quarantined time and the last nights' health,
with links to the Data Docs; each run's **Night summary** tab says how its nights went. The tags `needs attention` and
its reasons (`quality failed, unmapped agents, unmapped activities`) in the DAG list come from the last run. From a shell:
`agent-status unmapped --integration {integration.name}`. Resume this DAG once the mappings are in: every missed
night is imported in order.

| quality (mostly) | {_quality(integration)} |
|---|---|
| alerts | {_alerts(integration)} |
| asset | `agent_status__{integration.name}`: one event per run whose nights pass their quality checks |
"""


def _quality(integration: Integration) -> str:
    from agent_status.quality import mostly

    return ", ".join(f"{k} {v:.0%}" for k, v in mostly(integration.quality).items())


def _alerts(integration: Integration) -> str:
    alerts = integration.alerts or {}
    targets = (["webhook"] if alerts.get("webhook") else []) + list(alerts.get("email") or [])
    if not targets:
        return "none (set `alerts` in the integrations file)"
    share = alerts.get("quarantine_share_above")
    return (", ".join(targets) + " on failure"
            + (f" and when a night quarantines over {share:.0%}" if share is not None else ""))


def _source_zone(integration: Integration) -> str:
    spec = VENDORS[integration.vendor]
    if spec.reports_local_time:
        return f"`{integration.source_zone.key}`"
    return "none: the vendor reports UTC"


def run_guarded(integration: Integration, context, step, *args):
    """Run a task step with owner-only files (staging Parquet, Data Docs and the SQLite
    warehouse hold employee identifiers); a failure appends a failed attempt to the ledger,
    naming the task and its try, and is re-raised so Airflow retries."""
    import os

    from agent_status import tasks

    from airflow.sdk.exceptions import AirflowTaskTimeout

    os.umask(0o077)
    try:
        return step(*args)
    # a try cut by execution_timeout is a failure too (AirflowTaskTimeout is a BaseException,
    # so that nothing swallows it: recorded, then re-raised)
    except (Exception, AirflowTaskTimeout) as error:
        ti = context["ti"]
        tasks.record_failure(integration, context["data_interval_start"],
                             context["data_interval_end"], context["run_id"], ti.task_id,
                             ti.try_number, f"{type(error).__name__}: {error}")
        raise


def asset_for(integration: Integration):
    """The integration's loaded agent-status data, as an Airflow Asset."""
    from airflow.sdk import Asset

    return Asset(name=f"agent_status__{integration.name}",
                 uri=f"agent-status://{integration.name}/agent_status_events",
                 group="agent-status")


def build_dag(integration: Integration):
    import pendulum
    from airflow.sdk import dag, get_current_context, task

    from agent_status import attention
    from agent_status.night_timetable import NightTimetable
    from agent_status.notifiers import notifiers_for

    zone = pendulum.timezone(integration.timezone)
    start = pendulum.datetime(integration.start_date.year, integration.start_date.month,
                              integration.start_date.day, tz=zone)

    spec = VENDORS[integration.vendor]
    # downstream DAGs (dbt, exports, adherence) can be scheduled on this: one event per run
    # whose nights passed their quality checks, its extras naming the nights and their counts
    loaded_asset = asset_for(integration)
    failure_alerts = notifiers_for(integration, "failure")

    @dag(
        dag_id=integration.dag_id,
        dag_display_name=f"{spec.label}: {integration.name} ({integration.timezone})",
        description=f"{VENDORS[integration.vendor].label} agent status, nightly",
        doc_md=doc_md(integration),
        schedule=NightTimetable(integration.schedule, timezone=zone),
        start_date=start,
        catchup=True,
        max_active_runs=1,
        is_paused_upon_creation=True,
        default_args={**DEFAULT_ARGS,
                      **({"on_failure_callback": failure_alerts} if failure_alerts else {})},
        # the DAG list's "which and why": the last run's attention reasons (attention.py); the
        # vendor is in the display name, so the card's three tags are all this product's own
        tags=["agent-status", *attention.tags(integration.name)],
        render_template_as_native_obj=False,
    )
    def agent_status_import():
        # each task gets ``integration`` from here: read and checked once, when the worker
        # parses the DAG file, never re-read from the integrations file by a task
        def guarded(step, *args):
            return run_guarded(integration, get_current_context(), step, *args)

        # integrations sharing a vendor account share its rate budget through one pool
        @task(execution_timeout=EXECUTION_TIMEOUTS["extract"],
              **({"pool": integration.pool} if integration.pool else {}))
        def extract() -> dict:
            from agent_status import tasks

            context = get_current_context()
            return guarded(tasks.extract, integration, context["data_interval_start"],
                           context["data_interval_end"], context["run_id"])

        @task(execution_timeout=EXECUTION_TIMEOUTS["transform"])
        def transform(manifest: dict) -> dict:
            from agent_status import tasks

            return guarded(tasks.transform, integration, manifest)

        @task(execution_timeout=EXECUTION_TIMEOUTS["load"])
        def load(manifest: dict) -> dict:
            from agent_status import tasks

            return guarded(tasks.load, integration, manifest,
                           get_current_context()["ti"].try_number)

        @task(outlets=[loaded_asset])
        def quality(summary: dict) -> dict:
            """Fail the run (red, filterable) when a night is below its quality threshold;
            otherwise emit the asset event. Data is already loaded either way."""
            from airflow.sdk.exceptions import AirflowFailException

            from agent_status import tasks

            context = get_current_context()
            result = tasks.quality_gate(integration, summary)
            attention.record(integration.name, context["run_id"], summary, result["nights"])
            for notifier in (notifiers_for(integration, "quarantine")
                             if result["alert"] else []):
                notifier({**context, "agent_status_details": result["alert"]})
            if result["failed"]:
                raise AirflowFailException(
                    f"{integration.name}: night(s) below their quality threshold: "
                    + "; ".join(f"{n['night']}: {', '.join(n['reasons'])}"
                                for n in result["failed"])
                    + " (data loaded; fix the mappings, then clear this task)")
            context["outlet_events"][loaded_asset].extra = result["asset_extra"]
            return result

        quality(load(transform(extract())))

    return agent_status_import()
