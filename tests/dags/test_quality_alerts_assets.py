"""A run says how it went: nights below their quality threshold fail the run (data loaded),
warnings are recorded, alerts reach a webhook on loopback, and each passing run emits an asset
event naming its nights and counts. Through Airflow (dag.test), into SQLite."""

from __future__ import annotations

import datetime as dt
import json
import socketserver
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import sqlalchemy as sa

from agent_status.config import get_integration
from agent_status.mappings import import_activity_mappings, import_employee_mappings
from agent_status.nights import night_for_date
from agent_status_dev.sandboxes import sandbox_class
from agent_status_dev.simulator import Simulator
from tests.helpers import employee_frame, write_integrations

pytestmark = [pytest.mark.airflow]
NIGHT = dt.date(2026, 11, 10)


class _Webhook:
    def __init__(self):
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers["Content-Length"])
                outer.received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def webhook():
    hook = _Webhook()
    yield hook
    hook.server.shutdown()


class _SmtpServer:
    """A loopback SMTP server (RFC 5321's minimal dialogue) that keeps what it is sent."""

    def __init__(self):
        self.messages: list[dict] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str):
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self):
                self.reply("220 loopback ESMTP")
                sender, recipients = None, []
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ", 1)[0].split(":", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 loopback")
                    elif verb == "MAIL":
                        sender = line.decode().split(":", 1)[1].strip()
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.decode().split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        outer.messages.append({"from": sender, "to": recipients,
                                               "message": message_from_bytes(data)})
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]


@pytest.fixture
def smtp():
    server = _SmtpServer()
    yield server
    server.server.shutdown()


def _setup(tmp_path, monkeypatch, webhook, quality, skip, alerts=None):
    from agent_status.warehouse import create_warehouse_engine, ensure_schema

    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    monkeypatch.setenv("AGENT_STATUS_WAREHOUSE_URL", url)
    simulator = Simulator(seed=5, agent_count=10, timezone="Europe/Berlin")
    sandbox = sandbox_class("genesys_cloud")(simulator)
    connection = sandbox.start()
    monkeypatch.setenv("AIRFLOW_CONN_QA_CONN", json.dumps({
        "conn_type": "agent_status_genesys_cloud", "host": connection.host,
        "login": connection.login, "password": connection.password, "extra": connection.extra}))
    write_integrations(tmp_path / "integrations.yaml", [{
        "name": "qa", "vendor": "genesys_cloud", "conn_id": "qa_conn",
        "timezone": "Europe/Berlin", "start_date": "2026-11-01", "lookback_nights": 0,
        "quality": quality,
        "alerts": alerts or {"webhook": webhook.url, "quarantine_share_above": 0.05}}])
    engine = create_warehouse_engine(url)
    ensure_schema(engine)
    import_employee_mappings(engine, "qa", employee_frame(sandbox, skip=skip))
    ids = sorted({v[0] for v in sandbox.state_map.values()})
    import_activity_mappings(engine, "qa", pd.DataFrame({
        "vendor_activity_id": ids, "activity_id": [10 + i for i in range(len(ids))],
        "classification": 1, "activity_name": [f"A{i}" for i in range(len(ids))]}))
    return sandbox, engine


def _run(integration):
    from agent_status.dag_factory import build_dag

    dag = build_dag(integration)
    night = night_for_date(integration, NIGHT)
    return dag, dag.test(logical_date=night.end_utc + dt.timedelta(hours=1))


def _asset_events(name):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return [e.extra for e in session.query(AssetEvent).join(
            AssetModel, AssetEvent.asset_id == AssetModel.id).filter(
            AssetModel.name == f"agent_status__{name}")]


def test_a_warning_night_loads_alerts_and_emits_its_asset_event(airflow_db, tmp_path,
                                                                 monkeypatch, webhook):
    sandbox, engine = _setup(tmp_path, monkeypatch, webhook, {"identifiers_mapped": 0.5},
                             skip={2})
    try:
        dag, run = _run(get_integration("qa"))
    finally:
        sandbox.stop()
    assert run.state == "success"
    assert dag.dag_display_name == "Genesys Cloud: qa (Europe/Berlin)"
    assert "Europe/Berlin" in dag.timetable.summary
    events = _asset_events("qa")
    assert events, "a passing run emits an asset event"
    night = events[-1]["nights"][0]
    assert night["night"] == NIGHT.isoformat() and night["quality"] == "warning"
    assert night["events_quarantined"] > 0 and night["events_loaded"] > 0
    alerts = [a for a in webhook.received if a["event"] == "quarantine"]
    assert alerts and "quarantined" in alerts[0]["details"][0]
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM agent_status_events")).scalar() > 0
    # the DAG list says which integration needs attention, and why (attention.py)
    from agent_status.dag_factory import build_dag

    assert set(build_dag(get_integration("qa")).tags) == {"agent-status", "needs attention",
                                                          "unmapped agents"}


def test_a_night_below_its_threshold_fails_the_run_visibly(airflow_db, tmp_path, monkeypatch,
                                                           webhook):
    sandbox, engine = _setup(tmp_path, monkeypatch, webhook, {"identifiers_mapped": 0.99},
                             skip={1, 2})
    try:
        dag, run = _run(get_integration("qa"))
    finally:
        sandbox.stop()
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["load"] == "success" and states["quality"] == "failed"
    failures = [a for a in webhook.received if a["event"] == "failure"]
    assert failures and "below their quality threshold" in failures[0]["text"]
    assert not [e for e in _asset_events("qa") if e["nights"][0]["quality"] == "failed"]
    with engine.connect() as c:  # nothing lost: loaded, and the rest waits in quarantine
        assert c.execute(sa.text("SELECT COUNT(*) FROM agent_status_quarantine")).scalar() > 0


def test_the_dag_list_tags_clear_when_a_night_is_healthy_again(airflow_db, tmp_path, monkeypatch,
                                                               webhook):
    from agent_status import attention
    from agent_status.dag_factory import build_dag

    sandbox, _ = _setup(tmp_path, monkeypatch, webhook, {}, skip=set())
    path = attention.attention_file("qa")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"reasons": ["unmapped agents", "quality failed"]}))
    assert set(build_dag(get_integration("qa")).tags) == {
        "agent-status", "needs attention", "quality failed, unmapped agents"}
    try:
        _, run = _run(get_integration("qa"))
    finally:
        sandbox.stop()
    assert run.state == "success"
    assert json.loads(path.read_text())["reasons"] == []
    assert set(build_dag(get_integration("qa")).tags) == {"agent-status"}
    path.write_text("{not json")  # a broken file never breaks the DAG file
    assert set(build_dag(get_integration("qa")).tags) == {"agent-status"}


def test_alerts_reach_an_smtp_server_through_the_airflow_connection(airflow_db, tmp_path,
                                                                    monkeypatch, webhook, smtp):
    monkeypatch.setenv("AIRFLOW_CONN_QA_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": smtp.port,
        "extra": {"from_email": "wfm-alerts@example.com"}}))
    sandbox, _ = _setup(tmp_path, monkeypatch, webhook, {"identifiers_mapped": 0.99},
                        skip={1, 2}, alerts={"email": ["ops@example.com", "wfm@example.com"],
                                             "smtp_conn_id": "qa_smtp",
                                             "quarantine_share_above": 0.05})
    try:
        _, run = _run(get_integration("qa"))
    finally:
        sandbox.stop()
    assert run.state == "failed"
    subjects = {m["message"]["Subject"]: m for m in smtp.messages}
    quarantine = next(m for s, m in subjects.items() if "quarantined above its threshold" in s)
    failure = next(m for s, m in subjects.items() if "qa failed (quality" in s)
    for mail in (quarantine, failure):
        assert mail["from"] == "<wfm-alerts@example.com>"
        assert mail["to"] == ["<ops@example.com>", "<wfm@example.com>"]
    body = quarantine["message"].get_payload()
    assert f"night {NIGHT.isoformat()}" in body and "events quarantined" in body
    assert "below their quality threshold" in failure["message"].get_payload()
