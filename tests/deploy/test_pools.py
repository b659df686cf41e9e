"""Rate budgets per vendor account as Airflow pools: the optional integration field ``pool``
puts the integration's extract in that pool; the other tasks and other integrations stay in
the default pool. (The e2e Celery suite shows the extracts then never overlap.)"""

from __future__ import annotations

import pytest
import yaml

from agent_status.config import ConfigError, load_integrations
from agent_status.dag_factory import build_dag

pytestmark = pytest.mark.e2e

BASE = {"vendor": "genesys_cloud", "conn_id": "acme", "timezone": "Europe/Paris",
        "start_date": "2026-11-01"}


def write_integrations(path, integrations):
    path.write_text(yaml.safe_dump({"integrations": integrations}))
    return path


def test_pool_goes_on_the_extract_only(tmp_path):
    path = write_integrations(tmp_path / "i.yaml", [
        {"name": "sales", **BASE, "pool": "acme_genesys"},
        {"name": "support", **BASE, "pool": "acme_genesys"},
        {"name": "other", **BASE}])
    pools = {}
    for integration in load_integrations(path):
        dag = build_dag(integration)
        pools[integration.name] = {task.task_id: task.pool for task in dag.tasks}
    assert pools["sales"] == pools["support"] == {
        "extract": "acme_genesys", "transform": "default_pool", "load": "default_pool",
        "quality": "default_pool"}
    assert set(pools["other"].values()) == {"default_pool"}


@pytest.mark.parametrize("pool", ["", 3, ["a"]])
def test_a_wrong_pool_names_file_integration_and_field(tmp_path, pool):
    path = write_integrations(tmp_path / "i.yaml", [{"name": "sales", **BASE, "pool": pool}])
    with pytest.raises(ConfigError, match=r"i\.yaml: integration 'sales': field 'pool'"):
        load_integrations(path)
