"""A real Airflow for end-to-end tests: api-server, scheduler, dag-processor, triggerer (and
Celery workers) as subprocesses, each in its own process group, on free ports, with their own
AIRFLOW_HOME and a fresh PostgreSQL metadata database.

Driven only through what an operator uses: the REST API (JWT from ``POST /auth/token``) and the
``airflow`` CLI. ``COMPONENTS`` is the one list of component commands: the harness starts them,
and tests/deploy/test_compose.py checks docker-compose.yaml runs the same ones.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))

# docker-compose service -> the airflow subcommand it runs (arguments come from the environment)
COMPONENTS: dict[str, tuple[str, ...]] = {
    "airflow-apiserver": ("api-server",),
    "airflow-scheduler": ("scheduler",),
    "airflow-dag-processor": ("dag-processor",),
    "airflow-triggerer": ("triggerer",),
}
CELERY_WORKER: dict[str, tuple[str, ...]] = {"airflow-worker": ("celery", "worker")}
INIT_COMMANDS: tuple[tuple[str, ...], ...] = (("db", "migrate"),)  # airflow-init
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin"
# settings that make the deployment what it is: the harness and docker-compose.yaml set each
DEPLOYMENT_SETTINGS = (
    "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CELERY__WORKER_CONCURRENCY",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AGENT_STATUS_INTEGRATIONS", "AGENT_STATUS_WAREHOUSE_URL", "AGENT_STATUS_STAGING_DIR",
    "AGENT_STATUS_GX_DIR", "GX_ANALYTICS_ENABLED",
)

_RUNNING: set[subprocess.Popen] = set()  # group leaders started here and not yet reaped
ACTIVE: list[AirflowStack] = []  # stacks running now, whose logs a failing test shows


def _kill_all() -> None:
    kill_groups(list(_RUNNING), grace=3)


atexit.register(_kill_all)


def kill_groups(processes: list[subprocess.Popen], grace: float = 10) -> list[int]:
    """SIGTERM every process group at once, SIGKILL what is left after ``grace`` seconds;
    returns the pids of the groups that needed SIGKILL. Each process leads its own group."""
    def alive(process):
        process.poll()  # reap the leader: a zombie would still count as a group member
        try:
            os.killpg(process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def signal_group(process, sig):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass

    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in processes):
        time.sleep(0.2)
    stubborn = [p for p in processes if alive(p)]
    for process in stubborn:
        signal_group(process, signal.SIGKILL)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _RUNNING.discard(process)
    return [p.pid for p in stubborn]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NotReady(Exception):
    """Raised by a ``wait_for`` predicate to say "not yet", with the reason."""


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.5,
             on_timeout: Callable[[], str] | None = None):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``. A
    component still starting (connection refused, 5xx) or ``NotReady`` means "not yet"; any
    other exception (a failed run, a dead component, a wrong answer) fails at once."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (requests.RequestException, NotReady) as error:
            last_error = error
        time.sleep(every)
    detail = on_timeout() if on_timeout else ""
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}"
                       f"{f' (last: {last_error})' if last_error else ''}\n{detail}")


def _interrupt_on_sigterm() -> None:
    """A SIGTERM (CI timeout, kill) becomes KeyboardInterrupt, so fixtures' finally blocks
    and atexit stop the components instead of orphaning them."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def interrupt(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")

        signal.signal(signal.SIGTERM, interrupt)


@dataclass
class Component:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=ROOT, start_new_session=True)
        log.close()
        _RUNNING.add(self.process)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None:
            kill_groups([self.process])

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text[-lines:])


@dataclass
class AirflowStack:
    """One Airflow deployment. ``env`` is what every component (and so every task) sees."""

    home: Path
    executor: str  # LocalExecutor | CeleryExecutor
    metadata_url: str  # postgresql+psycopg://.../db
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: int = 2  # Celery workers
    worker_concurrency: int = 2
    broker_url: str | None = None
    components: list[Component] = field(default_factory=list)
    _token: str | None = None

    def __post_init__(self):
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs = self.home / "component-logs"
        self.logs.mkdir(exist_ok=True)
        self.api_port = free_port()
        self.health_port = free_port()
        self.queue = f"agent_status_e2e_{secrets.token_hex(4)}"  # isolates a shared broker
        self.env = self._environment()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _environment(self) -> dict[str, str]:
        passwords = self.home / "simple_auth_manager_passwords.json"
        # SimpleAuthManager generates a password per user unless this file already has one
        passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
        # nothing from the caller's Airflow or project settings leaks in (AIRFLOW_CONFIG...)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AIRFLOW", "_AIRFLOW", "AGENT_STATUS_"))}
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "PYTHONPATH": str(ROOT / "plugins"),
            "GX_ANALYTICS_ENABLED": "False",
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            # psycopg 3 is async too; Airflow would otherwise derive asyncpg, not installed
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.metadata_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(self.health_port),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
        })
        if self.executor == "CeleryExecutor":
            env.update({
                "AIRFLOW__CELERY__BROKER_URL": self.broker_url or "redis://127.0.0.1:6379/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.metadata_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            })
        env.update(self.extra_env)
        return env

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 240) -> AirflowStack:
        _interrupt_on_sigterm()
        started = time.monotonic()
        for command in INIT_COMMANDS:
            result = self.airflow(*command, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"airflow {' '.join(command)} failed:\n{result.stdout}\n"
                                   f"{result.stderr}")
        self.timings = {"db migrate": time.monotonic() - started}
        ACTIVE.append(self)
        for service, command in COMPONENTS.items():
            self._spawn(service, [AIRFLOW, *command])
        if self.executor == "CeleryExecutor":
            (service, command), = CELERY_WORKER.items()
            for n in range(1, self.workers + 1):
                self._spawn(f"{service}-{n}", [AIRFLOW, *command, "--queues", self.queue,
                                               "--celery-hostname", f"worker{n}-{self.queue}@%h"],
                            {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())})
        self.wait_healthy(timeout)
        self.timings["start"] = time.monotonic() - started
        return self

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        component = Component(name, argv, self.logs / f"{name}.log", {**self.env, **(env or {})})
        self.components.append(component)
        component.start()

    def wait_healthy(self, timeout: float) -> None:
        def healthy():
            self._check_alive()
            answer = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5)
            answer.raise_for_status()
            status = answer.json()
            parts = ["metadatabase", "scheduler", "triggerer", "dag_processor"]
            if not all(status.get(p, {}).get("status") == "healthy" for p in parts):
                raise NotReady(f"health: {status}")
            scheduler = requests.get(f"http://127.0.0.1:{self.health_port}/health", timeout=5)
            return scheduler.status_code == 200 and self.token()

        wait_for(healthy, timeout, "Airflow components to report healthy",
                 on_timeout=self.dump_logs)
        if self.executor == "CeleryExecutor":
            wait_for(lambda: len(self.celery_ping()) >= self.workers, timeout,
                     f"{self.workers} Celery workers to answer ping", every=1,
                     on_timeout=self.dump_logs)

    def celery_ping(self) -> list:
        from celery import Celery

        app = Celery(broker=self.env["AIRFLOW__CELERY__BROKER_URL"])
        try:
            replies = app.control.ping(timeout=1.0) or []
        finally:
            app.close()
        return [r for r in replies for name in r if self.queue in name]

    def _check_alive(self) -> None:
        dead = [c for c in self.components if not c.alive()]
        if dead:
            raise RuntimeError(f"component(s) exited: {[c.name for c in dead]}\n"
                               + self.dump_logs())

    def stop(self) -> None:
        """Every component's process group, all at once; the ones that ignored SIGTERM are
        noted in their logs."""
        started = [c for c in self.components if c.process is not None]
        try:
            stubborn = kill_groups([c.process for c in started])
            for component in started:
                if component.process.pid in stubborn:
                    with component.log_path.open("a") as log:
                        log.write("\n[harness] did not stop on SIGTERM: killed\n")
        finally:
            if self in ACTIVE:
                ACTIVE.remove(self)
            if self.executor == "CeleryExecutor":
                self._forget_queue()

    def _forget_queue(self) -> None:
        """Remove this deployment's queue and bindings from the shared Redis database."""
        import redis

        client = redis.Redis.from_url(self.env["AIRFLOW__CELERY__BROKER_URL"], socket_timeout=5)
        try:
            for key in list(client.scan_iter(match=f"*{self.queue}*")):
                client.delete(key)
        except redis.RedisError:
            pass  # the broker is gone: nothing left to tidy
        finally:
            client.close()

    def dump_logs(self, lines: int = 60) -> str:
        parts = [f"===== {c.name} ({'running' if c.alive() else 'exited'}): {c.log_path}\n"
                 f"{c.tail(lines)}" for c in self.components]
        failed = sorted((self.home / "logs").rglob("*.log"), key=lambda p: p.stat().st_mtime)
        for path in [p for p in failed if "error" in p.read_text(errors="replace").lower()][-3:]:
            parts.append(f"===== task log {path.relative_to(self.home)}\n"
                         + "\n".join(path.read_text(errors="replace").splitlines()[-40:]))
        return "\n".join(parts)

    # -- ops interfaces -------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 300, check: bool = False
                ) -> subprocess.CompletedProcess:
        """The ``airflow`` CLI, as an operator would run it on this deployment."""
        result = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True,
                                timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def token(self, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> str:
        """A JWT from SimpleAuthManager: ``POST /auth/token`` answers 201."""
        answer = requests.post(f"{self.api_url}/auth/token",
                               json={"username": username, "password": password}, timeout=10)
        if answer.status_code != 201:
            raise NotReady(f"POST /auth/token: {answer.status_code} {answer.text}")
        if username == ADMIN_USER:
            self._token = answer.json()["access_token"]
        return answer.json()["access_token"]

    def api(self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs) -> Any:
        if self._token is None:
            self.token()
        for _ in range(2):
            answer = requests.request(method, f"{self.api_url}/api/v2{path}", timeout=30,
                                      headers={"Authorization": f"Bearer {self._token}"},
                                      **kwargs)
            if answer.status_code != 401:
                break
            self.token()  # expired
        expected = (expect,) if isinstance(expect, int) else expect
        if answer.status_code not in expected:
            raise AssertionError(f"{method} /api/v2{path}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        """What the UI toggle does."""
        return self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": paused},
                        params={"update_mask": "is_paused"})

    def dag(self, dag_id: str) -> dict:
        return self.api("GET", f"/dags/{dag_id}")

    def dag_runs(self, dag_id: str) -> list[dict]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns",
                          params={"limit": 100, "order_by": "logical_date"})
        return answer["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str = "~", **params) -> list[dict]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                          params={"limit": 1000, **params})
        return answer["task_instances"]

    def import_errors(self) -> list[dict]:
        return self.api("GET", "/importErrors")["import_errors"]

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        def listed():
            self._check_alive()
            errors = self.import_errors()
            if errors:
                raise AssertionError(f"DAG import errors: {errors}")
            found = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 100})["dags"]}
            return set(dag_ids) <= found

        wait_for(listed, timeout, f"DAGs {dag_ids} to be parsed", on_timeout=self.dump_logs)

    def wait_runs_done(self, dag_id: str, count: int, timeout: float) -> list[dict]:
        """Wait until ``count`` runs exist and all are finished; fail at once on a failed run."""
        def done():
            self._check_alive()
            runs = self.dag_runs(dag_id)
            failed = [r for r in runs if r["state"] == "failed"]
            if failed:
                raise RunFailed(f"{dag_id}: failed runs {[r['dag_run_id'] for r in failed]}")
            finished = [r for r in runs if r["state"] == "success"]
            return runs if len(runs) >= count and len(finished) == len(runs) else None

        try:
            return wait_for(done, timeout, f"{count} successful runs of {dag_id}", every=1,
                            on_timeout=lambda: self._runs_report(dag_id) + self.dump_logs())
        except RunFailed as error:
            raise AssertionError(f"{error}\n{self._runs_report(dag_id)}\n{self.dump_logs()}")

    def _runs_report(self, dag_id: str) -> str:
        try:
            return "\n".join(f"{r['dag_run_id']} {r['state']} {r.get('start_date')} "
                             f"{r.get('end_date')}" for r in self.dag_runs(dag_id)) + "\n"
        except Exception as error:  # the report must not hide the failure it explains
            return f"(runs unavailable: {error})\n"


class RunFailed(Exception):
    """A DAG run ended failed: waiting longer cannot help."""


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
