"""docker-compose.yaml, checked without a Docker engine: every service, the shared environment,
volumes, health checks, the sandboxes profile, and the same airflow components (commands and
deployment settings) as the end-to-end suite starts (tests/e2e/harness.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import (CELERY_WORKER, COMPONENTS, DEPLOYMENT_SETTINGS, INIT_COMMANDS,
                               AirflowStack)
from tests.e2e.scenario import agent_status_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {**COMPONENTS, **CELERY_WORKER}
LONG_RUNNING = set(AIRFLOW_SERVICES) | {"postgres", "warehouse", "redis", "sandboxes"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def common_env(compose) -> dict:
    return compose["x-airflow-common"]["environment"]


def _argv(command) -> list[str]:
    return command.split() if isinstance(command, str) else list(command)


def _url_host(url: str) -> str:
    return re.match(r"^[\w+]+://(?:[^@/]*@)?([^:/]+)", url).group(1)


def test_every_service_is_there(services):
    assert set(services) == LONG_RUNNING | {"airflow-init"}


def test_components_run_the_airflow_commands_the_e2e_suite_starts(services):
    for service, subcommand in AIRFLOW_SERVICES.items():
        assert _argv(services[service]["command"]) == list(subcommand), service
    init = "\n".join(_argv(services["airflow-init"]["command"]))
    for command in INIT_COMMANDS:
        assert f"airflow {' '.join(command)}" in init


def test_airflow_services_share_image_environment_and_volumes(compose, services, common_env):
    common = compose["x-airflow-common"]
    airflow_services = [*AIRFLOW_SERVICES, "airflow-init", "sandboxes"]
    for name in airflow_services:
        service = services[name]
        assert service["image"] == common["image"] and service["build"] == common["build"], name
        # the sandboxes also mount the development package (dev/), and only they do
        extra = ["${AIRFLOW_PROJ_DIR:-.}/dev:/opt/airflow/dev"] if name == "sandboxes" else []
        assert service["volumes"] == common["volumes"] + extra, name
        for key, value in common_env.items():
            if name == "sandboxes" and key == "PYTHONPATH":
                assert service["environment"][key] == f"{value}:/opt/airflow/dev"
                continue
            assert service["environment"][key] == value, f"{name}: {key}"
    assert not any("/dev:" in v for v in common["volumes"]), "dev/ never reaches Airflow"
    mounts = {v.rsplit(":", 1)[1]: v.rsplit(":", 1)[0] for v in common["volumes"]}
    for folder in ("dags", "plugins", "include"):
        assert mounts[f"/opt/airflow/{folder}"].endswith(f"/{folder}"), folder
    # the staging folder is on a named volume, so every worker container sees every file
    staging = common_env["AGENT_STATUS_STAGING_DIR"]
    volume = [source for target, source in mounts.items() if staging.startswith(target + "/")]
    assert volume and volume[0] in compose["volumes"], f"{staging} is on no shared volume"


def test_shared_environment(common_env, services):
    env = common_env
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert metadata.startswith("postgresql+psycopg://") and _url_host(metadata) == "postgres"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + metadata
    assert _url_host(env["AIRFLOW__CELERY__BROKER_URL"]) == "redis"
    port = services["airflow-apiserver"]["ports"][0].split(":")[-1]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
        f"http://airflow-apiserver:{port}/execution/"
    warehouse = env["AGENT_STATUS_WAREHOUSE_URL"]
    assert _url_host(warehouse) == "warehouse" and warehouse != metadata
    assert services["warehouse"]["image"].startswith("postgres:")
    assert env["AGENT_STATUS_INTEGRATIONS"].startswith("/opt/airflow/include/")


def test_compose_sets_what_the_e2e_deployment_sets(common_env, tmp_path):
    stack = AirflowStack(tmp_path / "airflow", "CeleryExecutor",
                         "postgresql+psycopg://postgres@127.0.0.1/meta",
                         extra_env=agent_status_env(tmp_path, tmp_path / "i.yaml", "sqlite://"))
    for key in DEPLOYMENT_SETTINGS:
        assert key in stack.env, f"the e2e harness does not set {key}"
        assert key in common_env, f"docker-compose.yaml does not set {key}"
    for key in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION",
                "AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "GX_ANALYTICS_ENABLED"):
        assert str(common_env[key]).lower() == stack.env[key].lower(), key
    assert stack.env["AIRFLOW__CELERY__RESULT_BACKEND"] == \
        "db+" + stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_health_checks_on_every_long_running_service(services):
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
    assert "/api/v2/version" in " ".join(services["airflow-apiserver"]["healthcheck"]["test"])
    assert "8974/health" in " ".join(services["airflow-scheduler"]["healthcheck"]["test"])
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer", "airflow-worker"):
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        for backing in ("postgres", "redis", "warehouse"):
            assert depends[backing]["condition"] == "service_healthy", (name, backing)
    assert "healthcheck" not in services["airflow-init"]


def test_sandboxes_are_an_optional_profile(services):
    assert services["sandboxes"]["profiles"] == ["sandboxes"]
    assert _argv(services["sandboxes"]["command"]) == \
        ["python", "-m", "agent_status_dev.demo", "serve"]
    others = [n for n, s in services.items() if n != "sandboxes" and s.get("profiles")]
    assert not others, f"only the sandboxes are optional: {others}"


def test_worker_scales(services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale needs both unset


def test_image_is_built_from_the_pinned_requirements(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert re.search(rf"^FROM apache/airflow:{re.escape(pinned.group(1))}-python3\.11$",
                     dockerfile, re.M)
    assert f"apache-airflow=={pinned.group(1)}" in (ROOT / "constraints.txt").read_text()
    assert re.search(r"pip install .*-r \S*requirements\.txt -c \S*constraints\.txt",
                     dockerfile.replace("\\\n", " "))
    assert compose["x-airflow-common"]["build"] == "."
    for needed in ("apache-airflow-providers-celery==", "redis=="):
        assert needed in (ROOT / "requirements.txt").read_text(), needed
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "!requirements.txt" in ignored and "!constraints.txt" in ignored
