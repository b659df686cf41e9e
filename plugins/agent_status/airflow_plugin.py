"""The Airflow plugin (entry point ``airflow.plugins``): the status view in the UI, and the
night timetable.

Registered through the package's entry point rather than a file in the plugins folder, so it
is there wherever the package is installed. Importing it is light: no warehouse or vendor is
touched until a page is requested.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from agent_status.night_timetable import NightTimetable
from agent_status.status_view import PREFIX


def _require_user():
    """Airflow's own login check: the pages are for signed-in users only."""
    from airflow.api_fastapi.core_api.security import get_user

    return get_user


def _app():
    from agent_status.status_view import create_app

    return create_app(require_user=_require_user())


class AgentStatusPlugin(AirflowPlugin):
    name = "agent_status"
    fastapi_apps = [{"app": _app(), "url_prefix": PREFIX, "name": "Agent status"}]
    external_views = [
        # the top navigation: every integration, what needs attention and why
        {"name": "Agent status", "href": f"{PREFIX}/", "destination": "nav",
         "url_route": "agent-status", "nav_top_level": True},
        # a tab on each DAG: its unmapped identifiers, activities, last nights
        {"name": "Mapping status", "href": f"{PREFIX}/dags/{{DAG_ID}}", "destination": "dag",
         "url_route": "mapping-status"},
        # a tab on each run: how its nights went (loaded, quarantined, defaulted, validation)
        {"name": "Night summary", "href": f"{PREFIX}/dags/{{DAG_ID}}/runs/{{RUN_ID}}",
         "destination": "dag_run", "url_route": "night-summary"},
    ]
    timetables = [NightTimetable]
