"""The connection form's Test button: the hook of each connection type runs the same check as
`agent-status check` (sandbox on loopback), and says what is wrong without the secret."""

from __future__ import annotations

import json

import pytest

from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator
from tests.helpers import write_integrations


@pytest.fixture
def vonage(tmp_path, monkeypatch):
    sandbox = sandbox_class("vonage")(Simulator(seed=3, agent_count=6, timezone="UTC"))
    connection = sandbox.start()
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'w.sqlite'}")
    _unrelated_integration(tmp_path)  # no integration uses the tested connection yet
    yield sandbox, connection
    sandbox.stop()


def _unrelated_integration(tmp_path):
    write_integrations(tmp_path / "integrations.yaml", [{
        "name": "other", "vendor": "ujet", "conn_id": "other_conn", "timezone": "UTC",
        "start_date": "2026-11-01"}])


def _env_connection(monkeypatch, conn_id, connection, password=None):
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
        "conn_type": "agent_status_vonage", "host": connection.host, "login": connection.login,
        "password": password if password is not None else connection.password,
        "extra": connection.extra}))


def test_a_working_connection_passes(vonage, monkeypatch):
    from agent_status.hooks import VonageHook

    _sandbox, connection = vonage
    _env_connection(monkeypatch, "vonage_ok", connection)
    ok, message = VonageHook(conn_id="vonage_ok").test_connection()
    assert ok, message
    assert "can import" in message


def test_wrong_credentials_fail_without_the_secret(vonage, monkeypatch):
    from agent_status.hooks import VonageHook

    _sandbox, connection = vonage
    _env_connection(monkeypatch, "vonage_bad", connection, password="Recognisable-S3cret!")
    ok, message = VonageHook(conn_id="vonage_bad").test_connection()
    assert not ok
    assert "credentials" in message.lower()
    assert "Recognisable-S3cret!" not in message


def test_a_database_connection_no_integration_uses_yet(tmp_path, monkeypatch):
    from agent_status.hooks import AcdDatabaseHook

    _unrelated_integration(tmp_path)
    database = tmp_path / "acd.sqlite"
    database.write_bytes(b"")
    monkeypatch.setenv("AIRFLOW_CONN_ACD", json.dumps({
        "conn_type": "agent_status_acd_database",
        "extra": {"sqlalchemy_url": f"sqlite:///{database}"}}))
    ok, message = AcdDatabaseHook(conn_id="acd").test_connection()
    assert ok and "database answers" in message


def test_the_database_time_zone_can_live_on_the_connection():
    from agent_status.config import Integration
    from agent_status.connectors.base import ConnectionInfo, VendorError, with_connection_zone

    integration = Integration(name="m", vendor="mitel", conn_id="c", timezone="UTC",
                              start_date=__import__("datetime").date(2026, 11, 1))
    on_connection = ConnectionInfo(conn_id="c", extra={"timezone": "America/Toronto"})
    assert with_connection_zone(integration, on_connection).source_zone.key == "America/Toronto"
    own = __import__("dataclasses").replace(integration, source_timezone="Europe/Oslo")
    assert with_connection_zone(own, on_connection).source_zone.key == "Europe/Oslo"
    with pytest.raises(VendorError, match="extra 'timezone' is not an IANA time zone"):
        with_connection_zone(integration, ConnectionInfo(conn_id="c", extra={"timezone": "Mars"}))


def test_a_database_url_takes_the_password_from_its_field(postgres_url):
    import sqlalchemy as sa

    from agent_status.connectors.base import ConnectionInfo
    from agent_status.connectors.sql import engine_for

    url = sa.make_url(postgres_url)
    connection = ConnectionInfo(conn_id="acd", conn_type="agent_status_acd_database",
                                login=url.username, password="",
                                extra={"sqlalchemy_url": url.set(username=None).render_as_string()})
    engine = engine_for(connection)
    try:
        with engine.connect() as db:
            assert db.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    assert engine_for(ConnectionInfo(conn_id="acd", password="pw", extra={
        "sqlalchemy_url": "postgresql+psycopg://u@h/d"})).url.password == "pw"


def _echo_app():
    """Airflow's test route stand-in: answers the body and Content-Length it was given."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def test(request):
        return JSONResponse({"body": await request.json(), "read": len(await request.body()),
                             "length": int(request.headers["content-length"])})

    return Starlette(routes=[Route("/api/v2/connections/test", test, methods=["POST"])])


@pytest.mark.parametrize(("sent", "port"), [
    ({"connection_id": "c", "conn_type": "agent_status_talkdesk", "port": 0}, None),
    ({"connection_id": "c", "conn_type": "agent_status_talkdesk", "port": 8443}, 8443),
    ({"connection_id": "c", "conn_type": "postgres", "port": 0}, 0),  # not ours: untouched
])
def test_the_list_test_button_port_zero_reads_as_no_port(sent, port):
    """Airflow 3.3's list Test button posts port 0 for a portless connection and the API then
    refuses it (400); every connection of ours is portless (tests/ui/test_browser.py clicks it)."""
    from fastapi.testclient import TestClient

    from agent_status.airflow_plugin import AgentStatusPlugin, PortlessConnectionTest

    assert PortlessConnectionTest in [m["middleware"]
                                      for m in AgentStatusPlugin.fastapi_root_middlewares]
    answer = TestClient(PortlessConnectionTest(_echo_app())).post(
        "/api/v2/connections/test", json=sent).json()
    assert answer["body"] == {**sent, "port": port}
    assert answer["length"] == answer["read"]
