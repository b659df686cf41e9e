"""A local Airflow for the demo and `make airflow`: api-server, scheduler and dag-processor as
child processes (each its own process group), on this machine's AIRFLOW_HOME.

It is what ``airflow standalone`` starts, minus its surprises: a port that is really free and
printed, the login from the Makefile, and every child (and its children) stopped on exit,
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
COMPONENTS = (("api-server",), ("scheduler",), ("dag-processor",))


def free_port(preferred: int | None = None) -> int:
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free port")


class LocalAirflow:
    """``with LocalAirflow(port) as airflow:`` starts the components and stops them all.

    ``components`` narrows what runs: the browser test needs only the api-server.
    """

    def __init__(self, port: int, log_dir: Path, user: str = "admin", password: str = "admin",
                 extra_env: dict[str, str] | None = None,
                 components: tuple[tuple[str, ...], ...] = COMPONENTS):
        self.port, self.log_dir, self.user, self.password = port, Path(log_dir), user, password
        self.components = components
        self.url = f"http://localhost:{port}"
        self.env = {**os.environ,
                    "AIRFLOW__API__PORT": str(port),
                    "AIRFLOW__API__BASE_URL": self.url,
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                    # task processes at once: a few per core, not one per DAG on 2 cores
                    "AIRFLOW__CORE__PARALLELISM": os.environ.get(
                        "AIRFLOW__CORE__PARALLELISM", str(max(2, 2 * (os.cpu_count() or 1)))),
                    **(extra_env or {})}
        self.processes: list[subprocess.Popen] = []
        self._token: str | None = None

    def __enter__(self) -> LocalAirflow:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for command in self.components:
            log = open(self.log_dir / f"{command[0]}.log", "ab")  # noqa: SIM115 - kept open
            # the scheduler forks the LocalExecutor's workers, which fork the tasks: started with
            # the task code imported, every task has it already (warm_airflow.py)
            argv = ([sys.executable, "-m", "agent_status.warm_airflow", *command]
                    if command[0] == "scheduler" else [AIRFLOW, *command])
            # stdin from /dev/null, not the user's terminal: a component that set the terminal's
            # modes (no ISIG) would turn the user's Ctrl-C into a plain character
            self.processes.append(subprocess.Popen(
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True))

    def stop(self, grace: float = 15) -> None:
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None for p in self.processes):
            time.sleep(0.2)
        for process in self.processes:
            _signal_group(process, signal.SIGKILL)  # the group: task runners included
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.processes = []

    def check_alive(self) -> None:
        for command, process in zip(self.components, self.processes):
            if process.poll() is not None:
                raise RuntimeError(f"airflow {command[0]} exited ({process.returncode}); see "
                                   f"{self.log_dir / (command[0] + '.log')}")

    def token(self) -> str:
        if self._token is None:
            answer = requests.post(f"{self.url}/auth/token", timeout=10,
                                   json={"username": self.user, "password": self.password})
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs):
        answer = requests.request(method, f"{self.url}/api/v2{path}", timeout=30,
                                  headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def wait_ready(self, dag_ids: list[str], timeout: float = 240) -> None:
        """Until the api-server answers and every DAG is parsed."""
        deadline = time.monotonic() + timeout
        missing: list[str] = list(dag_ids)
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                known = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 1000})
                         ["dags"]}
                missing = [d for d in dag_ids if d not in known]
                if not missing:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise TimeoutError(f"Airflow did not show {missing} within {timeout:.0f}s; see "
                           f"{self.log_dir}")

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": paused},
                 params={"update_mask": "is_paused"})

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns",
                        params={"limit": 100, "order_by": "logical_date"})["dag_runs"]


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
