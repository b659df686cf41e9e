"""Secrets: every vendor runs with a recognisable password (and, where the vendor issues one,
a bearer token); neither appears in any log record, exception, ``import_runs.error``, Data Docs
page or CLI output, whether the night succeeds or fails on a wrong password."""

from __future__ import annotations

import base64
import dataclasses
import logging
import os
import traceback
from pathlib import Path

import pytest

from agent_status.cli import main as cli
from agent_status.connectors.base import ConnectionInfo
from agent_status.connectors.registry import VENDORS
from agent_status_dev.sandboxes import SANDBOXES
from tests.faults.harness import run_night, runs, set_up

HTTP_SECRETS = {  # the sandbox module's credential constant, replaced by a canary
    "genesys_cloud": "CLIENT_SECRET", "talkdesk": "CLIENT_SECRET", "vonage": "CLIENT_SECRET",
    "five9": "PASSWORD", "ujet": "CREDENTIALS",
}
SQL_VENDORS = sorted(v for v in SANDBOXES if v not in HTTP_SECRETS and v != "generic_sql")


def canary(vendor: str, what: str) -> str:
    return f"Canary-{what}-{vendor}-7f3a9c"


def _everything_said(caplog, capsys, error: BaseException | None, engine, name) -> str:
    """Every place a secret could leak to: log records (with their tracebacks), the exception
    (message, repr, traceback), import_runs.error, Data Docs, CLI output."""
    parts = [r.getMessage() + (logging.Formatter().formatException(r.exc_info)
                               if r.exc_info else "") for r in caplog.records]
    if error is not None:
        parts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    parts += [str(e) for e in runs(engine, name).error.dropna()]
    for path in Path(os.environ["AGENT_STATUS_GX_DIR"]).rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    commands = [["export-employees", "--integration", name],
                ["export-activities", "--integration", name]]
    if engine.dialect.name == "sqlite":  # on PostgreSQL they fail (test_files, xfail row)
        commands += [["summary"], ["unmapped"]]
    for command in commands:
        cli(command)
    captured = capsys.readouterr()
    parts += [captured.out, captured.err]
    return "\n".join(parts)


def _assert_secret_free(text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, f"secret(s) leaked: {leaked}"


@pytest.mark.parametrize("vendor", sorted(HTTP_SECRETS))
def test_http_vendor_secrets_never_show(vendor, url, tmp_path, monkeypatch, caplog, capsys):
    import sys

    module = sys.modules[SANDBOXES[vendor].__module__]
    password = canary(vendor, "pw")
    if HTTP_SECRETS[vendor] == "CREDENTIALS":
        login = module.CREDENTIALS["company_key"][0]
        monkeypatch.setitem(module.CREDENTIALS, "company_key", (login, password))
    else:
        monkeypatch.setattr(module, HTTP_SECRETS[vendor], password)
    caplog.set_level(logging.DEBUG)
    setup = set_up(vendor, url, tmp_path, monkeypatch)
    engine = setup.engine()
    try:
        assert setup.connection.password == password
        run_night(setup, run_id="scheduled__ok")
        tokens = list(getattr(setup.sandbox, "_tokens", {}))
        basic = base64.b64encode(f"{setup.connection.login}:{password}".encode()).decode()
        secrets = [password, basic, *tokens]

        wrong = canary(vendor, "wrong")
        error = None
        try:
            run_night(setup, run_id="manual__wrong",
                      connection=dataclasses.replace(setup.connection, password=wrong))
        except Exception as raised:  # noqa: BLE001 - the failure is what is inspected
            error = raised
        assert error is not None, "a wrong password must fail the night"
        assert not runs(engine, setup.integration.name).query("status == 'failed'").empty
        text = _everything_said(caplog, capsys, error, engine, setup.integration.name)
        _assert_secret_free(text, secrets + [
            wrong, base64.b64encode(f"{setup.connection.login}:{wrong}".encode()).decode()])
    finally:
        engine.dispose()
        setup.sandbox.stop()


@pytest.mark.parametrize("vendor", SQL_VENDORS)
def test_sql_vendor_password_never_shows(vendor, url, tmp_path, monkeypatch, caplog, capsys):
    """The database password (connection fields, the documented way) on a failing login."""
    caplog.set_level(logging.DEBUG)
    setup = set_up(vendor, url, tmp_path, monkeypatch)
    engine = setup.engine()
    password = canary(vendor, "pw")
    connection = ConnectionInfo(conn_id=f"{vendor}_conn", conn_type="postgres",
                                host="127.0.0.1", port=5432, login=f"nobody_{vendor}",
                                password=password, schema="no_such_database")
    try:
        with pytest.raises(Exception) as raised:
            run_night(setup, run_id="manual__wrong", connection=connection)
        text = _everything_said(caplog, capsys, raised.value, engine, setup.integration.name)
        assert VENDORS[vendor].label in text or vendor in text or "connection" in text
        _assert_secret_free(text, [password])
    finally:
        engine.dispose()
        setup.sandbox.stop()
