"""`make airflow` as a user runs it in a terminal: it prints the URL of the port it really
listens on (the preferred one taken, another is chosen), serves the UI and the sandboxes, and
one Ctrl-C stops all of it: api-server, scheduler and its workers, dag-processor, sandboxes.

The command runs in a pseudo-terminal, so Ctrl-C arrives as a terminal sends it (SIGINT to the
foreground process group), not as a signal the test sends to a pid it knows."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import write_integrations

pytestmark = [pytest.mark.airflow]
ROOT = Path(__file__).resolve().parents[2]


def _read_until(fd: int, pattern: str, timeout: float) -> str:
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
            if re.search(pattern, out.decode(errors="replace")):
                break
    return out.decode(errors="replace")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _running(pid: int) -> bool:
    try:  # /proc/<pid>/stat: "pid (command) state ..."; a zombie (Z) has already exited
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the components start their own sessions, so their process
    groups differ; the parent links do not)."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_make_airflow_prints_its_real_port_and_stops_everything_on_ctrl_c(airflow_db, tmp_path):
    home = Path(os.environ["AIRFLOW_HOME"])
    (home / "passwords.json").write_text(json.dumps({"admin": "admin"}))
    write_integrations(tmp_path / "integrations.yaml", [{
        "name": "acme_ui", "vendor": "genesys_cloud", "conn_id": "acme_ui_conn",
        "timezone": "Europe/Berlin", "start_date": "2026-11-01"}])
    taken = socket.socket()  # the preferred port is busy: another must be chosen and printed
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    env = {**os.environ,
           "AIRFLOW__API__PORT": str(taken.getsockname()[1]),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
           "AGENT_STATUS_INTEGRATIONS": str(tmp_path / "integrations.yaml"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"),
                                                       os.environ.get("PYTHONPATH")]))}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command a user types (make airflow runs exactly this)
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "agent_status_dev.demo", "airflow"], env)
    try:
        out = _read_until(fd, r"Ctrl-C stops", timeout=300)
        url = re.search(r"Airflow UI: (http://localhost:(\d+))", out)
        assert url, f"no Airflow UI line in:\n{out[-2000:]}"
        port = int(url.group(2))
        assert port != taken.getsockname()[1]
        sandbox = re.search(r"acme_ui: http://127\.0\.0\.1:(\d+)", out)
        assert sandbox, out[-2000:]
        sandbox_port = int(sandbox.group(1))
        assert requests.get(f"{url.group(1)}/api/v2/monitor/health", timeout=10).ok
        assert _listening(sandbox_port)
        children = _descendants(pid)
        commands = " ".join(Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
                            for p in children if Path(f"/proc/{p}").exists())
        assert "scheduler" in commands and "dag-processor" in commands, commands

        os.write(fd, b"\x03")  # Ctrl-C
        out += _read_until(fd, r"$^", timeout=60)  # until the terminal closes
        deadline, status = time.monotonic() + 30, None
        while time.monotonic() < deadline and status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
            time.sleep(0.5)
        assert status is not None, "the command did not exit within 30 s of Ctrl-C"
        assert "stopping..." in out
        assert not _listening(port), "the api-server still listens after Ctrl-C"
        assert not _listening(sandbox_port), "the sandbox still listens after Ctrl-C"
        alive = [p for p in children if _running(p)]
        assert not alive, f"processes left after Ctrl-C: {alive}"
    finally:
        taken.close()
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
