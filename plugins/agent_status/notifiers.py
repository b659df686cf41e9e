"""Alerts per integration (the integrations file's ``alerts``), with Airflow's notifier
mechanism: a failed task, or a night whose quarantine is above the integration's threshold,
posts to a webhook and/or sends an e-mail through an Airflow SMTP connection.

The message names the integration, the run and the nights and what went wrong; it carries no
credential (the webhook URL itself is never logged).
"""

from __future__ import annotations

import json
import logging
import urllib.request

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


class WebhookNotifier(BaseNotifier):
    """POSTs a JSON alert (Slack, Teams, Opsgenie... any incoming webhook)."""

    def __init__(self, url: str, integration: str, event: str = "failure", timeout: float = 10):
        super().__init__()
        self.url, self.integration, self.event, self.timeout = url, integration, event, timeout

    def notify(self, context) -> None:
        payload = alert_payload(self.integration, self.event, context)
        request = urllib.request.Request(self.url, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"},
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except OSError as error:  # an alert that cannot be sent must not hide the failure
            log.error("%s: the %s alert webhook could not be reached (%s)", self.integration,
                      self.event, type(error).__name__)


class EmailNotifier(BaseNotifier):
    """Sends the alert through the Airflow SMTP connection ``smtp_conn_id``."""

    def __init__(self, to: list[str], integration: str, event: str = "failure",
                 smtp_conn_id: str = "smtp_default"):
        super().__init__()
        self.to, self.integration, self.event = list(to), integration, event
        self.smtp_conn_id = smtp_conn_id

    def notify(self, context) -> None:
        import smtplib
        from email.message import EmailMessage

        from agent_status.connectors.base import ConnectionInfo

        payload = alert_payload(self.integration, self.event, context)
        message = EmailMessage()
        message["Subject"] = payload["title"]
        message["To"] = ", ".join(self.to)
        try:
            conn = ConnectionInfo.from_airflow(self.smtp_conn_id)
            message["From"] = conn.extra.get("from_email") or conn.login or "agent-status@localhost"
            message.set_content(payload["text"])
            port = conn.port or 25
            with smtplib.SMTP(conn.host or "localhost", port, timeout=30) as smtp:
                if conn.extra.get("starttls"):
                    smtp.starttls()
                if conn.login and conn.password:
                    smtp.login(conn.login, conn.password)
                smtp.send_message(message)
        except Exception as error:  # noqa: BLE001 - never hide the failure being reported
            log.error("%s: the %s alert e-mail could not be sent (%s)", self.integration,
                      self.event, type(error).__name__)


def alert_payload(integration: str, event: str, context) -> dict:
    ti = context.get("ti") if hasattr(context, "get") else None
    run_id = context.get("run_id") if hasattr(context, "get") else None
    exception = context.get("exception") if hasattr(context, "get") else None
    details = context.get("agent_status_details") if hasattr(context, "get") else None
    task = getattr(ti, "task_id", None)
    if event == "failure":
        title = f"agent-status: {integration} failed ({task or 'a task'}, run {run_id})"
        text = f"{title}\n{type(exception).__name__ + ': ' if exception else ''}{exception or ''}"
    else:
        title = f"agent-status: {integration} quarantined above its threshold (run {run_id})"
        text = title + "".join(f"\n- {line}" for line in (details or []))
    return {"integration": integration, "event": event, "dag_id": f"agent_status__{integration}",
            "run_id": run_id, "task_id": task, "title": title, "text": text,
            "details": details or []}


def notifiers_for(integration, event: str) -> list[BaseNotifier]:
    """The notifiers the integration's ``alerts`` asks for (none: an empty list)."""
    alerts = integration.alerts or {}
    notifiers: list[BaseNotifier] = []
    if alerts.get("webhook"):
        notifiers.append(WebhookNotifier(alerts["webhook"], integration.name, event))
    if alerts.get("email"):
        notifiers.append(EmailNotifier(alerts["email"], integration.name, event,
                                       alerts.get("smtp_conn_id", "smtp_default")))
    return notifiers
