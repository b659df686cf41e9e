"""The Airflow plugin (entry point ``airflow.plugins``): the status view in the UI, and the
night timetable.

Registered through the package's entry point rather than a file in the plugins folder, so it
is there wherever the package is installed. Importing it is light: no warehouse or vendor is
touched until a page is requested.
"""

from __future__ import annotations

import json

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


class PortlessConnectionTest:
    """The connection list's Test button on Airflow 3.3 posts ``port: 0`` for a connection
    without a port (the UI's ``Number(null)``); the API takes 0 for another destination and
    answers 400, so no connection of ours (they hide the port) could be tested. For our
    connection types 0 is read as no port, as apache/airflow#73298 does upstream; drop this
    once the pinned Airflow has that fix."""

    PATH = "/api/v2/connections/test"

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not scope["path"].endswith(self.PATH)):
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return await self.app(scope, _replay(message, receive), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fixed = portless_test_body(body)
        if fixed != body:
            scope = {**scope, "headers": [
                (k, str(len(fixed)).encode() if k == b"content-length" else v)
                for k, v in scope["headers"]]}
        await self.app(scope, _replay({"type": "http.request", "body": fixed,
                                       "more_body": False}, receive), send)


def _replay(first: dict, receive):
    pending = [first]

    async def replayed():
        return pending.pop() if pending else await receive()

    return replayed


def portless_test_body(body: bytes) -> bytes:
    """The Test request's body with ``port: 0`` read as no port, for our connection types."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if (isinstance(data, dict) and data.get("port") == 0
            and str(data.get("conn_type") or "").startswith("agent_status_")):
        return json.dumps({**data, "port": None}).encode()
    return body


class AgentStatusPlugin(AirflowPlugin):
    name = "agent_status"
    fastapi_apps = [{"app": _app(), "url_prefix": PREFIX, "name": "Agent status"}]
    fastapi_root_middlewares = [{"middleware": PortlessConnectionTest, "args": [],
                                 "kwargs": {}, "name": "Test button for portless connections"}]
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
